#include "model/record_scan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace vltava::model {
namespace {

bytes_view bv(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Records that use every field: null and present keys and values, headers with null values,
// multi-byte varints (a 200-byte value, large and negative deltas).
std::vector<std::byte> sample_section() {
  static const std::string big(200, 'v');
  static const record_header hs[] = {{bv("h1"), bv("x")}, {bv("h2"), std::nullopt}};
  std::vector<std::byte> out;
  record_fields f;
  f.key = bv("key");
  f.value = bv("value");
  append_record(out, f);
  f = {};
  f.timestamp_delta = -5;
  f.offset_delta = 1;
  f.value = bv(big);
  f.headers = hs;
  append_record(out, f);
  f = {};
  f.timestamp_delta = int64_t{1} << 40;
  f.offset_delta = 300;
  f.key = bv("");
  append_record(out, f);
  return out;
}

// What a reader saw: each record's offset delta and key presence, then the error if any.
struct walk {
  std::vector<std::pair<int32_t, bool>> records;
  std::optional<record_error> error;
  bool operator==(const walk&) const = default;
};

walk with_view(bytes_view section, int32_t count) {
  walk w;
  record_view v(section, count);
  for (;;) {
    auto r = v.next();
    if (!r) {
      w.error = r.error();
      return w;
    }
    if (!*r) return w;
    w.records.emplace_back((*r)->offset_delta, (*r)->key.has_value());
  }
}

walk with_scan(bytes_view section, int32_t count) {
  walk w;
  record_scan s(section, count);
  while (auto r = s.next()) w.records.emplace_back(r->offset_delta, r->has_key);
  w.error = s.error();
  EXPECT_FALSE(s.next().has_value());  // the end and an error both stay
  EXPECT_EQ(s.error(), w.error);
  return w;
}

TEST(RecordScan, ReadsWhatRecordViewReads) {
  auto section = sample_section();
  walk w = with_scan(section, 3);
  EXPECT_EQ(w.error, std::nullopt);
  ASSERT_EQ(w.records.size(), 3u);
  EXPECT_EQ(w.records[0], std::make_pair(0, true));
  EXPECT_EQ(w.records[1], std::make_pair(1, false));
  EXPECT_EQ(w.records[2], std::make_pair(300, true));
  EXPECT_EQ(w, with_view(section, 3));
}

TEST(RecordScan, CountMismatchesAreRecordViewsErrors) {
  auto section = sample_section();
  EXPECT_EQ(with_scan(section, 2).error, record_error::too_many_records);
  EXPECT_EQ(with_scan(section, 4).error, record_error::too_few_records);
  EXPECT_EQ(with_scan({}, 0).error, std::nullopt);
  EXPECT_EQ(with_scan({}, 1).error, record_error::too_few_records);
}

// Every truncation and every byte replaced by values that break varints and lengths: the scan
// must stop where record_view stops, with the same error, having read the same records.
TEST(RecordScan, AgreesWithRecordViewOnMalformedInput) {
  const auto good = sample_section();
  int cases = 0;
  std::set<record_error> seen;
  for (size_t n = 0; n <= good.size(); ++n) {
    bytes_view cut(good.data(), n);
    for (int32_t count : {2, 3}) {
      ASSERT_EQ(with_scan(cut, count), with_view(cut, count)) << "cut at " << n;
      ++cases;
    }
  }
  for (size_t at = 0; at < good.size(); ++at) {
    for (uint8_t b : {0x00, 0x01, 0x02, 0x03, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff}) {
      auto bad = good;
      bad[at] = std::byte{b};
      walk w = with_scan(bad, 3);
      ASSERT_EQ(w, with_view(bad, 3)) << "byte " << at << " = " << int(b);
      if (w.error) seen.insert(*w.error);
      ++cases;
    }
  }
  EXPECT_GT(cases, 2000);
  EXPECT_GE(seen.size(), 7u);  // the mutations reach most of the checks
}

}  // namespace
}  // namespace vltava::model
