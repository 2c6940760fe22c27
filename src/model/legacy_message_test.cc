#include "model/legacy_message.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bytes/compression.h"
#include "bytes/endian.h"
#include "model/record.h"

namespace vltava::model {
namespace {

using bytes::store_be;

std::string str(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

const legacy_limits limits{.max_uncompressed_bytes = 1 << 20, .max_messages = 1000};

// One message written by hand from the documented layout:
// offset int64, size int32, crc uint32, magic int8, attributes int8, [timestamp int64],
// key int32-length bytes, value int32-length bytes.
std::vector<std::byte> message(int8_t magic, int64_t off, std::optional<std::string> key,
                               std::optional<std::string> value, int8_t attributes = 0,
                               int64_t ts = 0) {
  std::vector<std::byte> m(legacy_layout::magic);
  m.push_back(static_cast<std::byte>(magic));
  m.push_back(static_cast<std::byte>(attributes));
  auto put32 = [&](int32_t v) {
    m.resize(m.size() + 4);
    store_be<int32_t>(m.data() + m.size() - 4, v);
  };
  if (magic == 1) {
    m.resize(m.size() + 8);
    store_be<int64_t>(m.data() + m.size() - 8, ts);
  }
  for (const auto& field : {key, value}) {
    put32(field ? static_cast<int32_t>(field->size()) : -1);
    if (field) {
      for (char c : *field) m.push_back(static_cast<std::byte>(c));
    }
  }
  store_be<int64_t>(m.data(), off);
  store_be<int32_t>(m.data() + 8, static_cast<int32_t>(m.size() - legacy_layout::log_overhead));
  const auto crc = crc32(0, reinterpret_cast<const Bytef*>(m.data() + legacy_layout::magic),
                         static_cast<uInt>(m.size() - legacy_layout::magic));
  store_be<uint32_t>(m.data() + legacy_layout::crc, static_cast<uint32_t>(crc));
  return m;
}

std::vector<std::byte> concat(std::initializer_list<std::vector<std::byte>> parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string as_string(const std::vector<std::byte>& b) {
  return str(b);
}

// A compressed wrapper message holding `inner` (a message set) compressed with `c`.
std::vector<std::byte> wrapper(int8_t magic, int64_t off, bytes::codec c,
                               const std::vector<std::byte>& inner, int8_t extra_attributes = 0,
                               int64_t ts = 0) {
  auto z = bytes::compress(c, inner);
  EXPECT_TRUE(z);
  if (c == bytes::codec::lz4 && magic == 0) {
    // Kafka v0 producers wrote the LZ4 header checksum over the magic number too.
    const uint32_t h = bytes::xxhash32(std::span(*z).first(6), 0);
    (*z)[6] = static_cast<std::byte>((h >> 8) & 0xFF);
  }
  return message(magic, off, std::nullopt, as_string(*z),
                 static_cast<int8_t>(static_cast<int>(c) | extra_attributes), ts);
}

TEST(LegacyMessage, LayoutOfAHandBuiltV0Message) {
  auto m = message(0, 7, "k", "v");
  // 12 bytes offset+size, crc 4, magic 1, attributes 1, key 4+1, value 4+1.
  EXPECT_EQ(m.size(), 12u + 4 + 1 + 1 + 5 + 5);
  EXPECT_EQ(peek_magic(m), 0);
}

TEST(LegacyMessage, DecodesV0AndV1) {
  auto set = concat({message(0, 0, "k0", "v0"), message(0, 1, std::nullopt, "v1"),
                     message(1, 2, "k2", std::nullopt, 0, 1'600'000'000'000),
                     message(1, 3, "k3", "v3", legacy_attribute::timestamp_type, 42)});
  auto r = decode_message_set(set, limits);
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_EQ(r->messages.size(), 4u);
  const auto& m = r->messages;
  EXPECT_EQ(m[0].magic, 0);
  EXPECT_EQ(m[0].message_offset, offset(0));
  EXPECT_EQ(str(*m[0].key), "k0");
  EXPECT_EQ(str(*m[0].value), "v0");
  EXPECT_EQ(m[0].timestamp, timestamp_ms(-1));
  EXPECT_FALSE(m[1].key);
  EXPECT_EQ(m[2].magic, 1);
  EXPECT_EQ(m[2].timestamp, timestamp_ms(1'600'000'000'000));
  EXPECT_FALSE(m[2].value);
  EXPECT_EQ(m[3].ts_type, timestamp_type::log_append_time);
  EXPECT_TRUE(decode_message_set({}, limits));
}

TEST(LegacyMessage, BadCrcIsRefused) {
  auto m = message(1, 0, "key", "value");
  m.back() ^= std::byte{1};
  auto r = decode_message_set(m, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), legacy_error::bad_crc);
  auto c = message(0, 0, "key", "value");
  c[legacy_layout::crc] ^= std::byte{0x80};
  r = decode_message_set(c, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), legacy_error::bad_crc);
}

TEST(LegacyMessage, StructuralErrors) {
  auto expect = [](const std::vector<std::byte>& b, legacy_error e) {
    auto r = decode_message_set(b, limits);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), e) << describe(r.error());
  };
  auto m = message(0, 0, "k", "v");
  expect(std::vector<std::byte>(m.begin(), m.end() - 1), legacy_error::truncated);
  expect(std::vector<std::byte>(m.begin(), m.begin() + 10), legacy_error::truncated);
  expect(message(2, 0, "k", "v"), legacy_error::bad_magic);
  expect(message(0, 0, "k", "v", 4), legacy_error::bad_compression);  // zstd needs magic 2
  auto small = m;
  store_be<int32_t>(small.data() + 8, 3);
  expect(small, legacy_error::bad_size);
  // A key length of -2, re-sealed with a valid CRC.
  auto bad_key = message(0, 0, "k", "v");
  store_be<int32_t>(bad_key.data() + legacy_layout::key_v0, -2);
  const auto crc = crc32(0, reinterpret_cast<const Bytef*>(bad_key.data() + 16),
                         static_cast<uInt>(bad_key.size() - 16));
  store_be<uint32_t>(bad_key.data() + 12, static_cast<uint32_t>(crc));
  expect(bad_key, legacy_error::bad_key_length);
}

