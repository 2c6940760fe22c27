// Recovery on open: torn tails, corruption before the tail, missing indexes, leftovers.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "storage/log_test_fixture.h"

namespace vltava::storage {
namespace {
using model::offset;
namespace layout = model::batch_layout;

class recovery_test : public testing::log_fixture {
 protected:
  void write_at(const std::string& name, uint64_t pos, std::span<const std::byte> b) {
    int fd = ::open((dir + "/" + name).c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, b.data(), b.size(), static_cast<off_t>(pos)),
              static_cast<ssize_t>(b.size()));
    ::close(fd);
  }
  void touch(const std::string& name) { std::ofstream(dir + "/" + name) << "x"; }
};

constexpr uint64_t batch_bytes = layout::header_size + 100;

TEST_F(recovery_test, crash_without_close_keeps_everything_written) {
  auto l = open_log();
  for (int i = 0; i < 10; ++i) append(*l);
  auto before = l->read_bytes(offset(0), 1 << 20);
  l.reset();  // no close: like kill -9
  auto again = open_log();
  EXPECT_FALSE(again->recovery().clean_shutdown);
  EXPECT_EQ(again->recovery().segments_scanned, 1u);
  EXPECT_EQ(again->log_end_offset(), offset(50));
  EXPECT_EQ(*again->read_bytes(offset(0), 1 << 20), *before);
  flush.drain();  // recovered bytes are synced by the flusher
  EXPECT_EQ(again->durable_end(), offset(50));
}

TEST_F(recovery_test, torn_tail_is_truncated_and_reported) {
  auto l = open_log();
  for (int i = 0; i < 3; ++i) append(*l);
  l.reset();
  // Half a batch at the end, as a crash in the middle of a write leaves it.
  auto b = testing::make_batch(5, 100, 1);
  write_at("00000000000000000000.log", 3 * batch_bytes, std::span(b).first(80));
  auto again = open_log();
  EXPECT_EQ(again->log_end_offset(), offset(15));
  EXPECT_EQ(again->recovery().bytes_truncated, 80u);
  ASSERT_TRUE(again->recovery().truncation);
  EXPECT_NE(again->recovery().truncation->find("topic topic partition 3"), std::string::npos);
  EXPECT_EQ(file_size("00000000000000000000.log"), 3 * batch_bytes);
  EXPECT_EQ(append(*again).base_offset, offset(15));
}

TEST_F(recovery_test, torn_tail_with_a_complete_but_bad_last_batch) {
  auto l = open_log();
  for (int i = 0; i < 3; ++i) append(*l);
  l.reset();
  write_at("00000000000000000000.log", 3 * batch_bytes - 1, std::vector<std::byte>{std::byte{7}});
  auto again = open_log();
  EXPECT_EQ(again->log_end_offset(), offset(10));
  EXPECT_EQ(again->recovery().bytes_truncated, batch_bytes);
}

TEST_F(recovery_test, corruption_before_the_tail_is_reported_not_dropped) {
  auto l = open_log();
  for (int i = 0; i < 3; ++i) append(*l);
  l.reset();
  // Flip a payload byte of the first batch: valid batches follow, so this is no torn write.
  write_at("00000000000000000000.log", 100, std::vector<std::byte>{std::byte{0xEE}});
  auto again = log::open(io, flush, dir, {"topic", model::partition_id(3)}, cfg);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::corrupt);
  const auto& m = again.error().message;
  EXPECT_NE(m.find("topic topic partition 3"), std::string::npos) << m;
  EXPECT_NE(m.find("00000000000000000000.log byte 0"), std::string::npos) << m;
  EXPECT_NE(m.find("CRC32C"), std::string::npos) << m;
}

TEST_F(recovery_test, torn_tail_deletes_later_segments_only_after_it) {
  cfg.segment_bytes = 1000;
  auto l = open_log();
  for (int i = 0; i < 20; ++i) append(*l);
  auto bases = l->segment_bases();
  l.reset();
  std::string last = format::segment_name(bases.back()) + ".log";
  auto size = file_size(last);
  write_at(last, size - 3, std::vector<std::byte>(3, std::byte{0}));
  auto again = open_log();
  EXPECT_EQ(again->log_end_offset(), offset(95));
  EXPECT_EQ(again->segment_bases(), bases);
}

