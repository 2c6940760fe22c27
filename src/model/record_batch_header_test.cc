#include "model/record_batch_header.h"

#include <gtest/gtest.h>

#include <vector>

#include "bytes/endian.h"

namespace vltava::model {
namespace {

// A header-only batch (no records) with the given fields and a valid CRC.
std::vector<std::byte> make_batch(int32_t records_bytes = 0) {
  std::vector<std::byte> b(batch_layout::header_size + records_bytes, std::byte{0x5A});
  record_batch_header h;
  h.base_offset = offset(0);
  h.batch_length = static_cast<int32_t>(b.size() - batch_layout::log_overhead);
  h.partition_leader_epoch = leader_epoch(-1);
  h.attributes = static_cast<int16_t>(compression::lz4);
  h.last_offset_delta = 2;
  h.first_timestamp = timestamp_ms(1000);
  h.max_timestamp = timestamp_ms(1002);
  h.producer = producer_id(-1);
  h.epoch = producer_epoch(-1);
  h.base_sequence = sequence(-1);
  h.record_count = 3;
  write_header(b, h);
  return b;
}

TEST(RecordBatchHeader, RoundTripAndValidate) {
  auto b = make_batch(10);
  auto h = validate_batch(b);
  ASSERT_TRUE(h) << describe(h.error());
  EXPECT_EQ(h->compression(), compression::lz4);
  EXPECT_EQ(h->record_count, 3);
  EXPECT_EQ(h->last_offset(), offset(2));
  EXPECT_EQ(h->size_bytes(), b.size());
  EXPECT_EQ(h->timestamp_type(), timestamp_type::create_time);
}

TEST(RecordBatchHeader, OffsetAndEpochRewriteKeepCrcValid) {
  auto b = make_batch();
  set_base_offset(b, offset(1'000'000));
  set_partition_leader_epoch(b, leader_epoch(7));
  auto h = validate_batch(b);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->base_offset, offset(1'000'000));
  EXPECT_EQ(h->last_offset(), offset(1'000'002));
  EXPECT_EQ(h->partition_leader_epoch, leader_epoch(7));
}

TEST(RecordBatchHeader, LogAppendTimeUpdatesCrc) {
  auto b = make_batch(4);
  set_log_append_time(b, timestamp_ms(99));
  auto h = validate_batch(b);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->timestamp_type(), timestamp_type::log_append_time);
  EXPECT_EQ(h->max_timestamp, timestamp_ms(99));
}

TEST(RecordBatchHeader, RejectsBadInput) {
  auto b = make_batch(8);
  EXPECT_EQ(validate_batch(std::span(b).first(60)).error(), batch_error::truncated);
  EXPECT_EQ(validate_batch(std::span(b).first(b.size() - 1)).error(), batch_error::truncated);

  auto longer = b;
  longer.push_back(std::byte{0});
  EXPECT_EQ(validate_batch(longer).error(), batch_error::length_mismatch);

  auto corrupt = b;
  corrupt.back() ^= std::byte{1};
  EXPECT_EQ(validate_batch(corrupt).error(), batch_error::bad_crc);

  auto magic = b;
  magic[batch_layout::magic] = std::byte{1};
  EXPECT_EQ(validate_batch(magic).error(), batch_error::bad_magic);

  auto small = b;
  bytes::store_be<int32_t>(small.data() + batch_layout::batch_length, 10);
  EXPECT_EQ(validate_batch(small).error(), batch_error::length_too_small);

  auto codec = b;
  bytes::store_be<int16_t>(codec.data() + batch_layout::attributes, 6);
  EXPECT_EQ(parse_header(codec).error(), batch_error::bad_compression);

  auto delta = b;
  bytes::store_be<int32_t>(delta.data() + batch_layout::last_offset_delta, 0);  // 3 records
  EXPECT_EQ(parse_header(delta).error(), batch_error::bad_offset_delta);
}

}  // namespace
}  // namespace vltava::model
