#pragma once

// A file_io for tests: forwards to a real one and injects faults on request — short writes,
// EIO/ENOSPC on writes, fsyncs or other calls, torn writes that stop at an exact byte — and
// offers a manual clock. Thread-safe (the flusher thread calls fdatasync through it).

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/file_io.h"

namespace vltava::storage {

enum class io_op : uint8_t { open, pwrite, fdatasync, ftruncate, rename, unlink, fsync_dir, mkdir };

class fault_io final : public file_io {
 public:
  explicit fault_io(file_io& real) : _real(real) {}

  // Every pwrite writes at most half of what it is asked (at least one byte).
  void set_short_writes(bool on);
  // After `bytes` more bytes have been written by pwrite, the write crossing that point writes
  // only the bytes up to it (a torn write), then calls on_torn (if set; a crash test raises
  // SIGKILL there) and fails with `err`. Later writes fail with `err` until cleared.
  void fail_writes_after(uint64_t bytes, int err, std::function<void()> on_torn = {});
  // Only writes to files whose path ends with `suffix` (".log") count against and fail with the
  // budget above; a test faulting the data path keeps background checkpoint writes out of it.
  void limit_write_faults_to(std::string suffix);
  // The next `count` calls of `op` fail with `err` without touching the disk.
  void fail_next(io_op op, int err, int count = 1);
  void clear_faults();
  // fdatasync and fsync_dir succeed without syncing (benchmark set-up, not durability tests).
  void set_skip_syncs(bool on) { _skip_syncs.store(on); }
  // Every fdatasync takes at least `ms` longer (a slow disk, to catch what waits for it).
  void set_sync_delay_ms(int ms) { _sync_delay_ms.store(ms); }

  // Manual clock: once set, now_ms() returns it instead of the real clock.
  void set_now(int64_t ms) { _now.store(ms); }
  void advance(int64_t ms) { _now.fetch_add(ms); }

  uint64_t bytes_written() const;
  int fsync_count() const { return _fsyncs.load(); }

  sresult<int> open(const std::string& path, open_mode mode) override;
  void close(int fd) override;
  sresult<size_t> pread(int fd, std::span<std::byte> buf, uint64_t pos) override {
    return _real.pread(fd, buf, pos);
  }
  sresult<size_t> pwrite(int fd, std::span<const std::byte> buf, uint64_t pos) override;
  sresult<void> fdatasync(int fd) override;
  sresult<void> ftruncate(int fd, uint64_t size) override;
  sresult<uint64_t> file_size(int fd) override { return _real.file_size(fd); }
  sresult<void> rename(const std::string& from, const std::string& to) override;
  sresult<void> unlink(const std::string& path) override;
  sresult<bool> exists(const std::string& path) override { return _real.exists(path); }
  sresult<void> mkdir(const std::string& path) override;
  sresult<void> fsync_dir(const std::string& path) override;
  sresult<std::vector<std::string>> list_dir(const std::string& path) override {
    return _real.list_dir(path);
  }
  int64_t now_ms() override;

 private:
  // Returns the errno to inject for `op`, or 0.
  int take_fault(io_op op);
  bool budget_applies(int fd) const;  // caller holds _mu

  file_io& _real;
  mutable std::mutex _mu;
  bool _short_writes = false;
  std::optional<uint64_t> _write_budget;
  int _write_err = 0;
  std::string _write_fault_suffix;
  std::unordered_map<int, std::string> _paths;  // open fd -> path, for the suffix filter
  std::function<void()> _on_torn;
  uint64_t _written = 0;
  struct pending {
    io_op op;
    int err;
    int count;
  };
  std::vector<pending> _pending;
  std::atomic<int64_t> _now{-1};
  std::atomic<int> _fsyncs{0};
  std::atomic<bool> _skip_syncs{false};
  std::atomic<int> _sync_delay_ms{0};
};

}  // namespace vltava::storage