TEST_F(recovery_test, only_segments_from_the_recovery_point_are_scanned) {
  cfg.segment_bytes = 1000;
  auto l = open_log();
  for (int i = 0; i < 20; ++i) append(*l);
  size_t segments = l->segment_count();
  flush.drain();  // roll checkpoints are written by the flusher
  l.reset();
  auto again = open_log();
  EXPECT_LT(again->recovery().segments_scanned, segments);
  EXPECT_GE(again->recovery().segments_scanned, 1u);
  EXPECT_EQ(again->log_end_offset(), offset(100));
}

TEST_F(recovery_test, missing_checkpoint_scans_everything) {
  cfg.segment_bytes = 1000;
  auto l = open_log();
  for (int i = 0; i < 20; ++i) append(*l);
  size_t segments = l->segment_count();
  flush.drain();
  l.reset();
  ASSERT_TRUE(io.unlink(dir + "/partition.checkpoint"));
  auto again = open_log();
  EXPECT_EQ(again->recovery().segments_scanned, segments);
  EXPECT_EQ(again->log_end_offset(), offset(100));
}

TEST_F(recovery_test, corrupt_or_missing_indexes_are_rebuilt) {
  cfg.segment_bytes = 4000;
  cfg.index_interval_bytes = 200;
  auto l = open_log();
  for (int i = 0; i < 60; ++i) append(*l, 5, 100, i);
  auto before = l->read_bytes(offset(0), 1 << 20);
  ASSERT_TRUE(l->close());
  l.reset();
  auto bases = std::vector<offset>{};
  {
    auto probe = open_log();
    bases = probe->segment_bases();
    ASSERT_TRUE(probe->close());
  }
  ASSERT_GE(bases.size(), 3u);
  ASSERT_TRUE(io.unlink(dir + "/" + format::segment_name(bases[0]) + ".index"));
  write_at(format::segment_name(bases[1]) + ".index", 0,
           std::vector<std::byte>(8, std::byte{0xFF}));
  write_at(format::segment_name(bases.back()) + ".timeindex", 0,
           std::vector<std::byte>(5, std::byte{0x01}));
  auto again = open_log();
  EXPECT_TRUE(again->recovery().clean_shutdown);
  EXPECT_EQ(*again->read_bytes(offset(0), 1 << 20), *before);
  for (int o = 0; o < 300; o += 13) {
    EXPECT_EQ(again->read(offset(o), 1)->next_offset, offset(o / 5 * 5 + 5));
  }
  auto ts = again->find_offset_by_timestamp(33);
  EXPECT_EQ((*ts)->base_offset, offset(165));
}

TEST_F(recovery_test, leftovers_of_interrupted_work_are_removed) {
  auto l = open_log();
  append(*l);
  l.reset();
  touch("00000000000000000000.log.deleted");
  touch("00000000000000000007.log.cleaned");
  touch("partition.checkpoint.tmp");
  touch("00000000000000000099.index");  // no .log: orphan
  touch("00000000000000000099.timeindex");
  auto again = open_log();
  EXPECT_EQ(files(),
            (std::vector<std::string>{"00000000000000000000.log", "partition.checkpoint"}));
  EXPECT_EQ(again->log_end_offset(), offset(5));
}

TEST_F(recovery_test, corrupt_checkpoint_means_a_full_scan) {
  auto l = open_log();
  append(*l);
  ASSERT_TRUE(l->close());
  l.reset();
  write_at("partition.checkpoint", 8, std::vector<std::byte>{std::byte{0x42}});
  auto again = open_log();
  EXPECT_FALSE(again->recovery().clean_shutdown);
  EXPECT_EQ(again->recovery().segments_scanned, 1u);
  EXPECT_EQ(again->log_end_offset(), offset(5));
}

TEST(checkpoint, round_trip_and_crc) {
  partition_checkpoint c{offset(123), offset(45)};
  auto b = encode_checkpoint(c);
  EXPECT_EQ(b.size(), format::checkpoint_size);
  auto back = decode_checkpoint(b);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->recovery_point, offset(123));
  EXPECT_EQ(back->log_start, offset(45));
  b[10] ^= std::byte{1};
  EXPECT_FALSE(decode_checkpoint(b));
}

}  // namespace
}  // namespace vltava::storage
