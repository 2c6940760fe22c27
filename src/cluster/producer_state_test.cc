#include "cluster/producer_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;
using kind = sequence_verdict::kind;

model::record_batch_header header(int64_t pid, int16_t epoch, int32_t seq, int32_t records,
                                  int64_t base_offset = 0, int64_t ts = 1000) {
  model::record_batch_header h;
  h.base_offset = model::offset(base_offset);
  h.last_offset_delta = records - 1;
  h.record_count = records;
  h.producer = model::producer_id(pid);
  h.epoch = model::producer_epoch(epoch);
  h.base_sequence = model::sequence(seq);
  h.first_timestamp = model::timestamp_ms(ts);
  h.max_timestamp = model::timestamp_ms(ts);
  return h;
}

TEST(ProducerState, LastSequenceWrapsAtInt32Max) {
  constexpr int32_t max = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(last_sequence_of(model::sequence(0), 4), model::sequence(4));
  EXPECT_EQ(last_sequence_of(model::sequence(max), 0), model::sequence(max));
  EXPECT_EQ(last_sequence_of(model::sequence(max), 1), model::sequence(0));
  EXPECT_EQ(last_sequence_of(model::sequence(max - 2), 5), model::sequence(2));
}

TEST(ProducerState, UnknownProducerStartsAnywhere) {
  EXPECT_EQ(check_batch(nullptr, header(7, 0, 0, 1)).what, kind::append);
  EXPECT_EQ(check_batch(nullptr, header(7, 3, 1234, 1)).what, kind::append);
  auto bad = check_batch(nullptr, header(7, 0, -1, 1));
  EXPECT_EQ(bad.what, kind::refuse);
  EXPECT_EQ(bad.error, error_code::invalid_record);
}

TEST(ProducerState, SequenceRules) {
  producer_state s;
  s.apply(header(7, 0, 0, 5, 100));  // seq 0..4 at offsets 100..104
  const producer_entry* e = s.find(model::producer_id(7));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->last_seq(), model::sequence(4));
  EXPECT_EQ(check_batch(e, header(7, 0, 5, 3)).what, kind::append);
  auto gap = check_batch(e, header(7, 0, 6, 1));
  EXPECT_EQ(gap.what, kind::refuse);
  EXPECT_EQ(gap.error, error_code::out_of_order_sequence_number);
  auto behind = check_batch(e, header(7, 0, 2, 1));  // overlaps, not an exact duplicate
  EXPECT_EQ(behind.error, error_code::out_of_order_sequence_number);
  auto dup = check_batch(e, header(7, 0, 0, 5));
  ASSERT_EQ(dup.what, kind::duplicate);
  EXPECT_EQ(dup.original.first_offset, model::offset(100));
  EXPECT_EQ(dup.original.last_offset, model::offset(104));
  // Older epoch: fenced. Newer epoch: must start at 0.
  s.apply(header(7, 2, 0, 1, 105));
  e = s.find(model::producer_id(7));
  auto old = check_batch(e, header(7, 1, 1, 1));
  EXPECT_EQ(old.error, error_code::invalid_producer_epoch);
  auto newer = check_batch(e, header(7, 3, 1, 1));
  EXPECT_EQ(newer.error, error_code::out_of_order_sequence_number);
  EXPECT_EQ(check_batch(e, header(7, 3, 0, 1)).what, kind::append);
  // The old epoch's batches are forgotten: a retry of them is fenced, not a duplicate.
  EXPECT_EQ(check_batch(e, header(7, 0, 0, 5)).error, error_code::invalid_producer_epoch);
}

TEST(ProducerState, FiveBatchWindow) {
  producer_state s;
  for (int i = 0; i < 7; ++i) s.apply(header(9, 0, i * 2, 2, 10 * i));
  const producer_entry* e = s.find(model::producer_id(9));
  ASSERT_EQ(e->batches.size(), producer_batches_kept);
  // Batches 2..6 are remembered; 0 and 1 fell out of the window.
  for (int i = 2; i < 7; ++i) {
    auto v = check_batch(e, header(9, 0, i * 2, 2));
    ASSERT_EQ(v.what, kind::duplicate) << i;
    EXPECT_EQ(v.original.first_offset, model::offset(10 * i));
  }
  EXPECT_EQ(check_batch(e, header(9, 0, 0, 2)).error, error_code::out_of_order_sequence_number);
  EXPECT_EQ(check_batch(e, header(9, 0, 14, 1)).what, kind::append);
}

