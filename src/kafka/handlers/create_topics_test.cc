#include "kafka/handlers/create_topics.h"

#include "kafka/handlers/describe_configs.h"
#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;
using request = protocol::create_topics_request;

request::creatable_topic topic(std::string name, int32_t partitions = -1, int16_t rf = -1) {
  request::creatable_topic t;
  t.name = std::move(name);
  t.num_partitions = partitions;
  t.replication_factor = rf;
  return t;
}

TEST(create_topics_handler, errors_per_topic) {
  admin_fixture f;
  request r;
  r.topics.push_back(topic("good", 3));
  r.topics.push_back(topic("dup"));
  r.topics.push_back(topic("dup"));
  r.topics.push_back(topic("rf", 1, 2));
  r.topics.push_back(topic(std::string(250, 'x')));
  auto manual = topic("manual", 1, -1);
  request::creatable_topic::creatable_replica_assignment a;
  a.partition_index = model::partition_id(0);
  a.broker_ids = {1};
  manual.assignments.push_back(a);
  r.topics.push_back(manual);
  auto cfg = topic("cfg");
  request::creatable_topic::creatable_topic_config c;
  c.name = "cleanup.policy";
  c.value = "sometimes";
  cfg.configs.push_back(c);
  r.topics.push_back(cfg);
  auto resp = f.call<protocol::create_topics_api, &serve_create_topics>(r, 7);
  ASSERT_EQ(resp.topics.size(), 7u);
  EXPECT_EQ(resp.topics[0].error_code, error_code::none);
  EXPECT_EQ(resp.topics[0].error_message, std::nullopt);
  EXPECT_EQ(resp.topics[0].num_partitions, 3);
  EXPECT_EQ(resp.topics[0].replication_factor, 1);
  EXPECT_EQ(resp.topics[0].topic_id, f.store().image()->find_topic("good")->id);
  EXPECT_EQ(resp.topics[1].error_code, error_code::invalid_request);
  EXPECT_EQ(resp.topics[2].error_code, error_code::invalid_request);
  EXPECT_EQ(resp.topics[3].error_code, error_code::invalid_replication_factor);
  EXPECT_EQ(resp.topics[4].error_code, error_code::invalid_topic_exception);
  EXPECT_EQ(resp.topics[5].error_code, error_code::invalid_request);  // count not -1
  EXPECT_EQ(resp.topics[6].error_code, error_code::invalid_config);
  auto again = f.call<protocol::create_topics_api, &serve_create_topics>(r, 7);
  EXPECT_EQ(again.topics[0].error_code, error_code::topic_already_exists);
}

TEST(create_topics_handler, v5_returns_configs_with_sources) {
  admin_fixture f({"log.retention.hours=48"});
  request r;
  auto t = topic("t", 2);
  request::creatable_topic::creatable_topic_config c;
  c.name = "segment.bytes";
  c.value = "1048576";
  t.configs.push_back(c);
  r.topics.push_back(t);
  auto resp = f.call_encoded<protocol::create_topics_api>(r, 5);
  ASSERT_EQ(resp.topics.size(), 1u);
  ASSERT_TRUE(resp.topics[0].configs.has_value());
  int found = 0;
  for (const auto& cfg : *resp.topics[0].configs) {
    if (cfg.name == "segment.bytes") {
      EXPECT_EQ(cfg.value, "1048576");
      EXPECT_EQ(cfg.config_source, config_source_code::dynamic_topic);
      ++found;
    }
    if (cfg.name == "retention.ms") {
      EXPECT_EQ(cfg.value, "172800000");
      EXPECT_EQ(cfg.config_source, config_source_code::static_broker);
      ++found;
    }
    if (cfg.name == "compression.type") {
      EXPECT_EQ(cfg.config_source, config_source_code::default_config);
      ++found;
    }
  }
  EXPECT_EQ(found, 3);
}

TEST(create_topics_handler, validate_only_and_manual_assignment) {
  admin_fixture f;
  request r;
  r.validate_only = true;
  r.topics.push_back(topic("checked", 4));
  auto resp = f.call<protocol::create_topics_api, &serve_create_topics>(r, 4);
  EXPECT_EQ(resp.topics[0].error_code, error_code::none);
  EXPECT_TRUE(f.store().image()->topics.empty());
  request m;
  auto manual = topic("manual");
  for (int32_t i = 0; i < 2; ++i) {
    request::creatable_topic::creatable_replica_assignment a;
    a.partition_index = model::partition_id(i);
    a.broker_ids = {1};
    manual.assignments.push_back(a);
  }
  m.topics.push_back(manual);
  auto ok = f.call<protocol::create_topics_api, &serve_create_topics>(m, 7);
  EXPECT_EQ(ok.topics[0].error_code, error_code::none);
  EXPECT_EQ(f.store().image()->find_topic("manual")->partition_count, 2);
}

}  // namespace
}  // namespace vltava::kafka
