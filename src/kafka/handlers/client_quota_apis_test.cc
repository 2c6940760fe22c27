#include "kafka/handlers/client_quota_apis.h"

#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;
using alter_request = protocol::alter_client_quotas_request;
using describe_request = protocol::describe_client_quotas_request;

alter_request::entry_data entry(std::vector<std::pair<std::string, std::optional<std::string>>> e,
                                std::vector<std::pair<std::string, std::optional<double>>> ops) {
  alter_request::entry_data out;
  for (auto& [type, name] : e) {
    auto& x = out.entity.emplace_back();
    x.entity_type = type;
    x.entity_name = name;
  }
  for (auto& [key, value] : ops) {
    auto& op = out.ops.emplace_back();
    op.key = key;
    op.value = value.value_or(0);
    op.remove = !value;
  }
  return out;
}

class client_quota_apis : public ::testing::Test {
 protected:
  protocol::alter_client_quotas_response alter(std::vector<alter_request::entry_data> entries,
                                               bool validate_only = false, int16_t v = 1) {
    alter_request r;
    r.entries = std::move(entries);
    r.validate_only = validate_only;
    return f.call_encoded<protocol::alter_client_quotas_api>(r, v);
  }
  protocol::describe_client_quotas_response describe(
      std::vector<describe_request::component_data> components, bool strict = false,
      int16_t v = 1) {
    describe_request r;
    r.components = std::move(components);
    r.strict = strict;
    return f.call_encoded<protocol::describe_client_quotas_api>(r, v);
  }
  admin_fixture f;
};

TEST_F(client_quota_apis, alter_then_describe_at_both_versions) {
  auto r = alter({entry({{"user", "alice"}}, {{"producer_byte_rate", 1024}}),
                  entry({{"user", std::nullopt}, {"client-id", "app"}},
                        {{"consumer_byte_rate", 2048}, {"request_percentage", 50.5}}),
                  entry({{"user", "bob"}}, {{"frobs", 1}})},
                 false, 0);
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].error_code, error_code::none);
  EXPECT_EQ(r.entries[0].error_message, std::nullopt);
  EXPECT_EQ(r.entries[1].error_code, error_code::none);
  ASSERT_EQ(r.entries[1].entity.size(), 2u);
  EXPECT_EQ(r.entries[1].entity[0].entity_name, std::nullopt);  // echoed as sent
  EXPECT_EQ(r.entries[2].error_code, error_code::invalid_request);
  EXPECT_EQ(r.entries[2].error_message, "Invalid configuration key frobs");

  auto all = describe({});
  EXPECT_EQ(all.error_code, error_code::none);
  ASSERT_TRUE(all.entries.has_value());
  EXPECT_EQ(all.entries->size(), 2u);
  describe_request::component_data user_any;
  user_any.entity_type = "user";
  user_any.match_type = 2;
  user_any.match = std::nullopt;
  auto strict = describe({user_any}, true, 0);
  ASSERT_TRUE(strict.entries.has_value());
  ASSERT_EQ(strict.entries->size(), 1u);
  const auto& alice = strict.entries->front();
  EXPECT_EQ(alice.entity.at(0).entity_name, "alice");
  ASSERT_EQ(alice.values.size(), 1u);
  EXPECT_EQ(alice.values[0].key, "producer_byte_rate");
  EXPECT_EQ(alice.values[0].value, 1024);
}

TEST_F(client_quota_apis, validate_only_writes_nothing_and_bad_filters_fail_whole) {
  auto r = alter({entry({{"client-id", "x"}}, {{"producer_byte_rate", 10}})}, true);
  EXPECT_EQ(r.entries.at(0).error_code, error_code::none);
  EXPECT_TRUE(f.store().image()->client_quotas.empty());
  describe_request::component_data bad;
  bad.entity_type = "group";
  bad.match_type = 2;
  bad.match = std::nullopt;
  auto d = describe({bad});
  EXPECT_EQ(d.error_code, error_code::unsupported_version);
  EXPECT_FALSE(d.entries.has_value());
  bad.entity_type = "user";
  bad.match_type = 0;  // exact, but no name
  d = describe({bad});
  EXPECT_EQ(d.error_code, error_code::invalid_request);
  EXPECT_EQ(d.error_message, "Request specified MATCH_TYPE_EXACT, but set match string to null.");
}

}  // namespace
}  // namespace vltava::kafka