TEST(LegacyMessage, CompressedWrappersEveryLegacyCodec) {
  for (auto c : {bytes::codec::gzip, bytes::codec::snappy, bytes::codec::lz4}) {
    for (int8_t magic : {0, 1}) {
      // v1 inner offsets are relative (0..2); the wrapper holds the last absolute offset.
      const int64_t inner_base = magic == 1 ? 0 : 100;
      auto inner = concat({message(magic, inner_base + 0, "a", "1", 0, 5),
                           message(magic, inner_base + 1, std::nullopt, "2", 0, 6),
                           message(magic, inner_base + 2, "c", std::nullopt, 0, 7)});
      auto set = concat({message(magic, 99, "plain", "x"), wrapper(magic, 102, c, inner)});
      auto r = decode_message_set(set, limits);
      ASSERT_TRUE(r) << "codec " << static_cast<int>(c) << " magic " << int{magic} << ": "
                     << describe(r.error());
      ASSERT_EQ(r->messages.size(), 4u);
      EXPECT_EQ(r->inflated.size(), 1u);
      for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(r->messages[1 + i].message_offset, offset(100 + i));
        EXPECT_EQ(r->messages[1 + i].attributes, 0);
      }
      EXPECT_EQ(str(*r->messages[1].key), "a");
      EXPECT_FALSE(r->messages[2].key);
      EXPECT_EQ(str(*r->messages[2].value), "2");
      EXPECT_FALSE(r->messages[3].value);
      if (magic == 1) {
        EXPECT_EQ(r->messages[3].timestamp, timestamp_ms(7));
      }
    }
  }
}

TEST(LegacyMessage, V1WrapperRules) {
  auto inner = concat({message(1, 0, "a", "1", 0, 5), message(1, 1, "b", "2", 0, 6)});
  // LogAppendTime on the wrapper overrides the inner timestamps.
  auto lat = decode_message_set(
      wrapper(1, 11, bytes::codec::gzip, inner, legacy_attribute::timestamp_type, 999), limits);
  ASSERT_TRUE(lat);
  EXPECT_EQ(lat->messages[0].timestamp, timestamp_ms(999));
  EXPECT_EQ(lat->messages[1].ts_type, timestamp_type::log_append_time);
  EXPECT_EQ(lat->messages[1].message_offset, offset(11));
  // Wrapper offset 0 (some librdkafka producers): relative offsets stand.
  auto zero = decode_message_set(wrapper(1, 0, bytes::codec::gzip, inner), limits);
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->messages[1].message_offset, offset(1));
  // Wrapper offset below the last relative offset.
  auto inner3 = concat({inner, message(1, 5, "c", "3")});
  auto bad = decode_message_set(wrapper(1, 3, bytes::codec::gzip, inner3), limits);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), legacy_error::bad_wrapper_offset);
}

