#include "model/record_batch_builder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vltava::model {
namespace {

bytes_view bv(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
std::string str(bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

const compression all_codecs[] = {compression::none, compression::gzip, compression::snappy,
                                  compression::lz4, compression::zstd};

std::vector<std::byte> must_build(const record_batch_builder& b) {
  auto r = b.build();
  EXPECT_TRUE(r);
  return r ? std::move(*r) : std::vector<std::byte>{};
}

// Validates the batch and reads its records back.
struct read_back {
  record_batch_header header;
  records_section section = records_section::borrowed({});
  std::vector<record> records;
};
read_back read(std::span<const std::byte> batch, size_t max_bytes = 8 << 20) {
  read_back out;
  auto h = validate_batch(batch);
  EXPECT_TRUE(h) << describe(h.error());
  if (!h) return out;
  out.header = *h;
  auto s = batch_records(batch, *h, max_bytes);
  EXPECT_TRUE(s) << describe(s.error());
  if (!s) return out;
  out.section = std::move(*s);
  auto recs = read_records(out.section.bytes(), h->record_count);
  EXPECT_TRUE(recs) << describe(recs.error());
  if (recs) out.records = std::move(*recs);
  return out;
}

TEST(RecordBatchBuilder, EveryCodecValidatesAndReadsBack) {
  for (compression c : all_codecs) {
    record_batch_builder b({.codec = c,
                            .base_offset = offset(100),
                            .producer = producer_id(42),
                            .epoch = producer_epoch(3),
                            .base_sequence = sequence(10)});
    const record_header h[] = {{bv("h1"), bv("v1")}};
    std::string big(5000, 'z');
    b.add(timestamp_ms(1'700'000'000'000), bv("k0"), bv("value zero"));
    b.add(timestamp_ms(1'699'999'999'000), std::nullopt, bv(big), h);  // earlier: negative delta
    b.add(timestamp_ms(1'700'000'000'500), bv("k2"), std::nullopt);
    auto batch = must_build(b);
    if (c != compression::none) {
      EXPECT_LT(batch.size(), b.uncompressed_size_bytes());
    }
    auto rb = read(batch);
    EXPECT_EQ(rb.header.compression(), c);
    EXPECT_EQ(rb.header.base_offset, offset(100));
    EXPECT_EQ(rb.header.last_offset(), offset(102));
    EXPECT_EQ(rb.header.record_count, 3);
    EXPECT_EQ(rb.header.first_timestamp, timestamp_ms(1'700'000'000'000));
    EXPECT_EQ(rb.header.max_timestamp, timestamp_ms(1'700'000'000'500));
    EXPECT_EQ(rb.header.producer, producer_id(42));
    EXPECT_EQ(rb.header.epoch, producer_epoch(3));
    EXPECT_EQ(rb.header.base_sequence, sequence(10));
    EXPECT_FALSE(rb.header.is_transactional());
    EXPECT_FALSE(rb.header.is_control());
    ASSERT_EQ(rb.records.size(), 3u);
    EXPECT_EQ(str(*rb.records[0].key), "k0");
    EXPECT_EQ(rb.records[1].timestamp_delta, -1'000);
    EXPECT_EQ(record_timestamp(rb.header, rb.records[1]), timestamp_ms(1'699'999'999'000));
    EXPECT_FALSE(rb.records[1].key);
    EXPECT_EQ(str(*rb.records[1].value), big);
    ASSERT_EQ(rb.records[1].headers.size(), 1u);
    EXPECT_EQ(str(rb.records[1].headers[0].key), "h1");
    EXPECT_EQ(rb.records[2].offset_delta, 2);
    EXPECT_FALSE(rb.records[2].value);
  }
}

TEST(RecordBatchBuilder, RawSnappyFramingAlsoReads) {
  record_batch_builder b({.codec = compression::snappy, .snappy = bytes::snappy_framing::raw});
  b.add(timestamp_ms(5), bv("k"), bv("v"));
  auto rb = read(must_build(b));
  ASSERT_EQ(rb.records.size(), 1u);
  EXPECT_EQ(str(*rb.records[0].value), "v");
}

TEST(RecordBatchBuilder, TransactionalGapsAndLogAppendTime) {
  record_batch_builder b(
      {.transactional = is_transactional::yes, .timestamps = timestamp_type::log_append_time});
  b.add_at(0, timestamp_ms(10), bv("a"), bv("1"));
  b.add_at(5, timestamp_ms(20), bv("b"), bv("2"));
  auto rb = read(must_build(b));
  EXPECT_TRUE(rb.header.is_transactional());
  EXPECT_EQ(rb.header.timestamp_type(), timestamp_type::log_append_time);
  EXPECT_EQ(rb.header.last_offset_delta, 5);
  EXPECT_EQ(rb.header.record_count, 2);
  ASSERT_EQ(rb.records.size(), 2u);
  EXPECT_EQ(rb.records[1].offset_delta, 5);
  EXPECT_EQ(record_timestamp(rb.header, rb.records[0]), timestamp_ms(20));
}

TEST(RecordBatchBuilder, EmptyBatchIsValid) {
  for (compression c : all_codecs) {
    record_batch_builder b({.codec = c});
    auto rb = read(must_build(b));
    EXPECT_EQ(rb.header.record_count, 0);
    EXPECT_TRUE(rb.records.empty());
  }
}

TEST(RecordBatchBuilder, DecompressionBoundApplies) {
  for (compression c : all_codecs) {
    record_batch_builder b({.codec = c});
    b.add(timestamp_ms(0), std::nullopt, bv(std::string(100'000, 'a')));
    auto batch = must_build(b);
    auto h = validate_batch(batch);
    ASSERT_TRUE(h);
    auto s = batch_records(batch, *h, 50'000);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), record_error::uncompressed_too_large);
  }
}

TEST(RecordBatchBuilder, CorruptCompressedSectionIsAnError) {
  record_batch_builder b({.codec = compression::zstd});
  b.add(timestamp_ms(0), bv("k"), bv("v"));
  auto batch = must_build(b);
  batch[batch_layout::header_size] ^= std::byte{0xFF};  // zstd magic
  write_header(batch, *parse_header(batch));            // re-seal the CRC
  auto h = validate_batch(batch);
  ASSERT_TRUE(h);
  auto s = batch_records(batch, *h, 1 << 20);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), record_error::bad_compressed_data);
}

TEST(RecordBatchBuilder, ControlBatchRoundTrip) {
  for (auto type : {control_record_type::commit, control_record_type::abort}) {
    auto batch = build_end_txn_marker({.type = type,
                                       .coordinator_epoch = 17,
                                       .producer = producer_id(9000),
                                       .epoch = producer_epoch(2),
                                       .base_offset = offset(55),
                                       .timestamp = timestamp_ms(123456)});
    auto rb = read(batch);
    EXPECT_TRUE(rb.header.is_control());
    EXPECT_TRUE(rb.header.is_transactional());
    EXPECT_EQ(rb.header.producer, producer_id(9000));
    EXPECT_EQ(rb.header.epoch, producer_epoch(2));
    EXPECT_EQ(rb.header.base_sequence, sequence(-1));
    EXPECT_EQ(rb.header.base_offset, offset(55));
    ASSERT_EQ(rb.records.size(), 1u);
    auto key = parse_control_key(rb.records[0]);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->version, 0);
    EXPECT_EQ(key->type, static_cast<int16_t>(type));
    auto marker = parse_end_txn_marker(rb.records[0]);
    ASSERT_TRUE(marker);
    EXPECT_EQ(marker->version, 0);
    EXPECT_EQ(marker->coordinator_epoch, 17);
    // As Kafka's: a 17-byte record (length, attributes, deltas, 4-byte key, 6-byte value).
    EXPECT_EQ(batch.size(), batch_layout::header_size + 17);
  }
}

std::string hex(std::span<const std::byte> b) {
  std::string s;
  char buf[4];
  for (auto x : b) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned>(x));
    s += buf;
  }
  return s;
}

// The worked example of docs/formats/record-batch.md, byte for byte.
TEST(RecordBatchBuilder, DocumentedExample) {
  record_batch_builder b({.base_offset = offset(0), .partition_leader_epoch = leader_epoch(0)});
  const record_header h[] = {{bv("h"), bv("x")}};
  b.add(timestamp_ms(1'700'000'000'000), bv("key"), bv("hello"), h);
  b.add(timestamp_ms(1'699'999'999'999), std::nullopt, bv("hi"));
  auto batch = must_build(b);
  EXPECT_EQ(hex(batch),
            "0000000000000000"  // base offset 0
            "0000004d"          // batch length 77 (89 bytes in all)
            "00000000"          // partition leader epoch 0
            "02"                // magic 2
            "e5808517"          // CRC32C of attributes..end
            "0000"              // attributes
            "00000001"          // last offset delta
            "0000018bcfe56800"  // first timestamp
            "0000018bcfe56800"  // max timestamp
            "ffffffffffffffff"  // producer id -1
            "ffff"              // producer epoch -1
            "ffffffff"          // base sequence -1
            "00000002"          // record count
            // record 0: length 18, attributes, timestamp delta 0, offset delta 0,
            // key "key", value "hello", 1 header "h" = "x"
            "24"
            "00"
            "00"
            "00"
            "06"
            "6b6579"
            "0a"
            "68656c6c6f"
            "02"
            "02"
            "68"
            "02"
            "78"
            // record 1: length 8, attributes, timestamp delta -1, offset delta 1,
            // null key, value "hi", no headers
            "10"
            "00"
            "01"
            "02"
            "01"
            "04"
            "6869"
            "00");
}

// Seeds for the record_batch_fuzz corpus, one batch per codec plus a marker:
//   VLTAVA_WRITE_CORPUS=tests/fuzz/corpus/record_batch_fuzz build/.../model_test
TEST(RecordBatchBuilder, WriteFuzzSeeds) {
  const char* dir = std::getenv("VLTAVA_WRITE_CORPUS");
  if (dir == nullptr) GTEST_SKIP() << "set VLTAVA_WRITE_CORPUS to write the seeds";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, std::span<const std::byte> b) {
    std::ofstream f(std::filesystem::path(dir) / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  const char* names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  for (compression c : all_codecs) {
    record_batch_builder b({.codec = c});
    const record_header h[] = {{bv("h"), bv("x")}};
    b.add(timestamp_ms(1000), bv("key"), bv("value value value"), h);
    b.add(timestamp_ms(999), std::nullopt, std::nullopt);
    write(std::string("batch_") + names[static_cast<int>(c)], must_build(b));
  }
  write("control_commit", build_end_txn_marker({.producer = producer_id(1),
                                                .epoch = producer_epoch(0),
                                                .timestamp = timestamp_ms(1)}));
}

}  // namespace
}  // namespace vltava::model
