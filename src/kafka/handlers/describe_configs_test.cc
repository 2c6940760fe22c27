#include "kafka/handlers/describe_configs.h"

#include "config/broker_configs.h"
#include "config/topic_configs.h"
#include "kafka/handlers/incremental_alter_configs.h"
#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;
using request = protocol::describe_configs_request;
using result = protocol::describe_configs_response::describe_configs_result;
using entry = result::describe_configs_resource_result;

request describe(int8_t type, std::string name, bool synonyms = true) {
  request r;
  request::describe_configs_resource res;
  res.resource_type = type;
  res.resource_name = std::move(name);
  res.configuration_keys = std::nullopt;
  r.resources.push_back(res);
  r.include_synonyms = synonyms;
  return r;
}

const entry* find(const result& r, std::string_view name) {
  for (const auto& c : r.configs) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(describe_configs_handler, topic_sources_and_synonyms) {
  admin_fixture f({"log.retention.hours=48"});
  cluster::create_topic_request t;
  t.name = "t";
  t.configs = {{"segment.bytes", "1048576"}};
  ASSERT_TRUE(f.run([&] { return f.store().create_topic(t); }).ok());
  auto resp = f.call<protocol::describe_configs_api, &serve_describe_configs>(
      describe(cluster::resource_type_topic, "t"), 4);
  ASSERT_EQ(resp.results.size(), 1u);
  const auto& r = resp.results[0];
  EXPECT_EQ(r.error_code, error_code::none);
  const entry* seg = find(r, "segment.bytes");
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->value, "1048576");
  EXPECT_EQ(seg->config_source, config_source_code::dynamic_topic);
  EXPECT_EQ(seg->config_type, 3);  // INT
  ASSERT_GE(seg->synonyms.size(), 2u);
  EXPECT_EQ(seg->synonyms[0].name, "segment.bytes");
  EXPECT_EQ(seg->synonyms[1].name, "log.segment.bytes");
  EXPECT_EQ(seg->synonyms[1].source, config_source_code::default_config);
  const entry* ret = find(r, "retention.ms");
  ASSERT_NE(ret, nullptr);
  EXPECT_EQ(ret->value, "172800000");
  EXPECT_EQ(ret->config_source, config_source_code::static_broker);
  EXPECT_EQ(ret->config_type, 5);  // LONG
  ASSERT_EQ(ret->synonyms.size(), 2u);
  EXPECT_EQ(ret->synonyms[0].name, "log.retention.hours");
  EXPECT_EQ(ret->synonyms[0].value, "48");
  EXPECT_EQ(ret->synonyms[1].value, "168");
  EXPECT_EQ(ret->documentation, std::nullopt);
  EXPECT_FALSE(ret->read_only);
  // Without synonyms, and only the keys asked for.
  auto only = describe(cluster::resource_type_topic, "t", false);
  only.resources[0].configuration_keys = std::vector<std::string>{"retention.ms"};
  auto small = f.call_encoded<protocol::describe_configs_api>(only, 1);
  ASSERT_EQ(small.results.at(0).configs.size(), 1u);
  EXPECT_TRUE(small.results[0].configs[0].synonyms.empty());
}

TEST(describe_configs_handler, dynamic_broker_configs_take_precedence) {
  admin_fixture f;
  protocol::incremental_alter_configs_request alter;
  protocol::incremental_alter_configs_request::alter_configs_resource res;
  res.resource_type = cluster::resource_type_broker;
  res.resource_name = "1";
  protocol::incremental_alter_configs_request::alter_configs_resource::alterable_config c;
  c.name = "log.retention.ms";
  c.config_operation = 0;
  c.value = "5000";
  res.configs.push_back(c);
  alter.resources.push_back(res);
  auto altered =
      f.call<protocol::incremental_alter_configs_api, &serve_incremental_alter_configs>(alter, 1);
  ASSERT_EQ(altered.responses.at(0).error_code, error_code::none);
  auto broker = f.call<protocol::describe_configs_api, &serve_describe_configs>(
      describe(cluster::resource_type_broker, "1"), 4);
  const entry* ms = find(broker.results.at(0), "log.retention.ms");
  ASSERT_NE(ms, nullptr);
  EXPECT_EQ(ms->value, "5000");
  EXPECT_EQ(ms->config_source, config_source_code::dynamic_broker);
  EXPECT_FALSE(ms->read_only);
  const entry* parts = find(broker.results.at(0), "num.partitions");
  ASSERT_NE(parts, nullptr);
  EXPECT_TRUE(parts->read_only);
  EXPECT_EQ(parts->config_source, config_source_code::default_config);
  auto defaults = f.call<protocol::describe_configs_api, &serve_describe_configs>(
      describe(cluster::resource_type_broker, ""), 4);
  EXPECT_TRUE(defaults.results.at(0).configs.empty());
  auto other = f.call<protocol::describe_configs_api, &serve_describe_configs>(
      describe(cluster::resource_type_broker, "2"), 4);
  EXPECT_EQ(other.results.at(0).error_code, error_code::invalid_request);
  auto missing = f.call<protocol::describe_configs_api, &serve_describe_configs>(
      describe(cluster::resource_type_topic, "missing"), 4);
  EXPECT_EQ(missing.results.at(0).error_code, error_code::unknown_topic_or_partition);
}

// IncludeDocumentation (v3+) sends each config's line from the config tables; without it, or
// below v3, documentation is null, as in Kafka.
TEST(describe_configs_handler, documentation_when_asked) {
  admin_fixture f;
  cluster::create_topic_request t;
  t.name = "t";
  ASSERT_TRUE(f.run([&] { return f.store().create_topic(t); }).ok());
  auto asked = describe(cluster::resource_type_topic, "t");
  asked.include_documentation = true;
  auto topic = f.call_encoded<protocol::describe_configs_api>(asked, 4);
  const entry* ret = find(topic.results.at(0), "retention.ms");
  ASSERT_NE(ret, nullptr);
  EXPECT_EQ(ret->documentation, config::topic_keys::retention_ms.def().doc);
  for (const auto& c : topic.results[0].configs) {
    EXPECT_FALSE(c.documentation.value_or("").empty()) << c.name;
  }
  asked.resources[0].resource_type = cluster::resource_type_broker;
  asked.resources[0].resource_name = "1";
  auto broker = f.call_encoded<protocol::describe_configs_api>(asked, 3);
  const entry* parts = find(broker.results.at(0), "num.partitions");
  ASSERT_NE(parts, nullptr);
  EXPECT_EQ(parts->documentation, config::broker_keys::num_partitions.def().doc);
  // v2 has no documentation on the wire: the handler's own answer is null.
  auto old = f.call<protocol::describe_configs_api, &serve_describe_configs>(asked, 2);
  EXPECT_EQ(find(old.results.at(0), "num.partitions")->documentation, std::nullopt);
}

}  // namespace
}  // namespace vltava::kafka