TEST(LegacyMessage, WrapperErrors) {
  auto expect = [](const std::vector<std::byte>& b, legacy_error e, legacy_limits l = limits) {
    auto r = decode_message_set(b, l);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), e) << describe(r.error());
  };
  auto inner = message(1, 0, "a", "1");
  auto nested = wrapper(1, 0, bytes::codec::gzip, inner);
  expect(wrapper(1, 0, bytes::codec::snappy, nested), legacy_error::nested_compression);
  expect(wrapper(0, 0, bytes::codec::gzip, inner), legacy_error::inner_magic_mismatch);
  expect(wrapper(1, 0, bytes::codec::gzip, {}), legacy_error::empty_wrapper);
  expect(message(1, 0, std::nullopt, std::nullopt, 1), legacy_error::null_wrapper_value);
  expect(message(1, 0, std::nullopt, "not gzip at all", 1), legacy_error::bad_compressed_data);
  // Limits: decompressed bytes and message count.
  std::vector<std::byte> many;
  for (int i = 0; i < 50; ++i) many = concat({many, message(1, i, "k", std::string(100, 'v'))});
  expect(wrapper(1, 49, bytes::codec::gzip, many), legacy_error::too_large,
         {.max_uncompressed_bytes = 1000, .max_messages = 1000});
  expect(wrapper(1, 49, bytes::codec::gzip, many), legacy_error::too_large,
         {.max_uncompressed_bytes = 1 << 20, .max_messages = 10});
  expect(many, legacy_error::too_large, {.max_uncompressed_bytes = 0, .max_messages = 49});
}

TEST(LegacyMessage, ConvertsToRecordBatch) {
  auto inner = concat({message(1, 0, "a", "1", 0, 5), message(1, 1, std::nullopt, "2", 0, 6)});
  auto set =
      concat({message(1, 7, "k", std::nullopt, 0, 4), wrapper(1, 9, bytes::codec::gzip, inner)});
  auto decoded = decode_message_set(set, limits);
  ASSERT_TRUE(decoded);
  auto batch = to_record_batch(*decoded, {.codec = compression::lz4, .base_offset = offset(500)});
  ASSERT_TRUE(batch);
  auto h = validate_batch(*batch);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->base_offset, offset(500));
  EXPECT_EQ(h->record_count, 3);
  EXPECT_EQ(h->first_timestamp, timestamp_ms(4));
  EXPECT_EQ(h->max_timestamp, timestamp_ms(6));
  auto section = batch_records(*batch, *h, 1 << 20);
  ASSERT_TRUE(section);
  auto recs = read_records(section->bytes(), h->record_count);
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ(str(*(*recs)[0].key), "k");
  EXPECT_FALSE((*recs)[0].value);
  EXPECT_EQ(str(*(*recs)[1].value), "1");
  EXPECT_FALSE((*recs)[2].key);
  EXPECT_EQ((*recs)[2].offset_delta, 2);
  EXPECT_EQ(record_timestamp(*h, (*recs)[2]), timestamp_ms(6));
}

// Legacy seeds for the record_batch_fuzz corpus (see record_batch_builder_test.cc).
TEST(LegacyMessage, WriteFuzzSeeds) {
  const char* dir = std::getenv("VLTAVA_WRITE_CORPUS");
  if (dir == nullptr) GTEST_SKIP() << "set VLTAVA_WRITE_CORPUS to write the seeds";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::vector<std::byte>& b) {
    std::ofstream f(std::filesystem::path(dir) / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  write("legacy_v0_plain", concat({message(0, 0, "k", "v"), message(0, 1, std::nullopt, "w")}));
  auto inner1 = concat({message(1, 0, "a", "1", 0, 5), message(1, 1, "b", std::nullopt, 0, 6)});
  write("legacy_v1_gzip", wrapper(1, 1, bytes::codec::gzip, inner1));
  auto inner0 = concat({message(0, 0, "a", "1"), message(0, 1, "b", "2")});
  write("legacy_v0_lz4", wrapper(0, 1, bytes::codec::lz4, inner0));
}

}  // namespace
}  // namespace vltava::model
