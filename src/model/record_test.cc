#include "model/record.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bytes/varint.h"

namespace vltava::model {
namespace {

bytes_view bv(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
std::string str(bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

void put_varint(std::vector<std::byte>& out, int64_t v) {
  std::byte buf[bytes::varint64_max_bytes];
  const size_t n = bytes::put_uvarint(buf, bytes::zigzag_encode64(v));
  out.insert(out.end(), buf, buf + n);
}

// A record body written field by field, so tests can break any one of them.
struct raw_record {
  std::vector<std::byte> body;
  raw_record& i8(int8_t v) {
    body.push_back(static_cast<std::byte>(v));
    return *this;
  }
  raw_record& varint(int64_t v) {
    put_varint(body, v);
    return *this;
  }
  raw_record& raw(std::string_view s) {
    auto b = bv(s);
    body.insert(body.end(), b.begin(), b.end());
    return *this;
  }
  // length varint (the body's true size plus `length_error`) followed by the body.
  std::vector<std::byte> framed(int64_t length_error = 0) const {
    std::vector<std::byte> out;
    put_varint(out, static_cast<int64_t>(body.size()) + length_error);
    out.insert(out.end(), body.begin(), body.end());
    return out;
  }
};

// attributes 0, timestamp delta 5, offset delta 0, key "k", value "v", no headers.
raw_record simple() {
  return raw_record().i8(0).varint(5).varint(0).varint(1).raw("k").varint(1).raw("v").varint(0);
}

TEST(Record, WriteReadRoundTripWithNullsHeadersNegativeDeltas) {
  const record_header headers[] = {
      {bv("trace"), bv("abc")}, {bv("empty"), bv("")}, {bv("null"), std::nullopt}};
  std::vector<std::byte> section;
  append_record(section, {.timestamp_delta = -1000,
                          .offset_delta = 0,
                          .key = std::nullopt,
                          .value = bv("tombstone? no, a value")});
  append_record(section, {.timestamp_delta = 7,
                          .offset_delta = 1,
                          .key = bv("key"),
                          .value = std::nullopt,
                          .headers = headers});
  append_record(
      section, {.timestamp_delta = INT64_MIN, .offset_delta = 300, .key = bv(""), .value = bv("")});
  auto recs = read_records(section, 3);
  ASSERT_TRUE(recs) << describe(recs.error());
  ASSERT_EQ(recs->size(), 3u);
  const auto& a = (*recs)[0];
  EXPECT_EQ(a.timestamp_delta, -1000);
  EXPECT_FALSE(a.key);
  EXPECT_EQ(str(*a.value), "tombstone? no, a value");
  EXPECT_TRUE(a.headers.empty());
  const auto& b = (*recs)[1];
  EXPECT_EQ(b.offset_delta, 1);
  EXPECT_EQ(str(*b.key), "key");
  EXPECT_FALSE(b.value);
  ASSERT_EQ(b.headers.size(), 3u);
  EXPECT_EQ(str(b.headers[0].key), "trace");
  EXPECT_EQ(str(*b.headers[0].value), "abc");
  EXPECT_TRUE(b.headers[1].value && b.headers[1].value->empty());
  EXPECT_FALSE(b.headers[2].value);
  const auto& c = (*recs)[2];
  EXPECT_EQ(c.timestamp_delta, INT64_MIN);
  EXPECT_EQ(c.offset_delta, 300);
  EXPECT_TRUE(c.key && c.key->empty());
  EXPECT_TRUE(c.value && c.value->empty());
  EXPECT_EQ(a.size_bytes + b.size_bytes + c.size_bytes, section.size());
}

TEST(Record, ViewStopsAfterCountAndStaysDone) {
  auto bytes = simple().framed();
  record_view v(bytes, 1);
  auto r = v.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->timestamp_delta, 5);
  EXPECT_EQ(str(*(*r)->key), "k");
  for (int i = 0; i < 2; ++i) {
    auto end = v.next();
    ASSERT_TRUE(end);
    EXPECT_FALSE(*end);
  }
  EXPECT_EQ(v.records_read(), 1);
}

void expect_error(std::span<const std::byte> section, int32_t count, record_error want) {
  auto r = read_records(section, count);
  ASSERT_FALSE(r) << "expected " << describe(want);
  EXPECT_EQ(r.error(), want) << describe(r.error()) << " instead of " << describe(want);
}

TEST(Record, LengthRunningPastTheEnd) {
  expect_error(simple().framed(+1), 1, record_error::truncated);
  expect_error(simple().framed(+1000), 1, record_error::truncated);
}

TEST(Record, LengthDisagreeingWithFields) {
  // Shorter than the fields: the value field runs past the declared body.
  // (Cut with erase, not resize: gcc 12 -O2 warns falsely about resize(size() - 2).)
  auto bytes = simple().framed(-2);
  bytes.erase(bytes.end() - 2, bytes.end());
  expect_error(bytes, 1, record_error::bad_record_length);
  // Longer than the fields: a stray byte inside the body.
  expect_error(simple().i8(0).framed(), 1, record_error::bad_record_length);
  // Negative length.
  std::vector<std::byte> neg;
  put_varint(neg, -3);
  expect_error(neg, 1, record_error::bad_record_length);
}

TEST(Record, OverlongVarint) {
  // A six-byte varint32 for the offset delta.
  auto r = raw_record().i8(0).varint(0);
  for (int i = 0; i < 5; ++i) r.body.push_back(std::byte{0x80});
  r.body.push_back(std::byte{0x00});
  r.varint(-1).varint(-1).varint(0);
  expect_error(r.framed(), 1, record_error::bad_varint);
  // An eleven-byte varlong timestamp delta.
  auto t = raw_record().i8(0);
  for (int i = 0; i < 10; ++i) t.body.push_back(std::byte{0xFF});
  t.body.push_back(std::byte{0x01});
  t.varint(0).varint(-1).varint(-1).varint(0);
  expect_error(t.framed(), 1, record_error::bad_varint);
  // An overlong length prefix.
  std::vector<std::byte> len(6, std::byte{0x80});
  expect_error(len, 1, record_error::bad_varint);
}

TEST(Record, NegativeLengthsOtherThanMinusOne) {
  expect_error(raw_record().i8(0).varint(0).varint(0).varint(-2).varint(-1).varint(0).framed(), 1,
               record_error::bad_key_length);
  expect_error(raw_record().i8(0).varint(0).varint(0).varint(-1).varint(-7).varint(0).framed(), 1,
               record_error::bad_value_length);
  // Header keys cannot be null; header values can.
  expect_error(raw_record()
                   .i8(0)
                   .varint(0)
                   .varint(0)
                   .varint(-1)
                   .varint(-1)
                   .varint(1)
                   .varint(-1)
                   .varint(-1)
                   .framed(),
               1, record_error::bad_header_key_length);
  expect_error(raw_record()
                   .i8(0)
                   .varint(0)
                   .varint(0)
                   .varint(-1)
                   .varint(-1)
                   .varint(1)
                   .varint(1)
                   .raw("h")
                   .varint(-2)
                   .framed(),
               1, record_error::bad_header_value_length);
  auto ok = read_records(raw_record()
                             .i8(0)
                             .varint(0)
                             .varint(0)
                             .varint(-1)
                             .varint(-1)
                             .varint(1)
                             .varint(1)
                             .raw("h")
                             .varint(-1)
                             .framed(),
                         1);
  ASSERT_TRUE(ok);
  EXPECT_FALSE((*ok)[0].headers[0].value);
}

TEST(Record, HeaderCountBoundedByBytes) {
  expect_error(raw_record().i8(0).varint(0).varint(0).varint(-1).varint(-1).varint(-1).framed(), 1,
               record_error::bad_header_count);
  // 2^30 headers claimed in a ten-byte record: refused before any allocation.
  expect_error(
      raw_record().i8(0).varint(0).varint(0).varint(-1).varint(-1).varint(1 << 30).framed(), 1,
      record_error::bad_header_count);
}

TEST(Record, CountMismatch) {
  auto one = simple().framed();
  std::vector<std::byte> two(one);
  two.insert(two.end(), one.begin(), one.end());
  expect_error(one, 2, record_error::too_few_records);
  expect_error(two, 1, record_error::too_many_records);
  expect_error(one, 0, record_error::too_many_records);
  expect_error({}, INT32_MAX, record_error::too_few_records);
  auto ok = read_records(two, 2);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 2u);
}

TEST(Record, ErrorIsSticky) {
  auto bytes = simple().framed(+5);
  record_view v(bytes, 1);
  auto a = v.next();
  auto b = v.next();
  ASSERT_FALSE(a);
  ASSERT_FALSE(b);
  EXPECT_EQ(a.error(), b.error());
}

TEST(Record, ControlKeyAndMarkerParsing) {
  const std::byte key[] = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};
  const std::byte value[] = {std::byte{0}, std::byte{0}, std::byte{0},
                             std::byte{0}, std::byte{1}, std::byte{2}};
  record r;
  r.key = bytes_view(key);
  r.value = bytes_view(value);
  auto k = parse_control_key(r);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->type, static_cast<int16_t>(control_record_type::commit));
  auto m = parse_end_txn_marker(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->coordinator_epoch, 0x0102);
  r.key = bytes_view(key).first(3);
  EXPECT_FALSE(parse_control_key(r));
  r.key = std::nullopt;
  EXPECT_FALSE(parse_control_key(r));
  const std::byte negative[] = {std::byte{0xFF}, std::byte{0xFF}, std::byte{0},
                                std::byte{0},    std::byte{0},    std::byte{0}};
  r.value = bytes_view(negative);
  EXPECT_FALSE(parse_end_txn_marker(r));
  r.value = bytes_view(value).first(5);
  EXPECT_FALSE(parse_end_txn_marker(r));
}

}  // namespace
}  // namespace vltava::model
