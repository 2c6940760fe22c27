// Idempotent produce through a partition: dedup with the original offsets, sequence and epoch
// errors, and producer state that survives a clean close and a crash (snapshots + log replay).

#include <gtest/gtest.h>

#include <filesystem>

#include "cluster/partition.h"
#include "cluster/test_node.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;

std::vector<std::byte> idem_batch(int64_t pid, int16_t epoch, int32_t seq, int n,
                                  const std::string& tag = "v") {
  model::batch_options o;
  o.producer = model::producer_id(pid);
  o.epoch = model::producer_epoch(epoch);
  o.base_sequence = model::sequence(seq);
  model::record_batch_builder b(o);
  int64_t ts = testing::now_ms();
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(seq + i), v = tag + std::to_string(seq + i);
    b.add(model::timestamp_ms(ts), std::as_bytes(std::span(k)), std::as_bytes(std::span(v)));
  }
  return b.build().value();
}

class PartitionIdempotence : public ::testing::Test {
 protected:
  std::unique_ptr<partition> open(int64_t segment_bytes = 1 << 20) {
    partition_settings s;
    s.log.segment_bytes = segment_bytes;
    auto l = storage::log::open(io, flusher, dir, {"t", model::partition_id(0)}, s.log);
    EXPECT_TRUE(l.has_value()) << l.error().message;
    return std::make_unique<partition>(ctx, protocol::uuid{}, std::move(*l), s);
  }
  append_outcome write(partition& p, std::vector<std::byte> b) { return p.write(b); }
  size_t snapshots() {
    auto s = list_snapshots(io, dir);
    return s ? s->size() : 0;
  }

  storage::testing::temp_dir tmp;
  storage::posix_io io;
  storage::flusher flusher{io};
  asio::io_context ctx;
  std::string dir = tmp.sub("t-0");
};

TEST_F(PartitionIdempotence, DuplicateGetsOriginalOffsets) {
  auto p = open();
  auto first = write(*p, idem_batch(5, 0, 0, 3));
  ASSERT_EQ(first.error, error_code::none) << first.message;
  EXPECT_EQ(first.base_offset, model::offset(0));
  ASSERT_EQ(write(*p, testing::batch(2, testing::now_ms())).error, error_code::none);
  auto second = write(*p, idem_batch(5, 0, 3, 2));
  ASSERT_EQ(second.error, error_code::none);
  EXPECT_EQ(second.base_offset, model::offset(5));

  auto dup = write(*p, idem_batch(5, 0, 0, 3));
  EXPECT_EQ(dup.error, error_code::none);
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.base_offset, model::offset(0));
  EXPECT_EQ(dup.last_offset, model::offset(2));
  EXPECT_EQ(p->log_end_offset(), model::offset(7));

  EXPECT_EQ(write(*p, idem_batch(5, 0, 6, 1)).error, error_code::out_of_order_sequence_number);
  EXPECT_EQ(write(*p, idem_batch(5, 1, 3, 1)).error, error_code::out_of_order_sequence_number);
  ASSERT_EQ(write(*p, idem_batch(5, 1, 0, 1)).error, error_code::none);
  EXPECT_EQ(write(*p, idem_batch(5, 0, 5, 1)).error, error_code::invalid_producer_epoch);
  // Another producer is independent; an unknown one may start anywhere (Kafka 2.5+).
  EXPECT_EQ(write(*p, idem_batch(6, 0, 42, 1)).error, error_code::none);
  EXPECT_EQ(p->log_end_offset(), model::offset(9));
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionIdempotence, SequenceRulesApplyWithinOneAppend) {
  auto p = open();
  auto two = idem_batch(5, 0, 0, 2);
  auto next = idem_batch(5, 0, 2, 2);
  two.insert(two.end(), next.begin(), next.end());
  auto ok = write(*p, two);
  ASSERT_EQ(ok.error, error_code::none) << ok.message;
  EXPECT_EQ(ok.last_offset, model::offset(3));
  auto gap = idem_batch(5, 0, 4, 1);
  auto after_gap = idem_batch(5, 0, 6, 1);
  gap.insert(gap.end(), after_gap.begin(), after_gap.end());
  EXPECT_EQ(write(*p, gap).error, error_code::out_of_order_sequence_number);
  EXPECT_EQ(p->log_end_offset(), model::offset(4));  // nothing of the refused append
  EXPECT_TRUE(write(*p, idem_batch(5, 0, 2, 2)).duplicate);
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionIdempotence, StateSurvivesCleanClose) {
  {
    auto p = open();
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(write(*p, idem_batch(9, 2, i * 10, 10)).error, error_code::none);
    ASSERT_TRUE(p->close().has_value());
  }
  EXPECT_TRUE(std::filesystem::exists(snapshot_path(dir, model::offset(40))));
  auto p = open();
  const producer_entry* e = p->producers().find(model::producer_id(9));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->epoch, model::producer_epoch(2));
  EXPECT_EQ(e->last_seq(), model::sequence(39));
  auto dup = write(*p, idem_batch(9, 2, 10, 10));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.base_offset, model::offset(10));
  EXPECT_EQ(write(*p, idem_batch(9, 2, 41, 1)).error, error_code::out_of_order_sequence_number);
  EXPECT_EQ(write(*p, idem_batch(9, 2, 40, 1)).error, error_code::none);
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionIdempotence, StateSurvivesCrashFromRollSnapshotsAndLog) {
  producer_state before;
  {
    // Small segments: several rolls, each leaving a snapshot; then a "crash" (no close).
    auto p = open(2048);
    for (int i = 0; i < 60; ++i) {
      ASSERT_EQ(write(*p, idem_batch(100 + i % 3, 0, (i / 3) * 2, 2)).error, error_code::none);
    }
    ASSERT_TRUE(p->log().flush_and_wait().has_value());
    EXPECT_GE(p->log().segment_count(), 3u);
    EXPECT_GE(snapshots(), 1u);
    EXPECT_LE(snapshots(), 3u);  // older ones pruned
    before = p->producers();
  }
  {
    auto p = open(2048);
    EXPECT_EQ(p->producers(), before);
    auto dup = write(*p, idem_batch(101, 0, 38, 2));  // the last batch of producer 101
    EXPECT_TRUE(dup.duplicate);
    EXPECT_EQ(dup.base_offset, model::offset(116));
    EXPECT_EQ(write(*p, idem_batch(101, 0, 40, 1)).error, error_code::none);
  }
  // Without any snapshot the whole log is replayed.
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".snapshot") std::filesystem::remove(e.path());
  }
  auto p = open(2048);
  const producer_entry* e = p->producers().find(model::producer_id(101));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->last_seq(), model::sequence(40));
  EXPECT_TRUE(write(*p, idem_batch(100, 0, 36, 2)).duplicate);
  ASSERT_TRUE(p->close().has_value());
}

}  // namespace
}  // namespace vltava::cluster
