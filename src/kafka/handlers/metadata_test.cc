#include "kafka/handlers/metadata.h"

#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;
using request = protocol::metadata_request;

request for_topics(std::vector<std::string> names, bool allow_create = true) {
  request r;
  r.topics.emplace();
  for (auto& n : names) {
    request::metadata_request_topic t;
    t.name = std::move(n);
    r.topics->push_back(std::move(t));
  }
  r.allow_auto_topic_creation = allow_create;
  return r;
}

protocol::metadata_response call(admin_fixture& f, const request& r, int16_t v) {
  return f.call<protocol::metadata_api, &serve_metadata>(r, v);
}

TEST(metadata_handler, auto_creates_with_broker_defaults) {
  admin_fixture f({"num.partitions=2"});
  auto resp = call(f, for_topics({"fresh", "bad name"}), 12);
  ASSERT_EQ(resp.brokers.size(), 1u);
  EXPECT_EQ(resp.brokers[0].node_id, model::node_id(1));
  EXPECT_EQ(resp.brokers[0].host, "127.0.0.1");
  EXPECT_EQ(resp.brokers[0].port, 9092);
  EXPECT_EQ(resp.brokers[0].rack, "rack-a");
  EXPECT_EQ(resp.cluster_id, f.store().image()->cluster_id);
  EXPECT_EQ(resp.controller_id, 1);
  ASSERT_EQ(resp.topics.size(), 2u);
  const auto& t = resp.topics[0];
  EXPECT_EQ(t.name, "fresh");
  EXPECT_EQ(t.error_code, error_code::none);
  EXPECT_NE(t.topic_id, protocol::uuid{});
  ASSERT_EQ(t.partitions.size(), 2u);
  EXPECT_EQ(t.partitions[1].partition_index, model::partition_id(1));
  EXPECT_EQ(t.partitions[1].leader_id, model::node_id(1));
  EXPECT_EQ(t.partitions[1].leader_epoch, model::leader_epoch(0));
  EXPECT_EQ(t.partitions[1].replica_nodes, std::vector<model::node_id>{model::node_id(1)});
  EXPECT_EQ(t.partitions[1].isr_nodes, std::vector<model::node_id>{model::node_id(1)});
  EXPECT_EQ(resp.topics[1].error_code, error_code::invalid_topic_exception);
  EXPECT_NE(f.store().image()->find_topic("fresh"), nullptr);
}

TEST(metadata_handler, auto_creation_needs_both_switches) {
  admin_fixture f;
  auto no_request = call(f, for_topics({"a"}, false), 9);
  EXPECT_EQ(no_request.topics.at(0).error_code, error_code::unknown_topic_or_partition);
  // Before v4 the request cannot say no.
  auto v3 = call(f, for_topics({"b"}, false), 3);
  EXPECT_EQ(v3.topics.at(0).error_code, error_code::none);
  admin_fixture off({"auto.create.topics.enable=false"});
  auto disabled = call(off, for_topics({"c"}), 12);
  EXPECT_EQ(disabled.topics.at(0).error_code, error_code::unknown_topic_or_partition);
  EXPECT_TRUE(off.store().image()->topics.empty());
}

TEST(metadata_handler, all_topics_none_and_by_id) {
  admin_fixture f;
  call(f, for_topics({"x", "y"}), 12);
  request all_v0;
  all_v0.topics.emplace();  // v0: empty = all
  EXPECT_EQ(call(f, all_v0, 0).topics.size(), 2u);
  request none_v1;
  none_v1.topics.emplace();  // v1+: empty = none
  EXPECT_EQ(call(f, none_v1, 1).topics.size(), 0u);
  request all_v1;
  all_v1.topics.reset();  // v1+: null = all
  EXPECT_EQ(call(f, all_v1, 1).topics.size(), 2u);
  request by_id;
  by_id.topics.emplace();
  request::metadata_request_topic known;
  known.topic_id = f.store().image()->find_topic("y")->id;
  known.name = std::nullopt;
  request::metadata_request_topic unknown;
  unknown.topic_id.bytes[0] = std::byte{9};
  unknown.name = std::nullopt;
  by_id.topics->push_back(known);
  by_id.topics->push_back(unknown);
  auto resp = call(f, by_id, 12);
  ASSERT_EQ(resp.topics.size(), 2u);
  EXPECT_EQ(resp.topics[0].name, "y");
  EXPECT_EQ(resp.topics[1].error_code, error_code::unknown_topic_id);
}

TEST(metadata_handler, every_version_through_the_codec) {
  admin_fixture f;
  for (int16_t v = protocol::metadata_api::min_version; v <= protocol::metadata_api::max_version;
       ++v) {
    auto r = for_topics({"topic-v" + std::to_string(v)});
    if (v >= 10) r.topics->at(0).topic_id = protocol::uuid{};
    auto resp = f.call_encoded<protocol::metadata_api>(r, v);
    ASSERT_EQ(resp.topics.size(), 1u) << v;
    EXPECT_EQ(resp.topics[0].error_code, error_code::none) << v;
    EXPECT_EQ(resp.topics[0].partitions.size(), 1u) << v;
    EXPECT_EQ(resp.brokers.size(), 1u) << v;
  }
}

}  // namespace
}  // namespace vltava::kafka
