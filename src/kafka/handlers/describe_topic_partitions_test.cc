#include "kafka/handlers/describe_topic_partitions.h"

#include "kafka/handlers/describe_cluster.h"
#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;
using request = protocol::describe_topic_partitions_request;

void create(admin_fixture& f, std::string name, int32_t partitions) {
  cluster::create_topic_request t;
  t.name = std::move(name);
  t.num_partitions = partitions;
  ASSERT_TRUE(f.run([&] { return f.store().create_topic(t); }).ok());
}

TEST(describe_topic_partitions_handler, pages_with_a_cursor) {
  admin_fixture f;
  create(f, "a", 3);
  create(f, "b", 2);
  request r;
  r.response_partition_limit = 2;
  auto first = f.call_encoded<protocol::describe_topic_partitions_api>(r, 0);
  ASSERT_EQ(first.topics.size(), 1u);
  EXPECT_EQ(first.topics[0].name, "a");
  EXPECT_EQ(first.topics[0].partitions.size(), 2u);
  ASSERT_TRUE(first.next_cursor.has_value());
  EXPECT_EQ(first.next_cursor->topic_name, "a");
  EXPECT_EQ(first.next_cursor->partition_index, model::partition_id(2));
  r.cursor = first.next_cursor;
  auto second =
      f.call<protocol::describe_topic_partitions_api, &serve_describe_topic_partitions>(r, 0);
  // The page fills up with the next topic's first partition (Kafka does the same).
  ASSERT_EQ(second.topics.size(), 2u);
  EXPECT_EQ(second.topics[0].partitions.at(0).partition_index, model::partition_id(2));
  EXPECT_EQ(second.topics[1].name, "b");
  EXPECT_EQ(second.topics[1].partitions.size(), 1u);
  ASSERT_TRUE(second.next_cursor.has_value());
  EXPECT_EQ(second.next_cursor->topic_name, "b");
  EXPECT_EQ(second.next_cursor->partition_index, model::partition_id(1));
  r.cursor = second.next_cursor;
  auto third =
      f.call<protocol::describe_topic_partitions_api, &serve_describe_topic_partitions>(r, 0);
  ASSERT_EQ(third.topics.size(), 1u);
  EXPECT_EQ(third.topics[0].partitions.size(), 1u);
  EXPECT_FALSE(third.next_cursor.has_value());
}

TEST(describe_topic_partitions_handler, named_topics_and_errors) {
  admin_fixture f;
  create(f, "a", 1);
  request r;
  request::topic_request a, missing;
  a.name = "a";
  missing.name = "zz";
  r.topics = {missing, a};
  auto resp =
      f.call<protocol::describe_topic_partitions_api, &serve_describe_topic_partitions>(r, 0);
  ASSERT_EQ(resp.topics.size(), 2u);
  EXPECT_EQ(resp.topics[0].name, "a");  // name order
  EXPECT_EQ(resp.topics[0].partitions.at(0).leader_id, model::node_id(1));
  EXPECT_EQ(resp.topics[1].error_code, error_code::unknown_topic_or_partition);
}

TEST(describe_cluster_handler, this_node) {
  admin_fixture f;
  protocol::describe_cluster_request r;
  auto resp = f.call_encoded<protocol::describe_cluster_api>(r, 2);
  EXPECT_EQ(resp.error_code, error_code::none);
  EXPECT_EQ(resp.cluster_id, f.store().image()->cluster_id);
  EXPECT_EQ(resp.controller_id, 1);
  ASSERT_EQ(resp.brokers.size(), 1u);
  EXPECT_EQ(resp.brokers[0].port, 9092);
  EXPECT_FALSE(resp.brokers[0].is_fenced);
  r.endpoint_type = 3;
  auto bad = f.call<protocol::describe_cluster_api, &serve_describe_cluster>(r, 1);
  EXPECT_EQ(bad.error_code, error_code::unsupported_endpoint_type);
}

}  // namespace
}  // namespace vltava::kafka
