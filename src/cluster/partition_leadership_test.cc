#include "cluster/partition_leadership.h"

#include <gtest/gtest.h>

namespace vltava::cluster {
namespace {

using protocol::error_code;

const model::node_id self(1);

topic_info topic(int32_t partitions) {
  topic_info t;
  t.name = "t";
  t.partition_count = partitions;
  return t;
}

partition_assignment placed(std::vector<int32_t> replicas, int32_t leader, int32_t epoch) {
  partition_assignment a;
  for (int32_t r : replicas) a.replicas.emplace_back(r);
  a.isr = a.replicas;
  a.leader = model::node_id(leader);
  a.leader_epoch = model::leader_epoch(epoch);
  return a;
}

TEST(PartitionLeadership, AnImageWithoutAssignmentsMeansThisNodeLeads) {
  auto t = topic(2);
  auto a = assignment_of(t, 1, self);
  EXPECT_EQ(a.leader, self);
  EXPECT_EQ(a.replicas, std::vector<model::node_id>{self});
  EXPECT_EQ(a.leader_epoch, model::leader_epoch(0));
  EXPECT_EQ(assignments_of(t, self).size(), 2u);
  EXPECT_EQ(route_partition(&t, 0, self).error, error_code::none);
  EXPECT_EQ(led_by(t, self).size(), 2u);
}

TEST(PartitionLeadership, RoutesByTheAssignment) {
  auto t = topic(3);
  t.partitions = {placed({1, 2}, 1, 4), placed({2, 3}, 2, 7), placed({1, 3}, -1, 2)};
  auto led = route_partition(&t, 0, self);
  EXPECT_EQ(led.error, error_code::none);
  EXPECT_EQ(led.leader_epoch, model::leader_epoch(4));
  auto other = route_partition(&t, 1, self);
  EXPECT_EQ(other.error, error_code::not_leader_or_follower);
  EXPECT_EQ(other.leader, model::node_id(2));
  EXPECT_EQ(other.leader_epoch, model::leader_epoch(7));
  auto leaderless = route_partition(&t, 2, self);
  EXPECT_EQ(leaderless.error, error_code::not_leader_or_follower);
  EXPECT_EQ(leaderless.leader, model::node_id(-1));
  EXPECT_EQ(route_partition(&t, 3, self).error, error_code::unknown_topic_or_partition);
  EXPECT_EQ(route_partition(&t, -1, self).error, error_code::unknown_topic_or_partition);
  EXPECT_EQ(route_partition(nullptr, 0, self).error, error_code::unknown_topic_or_partition);
  EXPECT_TRUE(is_replica(t.partitions[2], self));
  EXPECT_FALSE(is_replica(t.partitions[1], self));
  EXPECT_EQ(led_by(t, self), std::vector<model::partition_id>{model::partition_id(0)});
}

}  // namespace
}  // namespace vltava::cluster
