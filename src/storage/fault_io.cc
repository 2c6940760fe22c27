#include "storage/fault_io.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace vltava::storage {

void fault_io::set_short_writes(bool on) {
  std::lock_guard g(_mu);
  _short_writes = on;
}

void fault_io::fail_writes_after(uint64_t bytes, int err, std::function<void()> on_torn) {
  std::lock_guard g(_mu);
  _write_budget = bytes;
  _write_err = err;
  _on_torn = std::move(on_torn);
}

void fault_io::limit_write_faults_to(std::string suffix) {
  std::lock_guard g(_mu);
  _write_fault_suffix = std::move(suffix);
}

void fault_io::fail_next(io_op op, int err, int count) {
  std::lock_guard g(_mu);
  _pending.push_back({op, err, count});
}

void fault_io::clear_faults() {
  std::lock_guard g(_mu);
  _short_writes = false;
  _write_budget.reset();
  _write_fault_suffix.clear();
  _on_torn = {};
  _pending.clear();
}

uint64_t fault_io::bytes_written() const {
  std::lock_guard g(_mu);
  return _written;
}

bool fault_io::budget_applies(int fd) const {
  if (_write_fault_suffix.empty()) return true;
  auto it = _paths.find(fd);
  return it != _paths.end() && it->second.ends_with(_write_fault_suffix);
}

int fault_io::take_fault(io_op op) {
  std::lock_guard g(_mu);
  for (auto it = _pending.begin(); it != _pending.end(); ++it) {
    if (it->op != op) continue;
    int err = it->err;
    if (--it->count <= 0) _pending.erase(it);
    return err;
  }
  return 0;
}

sresult<int> fault_io::open(const std::string& path, open_mode mode) {
  if (int err = take_fault(io_op::open)) return errno_error(err, "open (injected)", path);
  auto fd = _real.open(path, mode);
  if (fd) {
    std::lock_guard g(_mu);
    _paths[*fd] = path;
  }
  return fd;
}

void fault_io::close(int fd) {
  {
    std::lock_guard g(_mu);
    _paths.erase(fd);
  }
  _real.close(fd);
}

sresult<size_t> fault_io::pwrite(int fd, std::span<const std::byte> buf, uint64_t pos) {
  if (int err = take_fault(io_op::pwrite)) return errno_error(err, "pwrite (injected)", "");
  std::function<void()> on_torn;
  int err = 0;
  {
    std::lock_guard g(_mu);
    if (_short_writes && buf.size() > 1) buf = buf.first(buf.size() / 2);
    if (_write_budget && budget_applies(fd)) {
      if (*_write_budget < buf.size()) {
        buf = buf.first(*_write_budget);
        err = _write_err;
        on_torn = _on_torn;
      }
      *_write_budget -= buf.size();
    }
  }
  size_t done = 0;
  if (!buf.empty()) {
    auto n = _real.pwrite(fd, buf, pos);
    if (!n) return n;
    done = *n;
    std::lock_guard g(_mu);
    _written += done;
  }
  if (err != 0) {
    if (on_torn) on_torn();
    return errno_error(err, "pwrite (injected after " + std::to_string(done) + " bytes)", "");
  }
  return done;
}

sresult<void> fault_io::fdatasync(int fd) {
  if (int err = take_fault(io_op::fdatasync)) return errno_error(err, "fdatasync (injected)", "");
  ++_fsyncs;
  if (int ms = _sync_delay_ms.load(); ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  if (_skip_syncs.load()) return {};
  return _real.fdatasync(fd);
}

sresult<void> fault_io::ftruncate(int fd, uint64_t size) {
  if (int err = take_fault(io_op::ftruncate)) return errno_error(err, "ftruncate (injected)", "");
  return _real.ftruncate(fd, size);
}

sresult<void> fault_io::rename(const std::string& from, const std::string& to) {
  if (int err = take_fault(io_op::rename)) return errno_error(err, "rename (injected)", from);
  return _real.rename(from, to);
}

sresult<void> fault_io::unlink(const std::string& path) {
  if (int err = take_fault(io_op::unlink)) return errno_error(err, "unlink (injected)", path);
  return _real.unlink(path);
}

sresult<void> fault_io::mkdir(const std::string& path) {
  if (int err = take_fault(io_op::mkdir)) return errno_error(err, "mkdir (injected)", path);
  return _real.mkdir(path);
}

sresult<void> fault_io::fsync_dir(const std::string& path) {
  if (int err = take_fault(io_op::fsync_dir)) return errno_error(err, "fsync_dir (injected)", path);
  if (_skip_syncs.load()) return {};
  return _real.fsync_dir(path);
}

int64_t fault_io::now_ms() {
  int64_t t = _now.load();
  return t >= 0 ? t : _real.now_ms();
}

}  // namespace vltava::storage
