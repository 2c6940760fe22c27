#include "storage/flusher.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "storage/fault_io.h"
#include "storage/test_util.h"

namespace vltava::storage {
namespace {
using model::offset;

TEST(flusher, one_fsync_covers_many_waiters) {
  testing::temp_dir dir;
  posix_io real;
  fault_io io(real);
  auto f = file::open(io, dir.sub("a"), open_mode::create);
  ASSERT_TRUE(f);
  auto state = std::make_shared<durability_state>();
  std::atomic<int> called{0};
  {
    flusher fl(io);
    for (int i = 1; i <= 100; ++i) {
      flush_job j;
      j.state = state;
      j.target = offset(i);
      j.files = {*f};
      j.callbacks.push_back([&](sresult<offset> r) {
        EXPECT_TRUE(r);
        ++called;
      });
      fl.submit(std::move(j));
    }
    fl.drain();
    EXPECT_EQ(called.load(), 100);
    EXPECT_EQ(state->durable_end(), offset(100));
    EXPECT_LE(fl.fsyncs(), fl.rounds());  // one file: one fsync per round
    EXPECT_LE(fl.rounds(), 100u);
  }
}

TEST(flusher, failed_fsync_fails_the_state_for_good) {
  testing::temp_dir dir;
  posix_io real;
  fault_io io(real);
  auto f = file::open(io, dir.sub("a"), open_mode::create);
  ASSERT_TRUE(f);
  auto state = std::make_shared<durability_state>();
  flusher fl(io);
  io.fail_next(io_op::fdatasync, EIO);
  std::optional<storage_error> err;
  flush_job j;
  j.state = state;
  j.target = offset(5);
  j.files = {*f};
  j.callbacks.push_back([&](sresult<offset> r) {
    if (!r) err = r.error();
  });
  fl.submit(std::move(j));
  fl.drain();
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, errc::log_failed);
  EXPECT_TRUE(state->failed());
  EXPECT_EQ(state->durable_end(), offset(0));
  flush_job k;
  k.state = state;
  k.target = offset(6);
  k.files = {*f};
  fl.submit(std::move(k));
  fl.drain();
  EXPECT_EQ(state->durable_end(), offset(0));  // a later good fsync proves nothing
}

TEST(flusher, jobs_made_before_a_truncation_do_not_raise_durability) {
  auto state = std::make_shared<durability_state>();
  uint64_t gen = state->generation();
  state->truncated(offset(0));
  state->complete(offset(10), gen);
  EXPECT_EQ(state->durable_end(), offset(0));
  state->complete(offset(10), state->generation());
  EXPECT_EQ(state->durable_end(), offset(10));
}

}  // namespace
}  // namespace vltava::storage
