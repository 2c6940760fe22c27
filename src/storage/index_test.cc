#include "storage/index.h"

#include <gtest/gtest.h>

#include "storage/format.h"
#include "storage/log_config.h"

namespace vltava::storage {
namespace {

TEST(format, segment_names_sort_and_parse) {
  EXPECT_EQ(format::segment_name(model::offset(42)), "00000000000000000042");
  EXPECT_EQ(format::parse_segment_name("00000000000000000042.log", ".log"), model::offset(42));
  EXPECT_FALSE(format::parse_segment_name("00000000000000000042.index", ".log"));
  EXPECT_FALSE(format::parse_segment_name("0000000000000000042.log", ".log"));
  EXPECT_FALSE(format::parse_segment_name("0000000000000000004x.log", ".log"));
  EXPECT_FALSE(format::parse_segment_name("99999999999999999999.log", ".log"));  // > int64
}

TEST(offset_index, lookup_and_round_trip) {
  offset_index idx(4);
  EXPECT_EQ(idx.lookup(100), (offset_index::entry{0, 0}));
  idx.append({10, 4000});
  idx.append({20, 8000});
  idx.append({30, 12000});
  EXPECT_EQ(idx.lookup(5), (offset_index::entry{0, 0}));
  EXPECT_EQ(idx.lookup(10), (offset_index::entry{10, 4000}));
  EXPECT_EQ(idx.lookup(25), (offset_index::entry{20, 8000}));
  EXPECT_EQ(idx.lookup(1000), (offset_index::entry{30, 12000}));
  EXPECT_FALSE(idx.full());
  idx.append({40, 16000});
  EXPECT_TRUE(idx.full());
  auto bytes = idx.encode();
  EXPECT_EQ(bytes.size(), 4 * format::offset_entry_size);
  auto back = offset_index::decode(bytes, 4, 20000);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->entries(), idx.entries());
  // A position past the log, a wrong size, or too many entries: rebuild.
  EXPECT_FALSE(offset_index::decode(bytes, 4, 16000));
  EXPECT_FALSE(offset_index::decode(std::span(bytes).first(7), 4, 20000));
  EXPECT_FALSE(offset_index::decode(bytes, 3, 20000));
  idx.truncate_to_position(8000);
  EXPECT_EQ(idx.size(), 1u);
}

TEST(offset_index, decode_refuses_unordered_entries) {
  offset_index idx(4);
  idx.append({10, 4000});
  idx.append({20, 8000});
  auto bytes = idx.encode();
  std::swap_ranges(bytes.begin(), bytes.begin() + 8, bytes.begin() + 8);
  EXPECT_FALSE(offset_index::decode(bytes, 4, 20000));
}

TEST(time_index, only_increasing_timestamps_and_lookup) {
  time_index idx(3);
  idx.maybe_append({100, 1});
  idx.maybe_append({100, 2});  // not larger: ignored
  idx.maybe_append({90, 3});   // smaller: ignored
  idx.maybe_append({200, 5});
  EXPECT_EQ(idx.size(), 2u);
  EXPECT_FALSE(idx.lookup_before(100));
  EXPECT_EQ(idx.lookup_before(101)->relative_offset, 1);
  EXPECT_EQ(idx.lookup_before(1000)->relative_offset, 5);
  idx.maybe_append({300, 6});
  EXPECT_TRUE(idx.full());
  idx.maybe_append({400, 7});  // full
  EXPECT_EQ(idx.size(), 3u);
  idx.maybe_append({400, 7}, time_index::when_full::append_anyway);  // at roll
  EXPECT_EQ(idx.size(), 4u);
  auto back = time_index::decode(idx.encode(), 3);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->entries(), idx.entries());
  idx.truncate_to_offset(5);
  EXPECT_EQ(idx.size(), 1u);
}

TEST(log_config, defaults_are_kafkas_and_bounds_hold) {
  log_config c;
  EXPECT_EQ(c.segment_bytes, 1073741824);
  EXPECT_EQ(c.segment_ms, 604800000);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.segment_index_bytes, 10485760);
  EXPECT_EQ(c.retention_ms, 604800000);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.delete_retention_ms, 86400000);
  EXPECT_EQ(c.min_cleanable_dirty_ratio, 0.5);
  EXPECT_EQ(c.file_delete_delay_ms, 60000);
  EXPECT_TRUE(c.validate());
  c.segment_bytes = 0;
  auto r = c.validate();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("segment.bytes"), std::string::npos);
  c = {};
  c.cleanup = {false, false};
  EXPECT_FALSE(c.validate());
  c = {};
  c.min_cleanable_dirty_ratio = 1.5;
  EXPECT_FALSE(c.validate());
}

}  // namespace
}  // namespace vltava::storage
