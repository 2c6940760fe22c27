#include "coord/consumer_assignor.h"

#include <gtest/gtest.h>

namespace vltava::coord {
namespace {

protocol::uuid topic_id(uint8_t n) {
  protocol::uuid u;
  u.bytes[15] = static_cast<std::byte>(n);
  return u;
}

assignor_input input(int members, int32_t partitions) {
  assignor_input in;
  in.partition_counts[topic_id(1)] = partitions;
  for (int i = 0; i < members; ++i) in.members["m" + std::to_string(i)].topics = {topic_id(1)};
  return in;
}

// Every partition of every subscribed topic is in exactly one target.
void expect_exact_cover(const assignor_input& in, const target_assignment& out) {
  std::map<std::pair<std::array<std::byte, 16>, int32_t>, int> seen;
  for (const auto& [m, tp] : out) {
    for (const auto& [t, ps] : tp) {
      EXPECT_TRUE(in.members.at(m).topics.contains(t)) << m << " is not subscribed";
      for (int32_t p : ps) ++seen[{t.bytes, p}];
    }
  }
  size_t total = 0;
  for (const auto& [t, n] : in.partition_counts) total += static_cast<size_t>(n);
  EXPECT_EQ(seen.size(), total);
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1);
}

TEST(consumer_assignor_test, uniform_balances_twelve_partitions) {
  for (int members = 1; members <= 5; ++members) {
    auto in = input(members, 12);
    auto out = assign_uniform(in);
    expect_exact_cover(in, out);
    size_t lo = 100, hi = 0;
    for (const auto& [_, tp] : out) {
      lo = std::min(lo, partition_count(tp));
      hi = std::max(hi, partition_count(tp));
    }
    EXPECT_LE(hi - lo, 1u) << members << " members";
  }
}

TEST(consumer_assignor_test, uniform_is_sticky_when_a_member_joins) {
  auto in = input(2, 12);
  auto before = assign_uniform(in);
  in.previous = before;
  in.members["m9"].topics = {topic_id(1)};
  auto after = assign_uniform(in);
  expect_exact_cover(in, after);
  // Each old member keeps 4 of its 6, the newcomer gets 2 from each.
  for (const std::string m : {"m0", "m1"}) {
    EXPECT_EQ(partition_count(after[m]), 4u);
    EXPECT_TRUE(minus(after[m], before[m]).empty()) << m << " was given a partition it lacked";
  }
  EXPECT_EQ(partition_count(after["m9"]), 4u);
}

TEST(consumer_assignor_test, uniform_heterogeneous_subscriptions) {
  assignor_input in;
  in.partition_counts[topic_id(1)] = 4;
  in.partition_counts[topic_id(2)] = 2;
  in.members["a"].topics = {topic_id(1)};
  in.members["b"].topics = {topic_id(1), topic_id(2)};
  in.members["c"].topics = {};
  auto out = assign_uniform(in);
  expect_exact_cover(in, out);
  EXPECT_TRUE(out["c"].empty());
  EXPECT_EQ(partition_count(out["a"]) + partition_count(out["b"]), 6u);
}

TEST(consumer_assignor_test, range_gives_contiguous_ranges_first_members_more) {
  auto in = input(3, 8);
  auto out = assign_range(in);
  expect_exact_cover(in, out);
  EXPECT_EQ(out["m0"][topic_id(1)], (std::set<int32_t>{0, 1, 2}));
  EXPECT_EQ(out["m1"][topic_id(1)], (std::set<int32_t>{3, 4, 5}));
  EXPECT_EQ(out["m2"][topic_id(1)], (std::set<int32_t>{6, 7}));
}

TEST(consumer_assignor_test, no_members_or_no_topics) {
  assignor_input in;
  in.partition_counts[topic_id(1)] = 3;
  EXPECT_TRUE(assign_uniform(in).empty());
  in.members["a"];
  auto out = assign_range(in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out["a"].empty());
}

TEST(consumer_assignor_test, set_helpers) {
  topic_partitions a{{topic_id(1), {0, 1, 2}}}, b{{topic_id(1), {1}}, {topic_id(2), {0}}};
  EXPECT_EQ(minus(a, b), (topic_partitions{{topic_id(1), {0, 2}}}));
  EXPECT_EQ(intersect(a, b), (topic_partitions{{topic_id(1), {1}}}));
  EXPECT_TRUE(is_known_assignor("uniform"));
  EXPECT_TRUE(is_known_assignor("range"));
  EXPECT_FALSE(is_known_assignor("sticky"));
}

}  // namespace
}  // namespace vltava::coord
