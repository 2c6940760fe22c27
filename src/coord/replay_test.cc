#include "coord/replay.h"

#include <gtest/gtest.h>

#include "model/record_batch_builder.h"

namespace vltava::coord {
namespace {

using record = std::pair<std::vector<std::byte>, std::optional<std::vector<std::byte>>>;

std::vector<std::byte> batch(const std::vector<record>& records, int64_t base) {
  model::batch_options o;
  o.base_offset = model::offset(base);
  model::record_batch_builder b(o);
  for (const auto& [k, v] : records) {
    std::optional<model::bytes_view> value;
    if (v) value = model::bytes_view(*v);
    b.add(model::timestamp_ms(1), model::bytes_view(k), value);
  }
  return b.build().value();
}

offset_value at(int64_t offset, std::string metadata = "") {
  offset_value v;
  v.offset = offset;
  v.metadata = std::move(metadata);
  v.commit_timestamp_ms = 5;
  return v;
}

TEST(replay, last_record_per_key_wins_and_tombstones_delete) {
  group_value gv;
  gv.protocol_type = "consumer";
  gv.generation = 4;
  std::vector<std::byte> log;
  auto append = [&log](const std::vector<std::byte>& b) {
    log.insert(log.end(), b.begin(), b.end());
  };
  append(batch({{encode_key(offset_key{"g1", "t", 0}), encode_value(at(10, "m"))},
                {encode_key(offset_key{"g1", "t", 1}), encode_value(at(20))},
                {encode_key(group_key{"g1"}), encode_value(gv)},
                {encode_key(offset_key{"g2", "t", 0}), encode_value(at(1))}},
               0));
  append(batch({{encode_key(offset_key{"g1", "t", 0}), encode_value(at(11, "n"))},
                {encode_key(offset_key{"g1", "t", 1}), std::nullopt},
                {encode_key(offset_key{"g2", "t", 0}), std::nullopt},
                {encode_key(group_key{"g2"}), std::nullopt}},
               4));
  replay_state st;
  auto next = apply_batches(st, log);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, model::offset(8));
  EXPECT_EQ(st.records, 8u);
  EXPECT_EQ(st.skipped, 0u);
  const auto& g1 = st.groups.at("g1");
  ASSERT_TRUE(g1.metadata);
  EXPECT_EQ(g1.metadata->generation, 4);
  ASSERT_EQ(g1.offsets.size(), 1u);
  EXPECT_EQ(g1.offsets.at({"t", model::partition_id(0)}).offset, 11);
  EXPECT_EQ(g1.offsets.at({"t", model::partition_id(0)}).metadata, "n");
  const auto& g2 = st.groups.at("g2");
  EXPECT_FALSE(g2.metadata);
  EXPECT_TRUE(g2.offsets.empty());
}

TEST(replay, undecodable_records_are_counted_and_skipped) {
  std::vector<std::byte> junk_key{std::byte{0}, std::byte{9}};
  auto b = batch({{junk_key, encode_value(at(1))},
                  {encode_key(offset_key{"g", "t", 0}), std::vector<std::byte>{std::byte{1}}},
                  {encode_key(offset_key{"g", "t", 1}), encode_value(at(3))}},
                 0);
  replay_state st;
  ASSERT_TRUE(apply_batches(st, b));
  EXPECT_EQ(st.skipped, 2u);
  EXPECT_EQ(st.groups.at("g").offsets.at({"t", model::partition_id(1)}).offset, 3);
  // A torn batch stops the replay.
  b.resize(b.size() - 3);
  replay_state st2;
  EXPECT_FALSE(apply_batches(st2, b));
}

}  // namespace
}  // namespace vltava::coord
