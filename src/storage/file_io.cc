#include "storage/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/test_sabotage.h"

namespace vltava::storage {

sresult<int> posix_io::open(const std::string& path, open_mode mode) {
  int flags = O_RDWR | O_CLOEXEC;
  if (mode == open_mode::create) flags |= O_CREAT;
  if (mode == open_mode::create_exclusive) flags |= O_CREAT | O_EXCL;
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_error(errno, "open", path);
  return fd;
}

void posix_io::close(int fd) {
  // Linux releases the descriptor even when close reports an error; retrying would be wrong.
  ::close(fd);
}

sresult<size_t> posix_io::pread(int fd, std::span<std::byte> buf, uint64_t pos) {
  ssize_t n;
  do {
    n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(pos));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error(errno, "pread", "fd " + std::to_string(fd));
  return static_cast<size_t>(n);
}

sresult<size_t> posix_io::pwrite(int fd, std::span<const std::byte> buf, uint64_t pos) {
  ssize_t n;
  do {
    n = ::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(pos));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error(errno, "pwrite", "fd " + std::to_string(fd));
  return static_cast<size_t>(n);
}

sresult<void> posix_io::fdatasync(int fd) {
  if (auto slow = test_sabotage::fsync_delay(); slow.count() > 0) {
    std::this_thread::sleep_for(slow);  // the test build's slow disk (tests/chaos)
  }
  int rc;
  do {
    rc = ::fdatasync(fd);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return errno_error(errno, "fdatasync", "fd " + std::to_string(fd));
  return {};
}

sresult<void> posix_io::ftruncate(int fd, uint64_t size) {
  int rc;
  do {
    rc = ::ftruncate(fd, static_cast<off_t>(size));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return errno_error(errno, "ftruncate", "fd " + std::to_string(fd));
  return {};
}

sresult<uint64_t> posix_io::file_size(int fd) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return errno_error(errno, "fstat", "fd " + std::to_string(fd));
  return static_cast<uint64_t>(st.st_size);
}

sresult<void> posix_io::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) < 0) return errno_error(errno, "rename", from);
  return {};
}

sresult<void> posix_io::unlink(const std::string& path) {
  if (::unlink(path.c_str()) < 0) return errno_error(errno, "unlink", path);
  return {};
}

sresult<bool> posix_io::exists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return errno_error(errno, "stat", path);
}

sresult<void> posix_io::mkdir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) return errno_error(errno, "mkdir", path);
  return {};
}

sresult<void> posix_io::fsync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error(errno, "open directory", path);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc < 0) return errno_error(err, "fsync directory", path);
  return {};
}

sresult<std::vector<std::string>> posix_io::list_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return errno_error(errno, "opendir", path);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n(e->d_name);
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return errno_error(err, "readdir", path);
  return names;
}

int64_t posix_io::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

sresult<std::shared_ptr<file>> file::open(file_io& io, const std::string& path, open_mode mode) {
  auto fd = io.open(path, mode);
  if (!fd) return fail(fd.error());
  return std::make_shared<file>(io, *fd, path);
}

sresult<void> file::write_all(std::span<const std::byte> buf, uint64_t pos) const {
  while (!buf.empty()) {
    auto n = _io.pwrite(_fd, buf, pos);
    if (!n) return error(n.error().code, n.error().message + " (" + _path + ")");
    // pwrite returning 0 for a non-empty buffer would loop forever; treat it as an I/O error.
    if (*n == 0) return error(errc::io_error, "pwrite made no progress on " + _path);
    buf = buf.subspan(*n);
    pos += *n;
  }
  return {};
}

sresult<size_t> file::read_some(std::span<std::byte> buf, uint64_t pos) const {
  size_t done = 0;
  while (done < buf.size()) {
    auto n = _io.pread(_fd, buf.subspan(done), pos + done);
    if (!n) return error(n.error().code, n.error().message + " (" + _path + ")");
    if (*n == 0) break;  // end of file
    done += *n;
  }
  return done;
}

sresult<void> file::read_exact(std::span<std::byte> buf, uint64_t pos) const {
  auto n = read_some(buf, pos);
  if (!n) return fail(n.error());
  if (*n != buf.size()) {
    return error(errc::io_error,
                 "unexpected end of file " + _path + " at byte " + std::to_string(pos + *n));
  }
  return {};
}

sresult<void> write_file_atomic(file_io& io, const std::string& dir, const std::string& name,
                                std::span<const std::byte> bytes) {
  std::string tmp = dir + "/" + name + ".tmp";
  std::string final_path = dir + "/" + name;
  {
    auto f = file::open(io, tmp, open_mode::create);
    if (!f) return fail(f.error());
    if (auto r = io.ftruncate((*f)->fd(), 0); !r) return r;
    if (auto r = (*f)->write_all(bytes, 0); !r) return r;
    if (auto r = io.fdatasync((*f)->fd()); !r) return r;
  }
  if (auto r = io.rename(tmp, final_path); !r) return r;
  return io.fsync_dir(dir);
}

sresult<std::vector<std::byte>> read_small_file(file_io& io, const std::string& path,
                                                size_t max_bytes) {
  auto f = file::open(io, path, open_mode::read_write);
  if (!f) return fail(f.error());
  auto size = io.file_size((*f)->fd());
  if (!size) return fail(size.error());
  if (*size > max_bytes) return error(errc::corrupt, path + " is larger than expected");
  std::vector<std::byte> bytes(*size);
  if (auto r = (*f)->read_exact(bytes, 0); !r) return fail(r.error());
  return bytes;
}

}  // namespace vltava::storage
