#pragma once

// All OS access of the storage layer (files, directories, the clock) goes through file_io, so
// tests can inject short writes, EIO, ENOSPC, torn writes and time (see fault_io.h).
// Implementations must be safe to call from the shard thread and the flusher thread at once.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "storage/errors.h"

namespace vltava::storage {

enum class open_mode : uint8_t {
  read_write,        // existing file
  create,            // create if missing, keep contents
  create_exclusive,  // must not exist yet
};

class file_io {
 public:
  virtual ~file_io() = default;

  virtual sresult<int> open(const std::string& path, open_mode mode) = 0;
  virtual void close(int fd) = 0;
  // May return fewer bytes than asked (end of file, or a short read).
  virtual sresult<size_t> pread(int fd, std::span<std::byte> buf, uint64_t pos) = 0;
  // May write fewer bytes than asked; see pwrite_all.
  virtual sresult<size_t> pwrite(int fd, std::span<const std::byte> buf, uint64_t pos) = 0;
  virtual sresult<void> fdatasync(int fd) = 0;
  virtual sresult<void> ftruncate(int fd, uint64_t size) = 0;
  virtual sresult<uint64_t> file_size(int fd) = 0;
  virtual sresult<void> rename(const std::string& from, const std::string& to) = 0;
  virtual sresult<void> unlink(const std::string& path) = 0;
  virtual sresult<bool> exists(const std::string& path) = 0;
  // Creates the directory; succeeds if it exists already.
  virtual sresult<void> mkdir(const std::string& path) = 0;
  // Makes creations, renames and removals of entries in `path` durable.
  virtual sresult<void> fsync_dir(const std::string& path) = 0;
  // Names of the entries in `path` (no "." or "..").
  virtual sresult<std::vector<std::string>> list_dir(const std::string& path) = 0;
  // Wall clock in milliseconds since the epoch.
  virtual int64_t now_ms() = 0;
};

// The real implementation over POSIX calls. Stateless; one instance may serve every log.
class posix_io final : public file_io {
 public:
  sresult<int> open(const std::string& path, open_mode mode) override;
  void close(int fd) override;
  sresult<size_t> pread(int fd, std::span<std::byte> buf, uint64_t pos) override;
  sresult<size_t> pwrite(int fd, std::span<const std::byte> buf, uint64_t pos) override;
  sresult<void> fdatasync(int fd) override;
  sresult<void> ftruncate(int fd, uint64_t size) override;
  sresult<uint64_t> file_size(int fd) override;
  sresult<void> rename(const std::string& from, const std::string& to) override;
  sresult<void> unlink(const std::string& path) override;
  sresult<bool> exists(const std::string& path) override;
  sresult<void> mkdir(const std::string& path) override;
  sresult<void> fsync_dir(const std::string& path) override;
  sresult<std::vector<std::string>> list_dir(const std::string& path) override;
  int64_t now_ms() override;
};

// An open file; closes its descriptor when the last owner lets go. Read ranges handed to
// fetch (for sendfile) and pending flushes share it, so a segment deleted meanwhile keeps its
// descriptor valid until they are done.
class file {
 public:
  file(file_io& io, int fd, std::string path) : _io(io), _fd(fd), _path(std::move(path)) {}
  ~file() { _io.close(_fd); }
  file(const file&) = delete;
  file& operator=(const file&) = delete;

  static sresult<std::shared_ptr<file>> open(file_io& io, const std::string& path, open_mode mode);
  int fd() const { return _fd; }
  const std::string& path() const { return _path; }
  file_io& io() const { return _io; }

  // Writes all of `buf` at `pos`, retrying short writes; an error leaves an unknown prefix.
  sresult<void> write_all(std::span<const std::byte> buf, uint64_t pos) const;
  // Reads exactly buf.size() bytes at `pos`; fewer bytes before end of file is an io_error.
  sresult<void> read_exact(std::span<std::byte> buf, uint64_t pos) const;
  // Reads up to buf.size() bytes, fewer only at end of file. Returns how many.
  sresult<size_t> read_some(std::span<std::byte> buf, uint64_t pos) const;

 private:
  file_io& _io;
  int _fd;
  std::string _path;
};

// Writes `bytes` to `path` so that after a crash the file holds either its old contents or
// all of `bytes`: write to path + ".tmp", fdatasync, rename, fsync the directory.
sresult<void> write_file_atomic(file_io& io, const std::string& dir, const std::string& name,
                                std::span<const std::byte> bytes);
// Reads a whole small file (at most max_bytes; larger is corrupt).
sresult<std::vector<std::byte>> read_small_file(file_io& io, const std::string& path,
                                                size_t max_bytes);

}  // namespace vltava::storage
