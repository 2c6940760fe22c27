#include "cluster/leader_election.h"

#include <gtest/gtest.h>

#include "cluster/test_node.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;

// Brokers 1 and 2 live, 3 fenced; topic "t" with three partitions.
metadata_image three_brokers() {
  metadata_image img;
  testing::add_three_brokers(img);
  topic_info t;
  t.name = "t";
  t.partition_count = 3;
  img.topics.emplace("t", std::move(t));
  return img;
}

const protocol::metadata_partition_change_record& change(const metadata_record& r) {
  return std::get<protocol::metadata_partition_change_record>(r);
}

model::topic_partition tp(int32_t p) {
  return {"t", model::partition_id(p)};
}

TEST(preferred_election, moves_leadership_back_to_the_first_replica) {
  auto img = three_brokers();
  testing::assign(img, "t", 0, {1, 2}, 2, 4);  // 1 came back after a restart
  testing::assign(img, "t", 1, {1, 2}, 1, 0);  // already led by its preferred replica
  testing::assign(img, "t", 2, {3, 1}, 1, 0);  // its preferred replica is fenced
  auto plan = plan_elections(img, election_type::preferred,
                             std::vector<model::topic_partition>{tp(0), tp(1), tp(2)});
  ASSERT_EQ(plan.results.size(), 3u);
  EXPECT_EQ(plan.results[0].error, error_code::none);
  EXPECT_EQ(plan.results[1].error, error_code::election_not_needed);
  EXPECT_EQ(plan.results[2].error, error_code::preferred_leader_not_available);
  ASSERT_EQ(plan.records.size(), 1u);
  const auto& c = change(plan.records[0]);
  EXPECT_EQ(c.partition_index(), 0);
  EXPECT_EQ(c.leader_id, model::node_id(1));
  EXPECT_EQ(c.leader_epoch, model::leader_epoch(5));
}

TEST(preferred_election, a_preferred_replica_outside_the_isr_cannot_lead) {
  auto img = three_brokers();
  testing::assign(img, "t", 0, {1, 2}, 2, 1);
  img.topics.at("t").partitions[0].isr = {model::node_id(2)};
  auto plan =
      plan_elections(img, election_type::preferred, std::vector<model::topic_partition>{tp(0)});
  EXPECT_EQ(plan.results.at(0).error, error_code::preferred_leader_not_available);
  EXPECT_TRUE(plan.records.empty());
}

TEST(preferred_election, every_partition_when_none_is_named_answering_only_the_elected) {
  auto img = three_brokers();
  testing::assign(img, "t", 0, {1, 2}, 2, 1);
  testing::assign(img, "t", 1, {2, 1}, 2, 0);
  testing::assign(img, "t", 2, {2, 1}, 1, 0);
  auto plan = plan_elections(img, election_type::preferred, std::nullopt);
  ASSERT_EQ(plan.results.size(), 2u);
  EXPECT_EQ(plan.results[0].partition, tp(0));
  EXPECT_EQ(plan.results[1].partition, tp(2));
  EXPECT_EQ(plan.records.size(), 2u);
  EXPECT_EQ(imbalanced_partitions(img, 100), (std::vector<model::topic_partition>{tp(0), tp(2)}));
  EXPECT_EQ(imbalanced_partitions(img, 1).size(), 1u);
}

TEST(unclean_election, prefers_the_isr_then_any_live_replica_which_becomes_the_isr) {
  auto img = three_brokers();
  testing::assign(img, "t", 0, {3, 2}, -1, 2);  // in the ISR and live: 2
  testing::assign(img, "t", 1, {3, 2}, -1, 2);
  img.topics.at("t").partitions[1].isr = {model::node_id(3)};  // only the fenced one in sync
  testing::assign(img, "t", 2, {3}, -1, 2);                    // nobody live at all
  auto plan = plan_elections(img, election_type::unclean,
                             std::vector<model::topic_partition>{tp(0), tp(1), tp(2)});
  ASSERT_EQ(plan.results.size(), 3u);
  EXPECT_EQ(plan.results[0].error, error_code::none);
  EXPECT_EQ(plan.results[1].error, error_code::none);
  EXPECT_EQ(plan.results[2].error, error_code::eligible_leaders_not_available);
  ASSERT_EQ(plan.records.size(), 2u);
  EXPECT_EQ(change(plan.records[0]).leader_id, model::node_id(2));
  EXPECT_EQ(change(plan.records[0]).isr_nodes,
            (std::vector<model::node_id>{model::node_id(3), model::node_id(2)}));
  EXPECT_EQ(change(plan.records[1]).leader_id, model::node_id(2));
  EXPECT_EQ(change(plan.records[1]).isr_nodes, std::vector<model::node_id>{model::node_id(2)});
}

TEST(unclean_election, a_partition_with_a_leader_needs_none) {
  auto img = three_brokers();
  testing::assign(img, "t", 0, {1, 2}, 2, 1);
  auto plan =
      plan_elections(img, election_type::unclean, std::vector<model::topic_partition>{tp(0)});
  EXPECT_EQ(plan.results.at(0).error, error_code::election_not_needed);
}

TEST(elections, unknown_partitions_and_repeats) {
  auto img = three_brokers();
  testing::assign(img, "t", 0, {1, 2}, 2, 1);
  auto plan = plan_elections(
      img, election_type::preferred,
      std::vector<model::topic_partition>{tp(0), tp(0), tp(7), {"nope", model::partition_id(0)}});
  ASSERT_EQ(plan.results.size(), 3u);
  EXPECT_EQ(plan.results[0].error, error_code::none);
  EXPECT_EQ(plan.results[1].error, error_code::unknown_topic_or_partition);
  EXPECT_EQ(plan.results[2].error, error_code::unknown_topic_or_partition);
  EXPECT_EQ(plan.records.size(), 1u);
}

}  // namespace
}  // namespace vltava::cluster
