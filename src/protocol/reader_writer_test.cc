// Primitives of the codec, and the bad-input guarantees: bounded reads, bounded allocation,
// field paths in errors, unknown tagged fields kept.

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "protocol/reader.h"
#include "protocol/writer.h"

namespace vltava::protocol {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(writer, fixed_width_big_endian) {
  writer w;
  w.write_fixed(int16_t{0x0102});
  w.write_fixed(int32_t{-2});
  w.write_fixed(uint16_t{0xABCD});
  w.write_fixed(true);
  EXPECT_EQ(w.buffer(), bytes_of({0x01, 0x02, 0xFF, 0xFF, 0xFF, 0xFE, 0xAB, 0xCD, 0x01}));
}

TEST(reader_writer, primitives_round_trip) {
  writer w;
  w.write_fixed(int8_t{-5});
  w.write_fixed(int16_t{-300});
  w.write_fixed(int32_t{std::numeric_limits<int32_t>::min()});
  w.write_fixed(int64_t{std::numeric_limits<int64_t>::max()});
  w.write_fixed(uint32_t{0xDEADBEEF});
  w.write_fixed(3.25);
  uuid id;
  id.bytes[3] = std::byte{9};
  w.write_fixed(id);
  w.write_uvarint(300);
  w.write_varint(-1);
  w.write_varlong(std::numeric_limits<int64_t>::min());
  w.write_string("abc", false);
  w.write_string("compact", true);
  w.write_nullable_string(std::nullopt, false, true);
  w.write_nullable_string(std::nullopt, true, true);
  w.write_bytes(bytes_of({1, 2, 3}), true);
  w.write_nullable_bytes(std::nullopt, false, true);

  reader r(w.buffer());
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  uint32_t u32;
  double f;
  uuid id2;
  uint32_t uv;
  int32_t v32;
  int64_t v64;
  std::string s1, s2;
  std::optional<std::string> n1 = "x", n2 = "y";
  std::vector<std::byte> b;
  std::optional<std::vector<std::byte>> nb = std::vector<std::byte>{};
  ASSERT_TRUE(r.read_fixed(i8) && r.read_fixed(i16) && r.read_fixed(i32) && r.read_fixed(i64));
  ASSERT_TRUE(r.read_fixed(u32) && r.read_fixed(f) && r.read_fixed(id2));
  ASSERT_TRUE(r.read_uvarint(uv) && r.read_varint(v32) && r.read_varlong(v64));
  ASSERT_TRUE(r.read_string(s1, false) && r.read_string(s2, true));
  ASSERT_TRUE(r.read_nullable_string(n1, false, true) && r.read_nullable_string(n2, true, true));
  ASSERT_TRUE(r.read_bytes(b, true) && r.read_nullable_bytes(nb, false, true));
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(i8, -5);
  EXPECT_EQ(i16, -300);
  EXPECT_EQ(i32, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(u32, 0xDEADBEEF);
  EXPECT_EQ(f, 3.25);
  EXPECT_EQ(id2, id);
  EXPECT_EQ(uv, 300u);
  EXPECT_EQ(v32, -1);
  EXPECT_EQ(v64, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(s1, "abc");
  EXPECT_EQ(s2, "compact");
  EXPECT_FALSE(n1.has_value());
  EXPECT_FALSE(n2.has_value());
  EXPECT_EQ(b, bytes_of({1, 2, 3}));
  EXPECT_FALSE(nb.has_value());
}

TEST(reader, every_read_fails_at_the_end) {
  reader r(std::span<const std::byte>{});
  int32_t i;
  std::string s;
  uint32_t u;
  EXPECT_FALSE(r.read_fixed(i));
  EXPECT_FALSE(r.read_string(s, false));
  EXPECT_FALSE(r.read_uvarint(u));
  EXPECT_STREQ(r.message(), "bad or truncated unsigned varint");
}

TEST(reader, huge_array_length_in_small_frame_fails_without_allocating) {
  // 2^31 - 1 elements claimed (the largest int32), followed by 96 bytes.
  auto frame = bytes_of({0x7F, 0xFF, 0xFF, 0xFF});
  frame.resize(100);
  reader r(frame);
  int32_t n;
  EXPECT_FALSE(r.read_array_length(n, false, false, 1));
  EXPECT_STREQ(r.message(), "array length larger than the data left");
  // Compact form: uvarint 2^31 + 1 (so length 2^31).
  auto compact = bytes_of({0x81, 0x80, 0x80, 0x80, 0x08});
  compact.resize(100);
  reader rc(compact);
  EXPECT_FALSE(rc.read_array_length(n, true, false, 1));
  // Elements of 4 bytes: 25 fit in 100 bytes, 26 do not.
  auto ints = bytes_of({0, 0, 0, 26});
  ints.resize(104);
  reader ri(ints);
  EXPECT_FALSE(ri.read_array_length(n, false, false, 4));
  ints[3] = std::byte{25};
  reader ri2(ints);
  EXPECT_TRUE(ri2.read_array_length(n, false, false, 4));
  EXPECT_EQ(n, 25);
}

TEST(reader, null_array_only_where_nullable) {
  auto frame = bytes_of({0xFF, 0xFF, 0xFF, 0xFF});
  int32_t n = 0;
  reader r1(frame);
  EXPECT_FALSE(r1.read_array_length(n, false, false, 1));
  reader r2(frame);
  EXPECT_TRUE(r2.read_array_length(n, false, true, 1));
  EXPECT_EQ(n, -1);
}

TEST(reader, bad_varint_fails) {
  // Six continuation bytes: too long for a 32-bit unsigned varint.
  auto frame = bytes_of({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  reader r(frame);
  uint32_t v;
  EXPECT_FALSE(r.read_uvarint(v));
  // Truncated: continuation bit set on the last byte.
  auto cut = bytes_of({0x80});
  reader r2(cut);
  EXPECT_FALSE(r2.read_uvarint(v));
  // A compact string whose length varint is broken.
  reader r3(frame);
  std::string s;
  EXPECT_FALSE(r3.read_string(s, true));
}

TEST(reader, string_length_past_end_fails) {
  auto frame = bytes_of({0x00, 0x05, 'a', 'b'});
  reader r(frame);
  std::string s;
  EXPECT_FALSE(r.read_string(s, false));
  EXPECT_STREQ(r.message(), "length past the end of the data");
  auto compact = bytes_of({0x06, 'a', 'b'});
  reader rc(compact);
  EXPECT_FALSE(rc.read_string(s, true));
  auto big = bytes_of({0x7F, 0xFF, 0xFF, 0xFF, 1});
  reader rb(big);
  std::vector<std::byte> b;
  EXPECT_FALSE(rb.read_bytes(b, false));
}

TEST(reader, null_string_where_not_nullable_fails) {
  auto frame = bytes_of({0xFF, 0xFF});
  reader r(frame);
  std::string s;
  EXPECT_FALSE(r.read_string(s, false));
  EXPECT_STREQ(r.message(), "null where the field is not nullable");
}

TEST(reader, records_are_views_into_the_frame) {
  auto frame = bytes_of({0x00, 0x00, 0x00, 0x03, 7, 8, 9});
  reader r(frame);
  records_view rec;
  ASSERT_TRUE(r.read_records(rec, false, true));
  EXPECT_FALSE(rec.null);
  EXPECT_EQ(rec.data.data(), frame.data() + 4);
  EXPECT_EQ(rec.data.size(), 3u);
  auto null_frame = bytes_of({0x00});
  reader rn(null_frame);
  ASSERT_TRUE(rn.read_records(rec, true, true));
  EXPECT_TRUE(rec.null);
}

TEST(reader, tag_count_bounded_by_data_left) {
  auto frame = bytes_of({0x7F, 0x00});
  reader r(frame);
  uint32_t n;
  EXPECT_FALSE(r.read_tag_count(n));
}

TEST(writer, records_are_copied_once_with_room_for_the_fields_after_them) {
  std::vector<std::byte> records(1 << 20, std::byte{7});
  writer w;
  w.write_fixed(int32_t{1});
  w.write_bytes(records, /*compact=*/false);
  const std::byte* where = w.buffer().data();
  // The fields that follow a records section (tags, the next partition's header) must not
  // move the records to a bigger buffer: that second copy halved the codec's throughput.
  w.write_fixed(int16_t{2});
  w.write_fixed(int64_t{3});
  w.write_tagged_fields({});
  EXPECT_EQ(w.buffer().data(), where);
  EXPECT_EQ(w.size(), 4 + 4 + records.size() + 2 + 8 + 1);
}

TEST(writer, tagged_fields_merged_in_tag_order) {
  writer w;
  std::vector<tagged_field> known = {{3, bytes_of({0xAA})}};
  std::vector<tagged_field> unknown = {{1, bytes_of({0xBB, 0xCC})}, {7, {}}};
  w.write_tagged_fields(known, unknown);
  EXPECT_EQ(w.buffer(), bytes_of({3, 1, 2, 0xBB, 0xCC, 3, 1, 0xAA, 7, 0}));
}

TEST(writer, null_where_not_nullable_writes_empty) {
  writer w;
  w.write_nullable_string(std::nullopt, false, false);
  w.write_null_array(true, false);
  EXPECT_EQ(w.buffer(), bytes_of({0, 0, 1}));
}

TEST(decode_error, nested_paths) {
  decode_error e{"records", "length past the end of the data", 17};
  auto f = nest(nest(e, "partition_data", 2).error, "topic_data", 0);
  EXPECT_EQ(f.error.field, "topic_data[0].partition_data[2].records");
  EXPECT_EQ(
      f.error.to_string(),
      "topic_data[0].partition_data[2].records: length past the end of the data (at byte 17)");
}

}  // namespace
}  // namespace vltava::protocol

namespace vltava::protocol {
namespace {

TEST(writer, spliced_records_leave_a_gap_with_their_length) {
  writer w;
  w.write_fixed(int16_t{7});
  records_view spliced;
  spliced.splice_id = 3;
  spliced.splice_length = 1000;
  w.write_records(spliced, /*compact=*/true, /*nullable=*/true);
  w.write_fixed(int8_t{1});
  ASSERT_EQ(w.splices().size(), 1u);
  EXPECT_EQ(w.splices()[0].id, 3u);
  EXPECT_EQ(w.splices()[0].length, 1000u);
  // int16 + uvarint(1001) = 2 + 2 bytes, then the gap, then the int8.
  EXPECT_EQ(w.splices()[0].position, 4u);
  EXPECT_EQ(w.size(), 5u);
}

}  // namespace
}  // namespace vltava::protocol
