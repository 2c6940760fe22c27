// What the describing APIs (Metadata, DescribeCluster, DescribeTopicPartitions) and
// FindCoordinator tell clients of a three-broker cluster seen from node 1: brokers 1 and 2
// live, 3 fenced.

#include <gtest/gtest.h>

#include "cluster/test_node.h"
#include "kafka/handlers/describe_cluster.h"
#include "kafka/handlers/find_coordinator.h"
#include "kafka/handlers/metadata.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;

const model::node_id self(1);

// "t": 0 led by 1 (epoch 3), 1 led by 2 with 3 a replica, 2 led by nobody.
cluster::metadata_image cluster_image() {
  cluster::metadata_image img;
  cluster::testing::add_three_brokers(img);
  cluster::topic_info t;
  t.name = "t";
  t.id = cluster::testing::make_uuid(1);
  t.partition_count = 3;
  img.topics.emplace("t", t);
  cluster::testing::assign(img, "t", 0, {1, 2}, 1, 3);
  cluster::testing::assign(img, "t", 1, {2, 3}, 2, 4);
  cluster::testing::assign(img, "t", 2, {3, 1}, -1, 5);
  return img;
}

TEST(cluster_view, metadata_lists_live_brokers_and_partitions_as_assigned) {
  auto img = cluster_image();
  auto brokers = metadata_brokers(img, "PLAINTEXT");
  ASSERT_EQ(brokers.size(), 2u);
  EXPECT_EQ(brokers[0].node_id, model::node_id(1));
  EXPECT_EQ(brokers[1].node_id, model::node_id(2));
  EXPECT_EQ(brokers[1].host, "broker2");

  auto t = describe_topic(img, *img.find_topic("t"), self, 12, false);
  ASSERT_EQ(t.partitions.size(), 3u);
  EXPECT_EQ(t.partitions[0].error_code, error_code::none);
  EXPECT_EQ(t.partitions[0].leader_id, model::node_id(1));
  EXPECT_EQ(t.partitions[0].leader_epoch, model::leader_epoch(3));
  EXPECT_TRUE(t.partitions[0].offline_replicas.empty());
  EXPECT_EQ(t.partitions[1].leader_id, model::node_id(2));
  EXPECT_EQ(t.partitions[1].replica_nodes,
            (std::vector<model::node_id>{model::node_id(2), model::node_id(3)}));
  EXPECT_EQ(t.partitions[1].offline_replicas, std::vector<model::node_id>{model::node_id(3)});
  EXPECT_EQ(t.partitions[2].error_code, error_code::leader_not_available);
  EXPECT_EQ(t.partitions[2].leader_id, model::node_id(-1));
  EXPECT_EQ(t.partitions[2].offline_replicas, std::vector<model::node_id>{model::node_id(3)});
}

TEST(cluster_view, an_image_without_assignments_is_this_node_alone) {
  cluster::metadata_image img;
  cluster::broker_info b;
  b.id = self;
  b.endpoints.push_back({"PLAINTEXT", "127.0.0.1", 9092});
  b.fenced = false;
  img.brokers.push_back(b);
  cluster::topic_info t;
  t.name = "t";
  t.partition_count = 2;
  img.topics.emplace("t", t);
  auto d = describe_topic(img, *img.find_topic("t"), self, 12, false);
  ASSERT_EQ(d.partitions.size(), 2u);
  EXPECT_EQ(d.partitions[1].error_code, error_code::none);
  EXPECT_EQ(d.partitions[1].leader_id, self);
  EXPECT_EQ(d.partitions[1].replica_nodes, std::vector<model::node_id>{self});
  EXPECT_TRUE(d.partitions[1].offline_replicas.empty());
  EXPECT_EQ(metadata_brokers(img, "PLAINTEXT").size(), 1u);
  auto c = locate_coordinator(img, "t", model::partition_id(1), self, "PLAINTEXT");
  EXPECT_EQ(c.error, error_code::none);
  EXPECT_EQ(c.node, self);
  EXPECT_EQ(c.port, 9092);
}

TEST(cluster_view, describe_topic_partitions_helpers) {
  auto img = cluster_image();
  const auto& parts = img.find_topic("t")->partitions;
  EXPECT_EQ(partition_error(parts[0]), error_code::none);
  EXPECT_EQ(partition_error(parts[2]), error_code::leader_not_available);
  EXPECT_EQ(offline_replicas(img, parts[2]), std::vector<model::node_id>{model::node_id(3)});
}

TEST(cluster_view, describe_cluster_flags_fenced_brokers_only_when_asked) {
  auto img = cluster_image();
  auto live = cluster_brokers(img, "PLAINTEXT", false);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_FALSE(live[0].is_fenced);
  EXPECT_FALSE(live[1].is_fenced);
  auto all = cluster_brokers(img, "PLAINTEXT", true);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].broker_id, model::node_id(3));
  EXPECT_TRUE(all[2].is_fenced);
}

// Clients send admin requests to the ControllerId they are told: a controller-only node (not a
// broker, unreachable on client listeners) is never named; a live broker forwards for it.
TEST(cluster_view, the_controller_told_to_clients_is_a_live_broker) {
  auto img = cluster_image();
  img.controller_id = model::node_id(2);  // a combined node: itself
  EXPECT_EQ(img.controller_for_clients(), model::node_id(2));
  img.controller_id = model::node_id(7);  // controller-only: the lowest live broker
  EXPECT_EQ(img.controller_for_clients(), model::node_id(1));
  img.controller_id = model::node_id(3);  // a fenced broker is no better
  EXPECT_EQ(img.controller_for_clients(), model::node_id(1));
  for (auto& b : img.brokers) b.fenced = true;
  EXPECT_EQ(img.controller_for_clients(), model::node_id(-1));
  cluster::metadata_image alone;
  alone.controller_id = self;  // before its own registration
  EXPECT_EQ(alone.controller_for_clients(), self);
}

TEST(cluster_view, the_coordinator_is_the_partition_leader) {
  auto img = cluster_image();
  auto here = locate_coordinator(img, "t", model::partition_id(0), self, "PLAINTEXT");
  EXPECT_EQ(here.error, error_code::none);
  EXPECT_EQ(here.node, self);
  EXPECT_EQ(here.host, "broker1");
  auto there = locate_coordinator(img, "t", model::partition_id(1), self, "PLAINTEXT");
  EXPECT_EQ(there.error, error_code::none);
  EXPECT_EQ(there.node, model::node_id(2));
  EXPECT_EQ(there.host, "broker2");
  EXPECT_EQ(there.port, 9092);
  // No leader, or a fenced one, or no topic/partition: not available.
  EXPECT_EQ(locate_coordinator(img, "t", model::partition_id(2), self, "PLAINTEXT").error,
            error_code::coordinator_not_available);
  cluster::testing::assign(img, "t", 2, {3, 1}, 3, 6);
  EXPECT_EQ(locate_coordinator(img, "t", model::partition_id(2), self, "PLAINTEXT").error,
            error_code::coordinator_not_available);
  EXPECT_EQ(locate_coordinator(img, "t", std::nullopt, self, "PLAINTEXT").error,
            error_code::coordinator_not_available);
  EXPECT_EQ(locate_coordinator(img, "nope", model::partition_id(0), self, "PLAINTEXT").error,
            error_code::coordinator_not_available);
}

}  // namespace
}  // namespace vltava::kafka
