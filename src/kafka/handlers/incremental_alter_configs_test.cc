#include "kafka/handlers/incremental_alter_configs.h"

#include "kafka/handlers/alter_configs.h"
#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;
using request = protocol::incremental_alter_configs_request;

request::alter_configs_resource resource(
    int8_t type, std::string name,
    std::vector<std::tuple<std::string, int8_t, std::optional<std::string>>> ops) {
  request::alter_configs_resource r;
  r.resource_type = type;
  r.resource_name = std::move(name);
  for (auto& [k, op, v] : ops) {
    request::alter_configs_resource::alterable_config c;
    c.name = k;
    c.config_operation = op;
    c.value = v;
    r.configs.push_back(c);
  }
  return r;
}

class incremental_alter : public ::testing::Test {
 protected:
  incremental_alter() {
    cluster::create_topic_request t;
    t.name = "t";
    EXPECT_TRUE(f.run([&] { return f.store().create_topic(t); }).ok());
  }
  protocol::incremental_alter_configs_response alter(
      std::vector<request::alter_configs_resource> rs, bool validate = false) {
    request r;
    r.resources = std::move(rs);
    r.validate_only = validate;
    return f.call<protocol::incremental_alter_configs_api, &serve_incremental_alter_configs>(r, 1);
  }
  std::map<std::string, std::string, std::less<>> topic_overrides() {
    return f.store().image()->find_topic("t")->config_overrides;
  }
  admin_fixture f;
};

TEST_F(incremental_alter, set_append_subtract_delete) {
  auto r = alter({resource(cluster::resource_type_topic, "t",
                           {{"retention.ms", 0, "1000"}, {"cleanup.policy", 2, "compact"}})});
  ASSERT_EQ(r.responses.at(0).error_code, error_code::none);
  EXPECT_EQ(r.responses[0].resource_name, "t");
  EXPECT_EQ(topic_overrides().at("retention.ms"), "1000");
  EXPECT_EQ(topic_overrides().at("cleanup.policy"), "delete,compact");
  r = alter({resource(cluster::resource_type_topic, "t", {{"cleanup.policy", 3, "delete"}})});
  EXPECT_EQ(topic_overrides().at("cleanup.policy"), "compact");
  r = alter({resource(cluster::resource_type_topic, "t", {{"retention.ms", 1, std::nullopt}})});
  EXPECT_EQ(r.responses.at(0).error_code, error_code::none);
  EXPECT_FALSE(topic_overrides().contains("retention.ms"));
}

TEST_F(incremental_alter, errors_per_resource) {
  auto r = alter({resource(cluster::resource_type_topic, "t", {{"retention.ms", 2, "1"}}),
                  resource(cluster::resource_type_topic, "missing", {{"retention.ms", 0, "1"}}),
                  resource(cluster::resource_type_broker, "1", {{"num.partitions", 0, "3"}}),
                  resource(cluster::resource_type_broker, "1", {{"log.retention.ms", 0, "1"}}),
                  resource(9, "x", {})});
  ASSERT_EQ(r.responses.size(), 5u);
  EXPECT_EQ(r.responses[0].error_code, error_code::invalid_config);  // APPEND to a long
  EXPECT_EQ(r.responses[1].error_code, error_code::unknown_topic_or_partition);
  EXPECT_EQ(r.responses[2].error_code, error_code::invalid_request);  // duplicate resource
  EXPECT_EQ(r.responses[3].error_code, error_code::invalid_request);
  EXPECT_EQ(r.responses[4].error_code, error_code::invalid_request);
}

TEST_F(incremental_alter, broker_configs_persist_and_validate_only_does_not) {
  auto v =
      alter({resource(cluster::resource_type_broker, "", {{"log.retention.ms", 0, "9"}})}, true);
  EXPECT_EQ(v.responses.at(0).error_code, error_code::none);
  EXPECT_TRUE(f.store().image()->cluster_config_overrides.empty());
  auto r =
      alter({resource(cluster::resource_type_broker, "", {{"log.retention.ms", 0, "9"}}),
             resource(cluster::resource_type_broker, "1", {{"log.segment.bytes", 0, "99999"}})});
  EXPECT_EQ(r.responses.at(0).error_code, error_code::none);
  EXPECT_EQ(r.responses.at(1).error_code, error_code::none);
  EXPECT_EQ(f.store().image()->cluster_config_overrides.at("log.retention.ms"), "9");
  EXPECT_EQ(f.store().image()->broker_config_overrides(model::node_id(1)).at("log.segment.bytes"),
            "99999");
}

TEST_F(incremental_alter, legacy_alter_configs_replaces_the_override_set) {
  alter({resource(cluster::resource_type_topic, "t",
                  {{"retention.ms", 0, "1000"}, {"segment.ms", 0, "5000"}})});
  protocol::alter_configs_request legacy;
  protocol::alter_configs_request::alter_configs_resource res;
  res.resource_type = cluster::resource_type_topic;
  res.resource_name = "t";
  protocol::alter_configs_request::alter_configs_resource::alterable_config c;
  c.name = "max.message.bytes";
  c.value = "2048";
  res.configs.push_back(c);
  legacy.resources.push_back(res);
  auto r = f.call_encoded<protocol::alter_configs_api>(legacy, 2);
  ASSERT_EQ(r.responses.at(0).error_code, error_code::none);
  auto o = topic_overrides();
  EXPECT_EQ(o.size(), 1u);
  EXPECT_EQ(o.at("max.message.bytes"), "2048");
  c.value = std::nullopt;
  legacy.resources[0].configs[0] = c;
  auto bad = f.call<protocol::alter_configs_api, &serve_alter_configs>(legacy, 0);
  EXPECT_EQ(bad.responses.at(0).error_code, error_code::invalid_request);
}

}  // namespace
}  // namespace vltava::kafka