TEST(ProducerState, SequenceContinuesAcrossTheWrap) {
  constexpr int32_t max = std::numeric_limits<int32_t>::max();
  producer_state s;
  s.apply(header(1, 0, max - 1, 4, 0));  // max-1, max, 0, 1
  const producer_entry* e = s.find(model::producer_id(1));
  EXPECT_EQ(e->last_seq(), model::sequence(1));
  EXPECT_EQ(check_batch(e, header(1, 0, 2, 1)).what, kind::append);
  EXPECT_EQ(check_batch(e, header(1, 0, max - 1, 4)).what, kind::duplicate);
  producer_state t;
  t.apply(header(1, 0, max - 1, 2, 0));  // ends exactly at max
  EXPECT_EQ(check_batch(t.find(model::producer_id(1)), header(1, 0, 0, 1)).what, kind::append);
}

TEST(ProducerState, ExpiryAndBound) {
  producer_state s;
  s.apply(header(1, 0, 0, 1, 0, 1'000));
  s.apply(header(2, 0, 0, 1, 1, 50'000));
  EXPECT_EQ(s.expire(60'000, 30'000), 1u);
  EXPECT_EQ(s.find(model::producer_id(1)), nullptr);
  EXPECT_NE(s.find(model::producer_id(2)), nullptr);
}

TEST(ProducerState, SnapshotRoundTripAndCorruption) {
  producer_state s;
  for (int p = 0; p < 20; ++p) {
    for (int i = 0; i < p % 8; ++i) s.apply(header(p, int16_t(p % 3), i, 1, p * 100 + i, p + i));
  }
  auto bytes = s.encode();
  auto back = producer_state::decode(bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->encode(), bytes);
  for (size_t cut : {size_t{0}, size_t{5}, bytes.size() - 1}) {
    EXPECT_FALSE(producer_state::decode(std::span(bytes).first(cut)).has_value()) << cut;
  }
  auto flipped = bytes;
  flipped[bytes.size() / 2] ^= std::byte{1};
  EXPECT_FALSE(producer_state::decode(flipped).has_value());
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(producer_state::decode(longer).has_value());
}

TEST(ProducerState, SnapshotFilesLoadNewestValidAndPrune) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  producer_state a, b, c;
  a.apply(header(1, 0, 0, 1, 0));
  b.apply(header(1, 0, 1, 1, 10));
  c.apply(header(1, 0, 2, 1, 20));
  ASSERT_TRUE(
      write_snapshot(io, dir.path(), model::offset(10), a, snapshot_sync::none).has_value());
  ASSERT_TRUE(
      write_snapshot(io, dir.path(), model::offset(20), b, snapshot_sync::durable).has_value());
  ASSERT_TRUE(
      write_snapshot(io, dir.path(), model::offset(30), c, snapshot_sync::none).has_value());
  EXPECT_TRUE(std::filesystem::exists(dir.sub("00000000000000000020.snapshot")));
  // A torn newest snapshot, and one above the log end (its batches were lost).
  { std::ofstream(snapshot_path(dir.path(), model::offset(25)), std::ios::binary) << "torn"; }
  size_t skipped = 0;
  auto l = load_snapshot(io, dir.path(), model::offset(27), &skipped);
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(l->has_value());
  EXPECT_EQ((*l)->offset, model::offset(20));
  EXPECT_EQ((*l)->state, b);
  EXPECT_EQ(skipped, 1u);
  auto left = list_snapshots(io, dir.path());
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, (std::vector<model::offset>{model::offset(10), model::offset(20)}));
  auto pruned = prune_snapshots(io, dir.path(), model::offset(15), 3);
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(*pruned, 1u);
  // The newest stays even below the log start.
  EXPECT_EQ(*prune_snapshots(io, dir.path(), model::offset(100), 3), 0u);
  EXPECT_EQ(list_snapshots(io, dir.path())->size(), 1u);
}

}  // namespace
}  // namespace vltava::cluster
