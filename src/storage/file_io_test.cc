#include "storage/file_io.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "storage/fault_io.h"
#include "storage/test_util.h"

namespace vltava::storage {
namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return b;
}

TEST(file_io, write_read_truncate_rename_unlink) {
  testing::temp_dir dir;
  posix_io io;
  auto f = file::open(io, dir.sub("a"), open_mode::create);
  ASSERT_TRUE(f);
  auto data = bytes_of("hello world");
  ASSERT_TRUE((*f)->write_all(data, 0));
  ASSERT_TRUE(io.fdatasync((*f)->fd()));
  std::vector<std::byte> back(data.size());
  ASSERT_TRUE((*f)->read_exact(back, 0));
  EXPECT_EQ(back, data);
  ASSERT_TRUE(io.ftruncate((*f)->fd(), 5));
  EXPECT_EQ(*io.file_size((*f)->fd()), 5u);
  EXPECT_FALSE((*f)->read_exact(back, 0));  // short file is an error for read_exact
  ASSERT_TRUE(io.rename(dir.sub("a"), dir.sub("b")));
  EXPECT_FALSE(*io.exists(dir.sub("a")));
  EXPECT_TRUE(*io.exists(dir.sub("b")));
  ASSERT_TRUE(io.fsync_dir(dir.path()));
  auto names = io.list_dir(dir.path());
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"b"});
  ASSERT_TRUE(io.unlink(dir.sub("b")));
  EXPECT_FALSE(io.unlink(dir.sub("b")));
}

TEST(file_io, open_missing_names_the_path) {
  posix_io io;
  auto f = file::open(io, "/nonexistent-vltava/x", open_mode::read_write);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, errc::io_error);
  EXPECT_NE(f.error().message.find("/nonexistent-vltava/x"), std::string::npos);
}

TEST(fault_io, short_writes_are_retried) {
  testing::temp_dir dir;
  posix_io real;
  fault_io io(real);
  io.set_short_writes(true);
  auto f = file::open(io, dir.sub("a"), open_mode::create);
  ASSERT_TRUE(f);
  auto data = bytes_of("0123456789abcdef");
  ASSERT_TRUE((*f)->write_all(data, 0));
  std::vector<std::byte> back(data.size());
  ASSERT_TRUE((*f)->read_exact(back, 0));
  EXPECT_EQ(back, data);
}

TEST(fault_io, torn_write_stops_at_the_byte) {
  testing::temp_dir dir;
  posix_io real;
  fault_io io(real);
  auto f = file::open(io, dir.sub("a"), open_mode::create);
  ASSERT_TRUE(f);
  bool torn = false;
  io.fail_writes_after(5, EIO, [&] { torn = true; });
  auto r = (*f)->write_all(bytes_of("0123456789"), 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io_error);
  EXPECT_TRUE(torn);
  EXPECT_EQ(*io.file_size((*f)->fd()), 5u);
  // Later writes keep failing until cleared.
  EXPECT_FALSE((*f)->write_all(bytes_of("x"), 5));
  io.clear_faults();
  EXPECT_TRUE((*f)->write_all(bytes_of("x"), 5));
}

TEST(fault_io, enospc_and_fsync_errors) {
  testing::temp_dir dir;
  posix_io real;
  fault_io io(real);
  auto f = file::open(io, dir.sub("a"), open_mode::create);
  ASSERT_TRUE(f);
  io.fail_next(io_op::pwrite, ENOSPC);
  auto r = (*f)->write_all(bytes_of("abc"), 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::no_space);
  io.fail_next(io_op::fdatasync, EIO);
  EXPECT_FALSE(io.fdatasync((*f)->fd()));
  EXPECT_TRUE(io.fdatasync((*f)->fd()));
  io.set_now(1000);
  io.advance(5);
  EXPECT_EQ(io.now_ms(), 1005);
}

TEST(file_io, atomic_file_replace) {
  testing::temp_dir dir;
  posix_io io;
  ASSERT_TRUE(write_file_atomic(io, dir.path(), "c", bytes_of("one")));
  ASSERT_TRUE(write_file_atomic(io, dir.path(), "c", bytes_of("two!")));
  auto b = read_small_file(io, dir.sub("c"), 100);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, bytes_of("two!"));
  EXPECT_FALSE(read_small_file(io, dir.sub("c"), 2));  // larger than allowed
}

}  // namespace
}  // namespace vltava::storage
