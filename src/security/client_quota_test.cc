#include "security/client_quota.h"

#include <gtest/gtest.h>

namespace vltava::security {
namespace {

using components = quota_entity_components;
const std::optional<std::string> dflt;

quota_entity entity(components c) {
  auto e = check_quota_entity(c);
  EXPECT_TRUE(e.entity.has_value()) << e.error;
  return e.entity.value_or(quota_entity{});
}

TEST(client_quota_entity, accepts_kafka_combinations) {
  EXPECT_TRUE(check_quota_entity({{"user", "alice"}}).entity);
  EXPECT_TRUE(check_quota_entity({{"user", dflt}, {"client-id", "app"}}).entity);
  EXPECT_TRUE(check_quota_entity({{"client-id", dflt}}).entity);
  EXPECT_TRUE(check_quota_entity({{"ip", "10.0.0.1"}}).entity);
  EXPECT_TRUE(check_quota_entity({{"ip", "::1"}}).entity);
  EXPECT_TRUE(check_quota_entity({{"ip", dflt}}).entity);
}

TEST(client_quota_entity, refuses_what_kafka_refuses) {
  EXPECT_EQ(check_quota_entity({}).error, "Invalid empty client quota entity");
  EXPECT_EQ(check_quota_entity({{"group", "g"}}).error,
            "Unhandled client quota entity type: group");
  EXPECT_FALSE(check_quota_entity({{"user", "a"}, {"user", "b"}}).entity);
  EXPECT_EQ(check_quota_entity({{"user", ""}}).error, "Empty user not supported");
  EXPECT_FALSE(check_quota_entity({{"ip", "10.0.0.1"}, {"user", "a"}}).entity);
  EXPECT_FALSE(check_quota_entity({{"ip", "not-an-ip"}}).entity);
}

TEST(client_quota_value, keys_by_entity_kind_and_types) {
  const auto user = entity({{"user", "alice"}});
  const auto ip = entity({{"ip", "10.0.0.1"}});
  EXPECT_EQ(invalid_quota_value(user, producer_byte_rate, 1048576), std::nullopt);
  EXPECT_EQ(invalid_quota_value(user, request_percentage, 12.5), std::nullopt);
  EXPECT_EQ(invalid_quota_value(user, controller_mutation_rate, 0.5), std::nullopt);
  EXPECT_EQ(invalid_quota_value(ip, connection_creation_rate, 10), std::nullopt);
  EXPECT_EQ(invalid_quota_value(user, connection_creation_rate, 10),
            "Invalid configuration key connection_creation_rate");
  EXPECT_EQ(invalid_quota_value(ip, producer_byte_rate, 10),
            "Invalid configuration key producer_byte_rate");
  EXPECT_EQ(invalid_quota_value(user, "frobs", 10), "Invalid configuration key frobs");
  EXPECT_EQ(invalid_quota_value(user, producer_byte_rate, 0),
            "Quota producer_byte_rate must be greater than 0");
  EXPECT_EQ(invalid_quota_value(user, consumer_byte_rate, 10.5),
            "consumer_byte_rate cannot be a fractional value.");
  EXPECT_TRUE(invalid_quota_value(ip, connection_creation_rate, 3e9));
}

client_quota_map sample_quotas() {
  client_quota_map m;
  m[entity({{"user", "alice"}})][std::string(producer_byte_rate)] = 100;
  m[entity({{"user", "alice"}, {"client-id", "app"}})][std::string(producer_byte_rate)] = 200;
  m[entity({{"user", dflt}})][std::string(consumer_byte_rate)] = 300;
  m[entity({{"client-id", dflt}})][std::string(producer_byte_rate)] = 400;
  m[entity({{"ip", "10.0.0.1"}})][std::string(connection_creation_rate)] = 5;
  return m;
}

size_t count(const client_quota_map& m, std::vector<quota_filter_component> f, bool strict) {
  auto d = describe_quotas(m, f, strict);
  EXPECT_FALSE(d.error) << d.error->message;
  return d.matches.size();
}

TEST(client_quota_describe, strict_and_loose_matches) {
  const auto m = sample_quotas();
  EXPECT_EQ(count(m, {}, false), 5u);
  EXPECT_EQ(count(m, {}, true), 0u);
  EXPECT_EQ(count(m, {{"user", 0, "alice"}}, false), 2u);
  EXPECT_EQ(count(m, {{"user", 0, "alice"}}, true), 1u);
  EXPECT_EQ(count(m, {{"user", 1, std::nullopt}}, false), 1u);
  EXPECT_EQ(count(m, {{"user", 2, std::nullopt}}, false), 3u);
  EXPECT_EQ(count(m, {{"user", 2, std::nullopt}}, true), 2u);
  EXPECT_EQ(count(m, {{"client-id", 2, std::nullopt}, {"user", 0, "alice"}}, true), 1u);
  EXPECT_EQ(count(m, {{"ip", 2, std::nullopt}}, false), 1u);
}

TEST(client_quota_describe, bad_filters) {
  const auto m = sample_quotas();
  auto refusal = [&](std::vector<quota_filter_component> f) {
    auto d = describe_quotas(m, f, false);
    return d.error ? std::optional(d.error->refusal) : std::nullopt;
  };
  EXPECT_EQ(refusal({{"group", 2, std::nullopt}}), quota_refusal::unsupported_version);
  EXPECT_EQ(refusal({{"user", 7, std::nullopt}}), quota_refusal::unsupported_version);
  EXPECT_EQ(refusal({{"user", 0, std::nullopt}}), quota_refusal::invalid_request);
  EXPECT_EQ(refusal({{"user", 1, "x"}}), quota_refusal::invalid_request);
  EXPECT_EQ(refusal({{"user", 2, "x"}}), quota_refusal::invalid_request);
  EXPECT_EQ(refusal({{"user", 2, std::nullopt}, {"user", 1, std::nullopt}}),
            quota_refusal::invalid_request);
  EXPECT_EQ(refusal({{"ip", 2, std::nullopt}, {"user", 1, std::nullopt}}),
            quota_refusal::invalid_request);
  EXPECT_EQ(refusal({{"", 2, std::nullopt}}), quota_refusal::invalid_request);
}

// KIP-55's eight levels, each shadowing the ones below it.
TEST(client_quota_resolve, kip55_precedence) {
  const std::string key(producer_byte_rate);
  client_quota_map m;
  auto set = [&](components c, double v) { m[entity(c)][key] = v; };
  auto bound = [&](std::string_view user, std::string_view client) {
    auto q = resolve_quota(m, key, user, client);
    return q ? q->bound : -1;
  };
  EXPECT_EQ(bound("alice", "app"), -1);
  set({{"client-id", dflt}}, 8);
  EXPECT_EQ(bound("alice", "app"), 8);
  set({{"client-id", "app"}}, 7);
  EXPECT_EQ(bound("alice", "app"), 7);
  EXPECT_EQ(bound("alice", "other"), 8);
  set({{"user", dflt}}, 6);
  EXPECT_EQ(bound("alice", "app"), 6);
  set({{"user", dflt}, {"client-id", dflt}}, 5);
  EXPECT_EQ(bound("alice", "app"), 5);
  set({{"user", dflt}, {"client-id", "app"}}, 4);
  EXPECT_EQ(bound("alice", "app"), 4);
  set({{"user", "alice"}}, 3);
  EXPECT_EQ(bound("alice", "app"), 3);
  EXPECT_EQ(bound("bob", "app"), 4);
  set({{"user", "alice"}, {"client-id", dflt}}, 2);
  EXPECT_EQ(bound("alice", "app"), 2);
  set({{"user", "alice"}, {"client-id", "app"}}, 1);
  EXPECT_EQ(bound("alice", "app"), 1);
  EXPECT_EQ(bound("alice", "other"), 2);
  // Other keys do not shadow.
  EXPECT_FALSE(resolve_quota(m, consumer_byte_rate, "alice", "app"));
}

TEST(client_quota_resolve, who_shares_a_quota) {
  const std::string key(producer_byte_rate);
  client_quota_map m;
  m[entity({{"user", "alice"}})][key] = 10;
  m[entity({{"user", dflt}, {"client-id", dflt}})][key] = 20;
  m[entity({{"client-id", dflt}})][key] = 30;
  auto alice = resolve_quota(m, key, "alice", "app").value();
  EXPECT_EQ(alice.user, "alice");
  EXPECT_EQ(alice.client_id, "");  // every client id of alice shares it
  auto bob = resolve_quota(m, key, "bob", "app").value();
  EXPECT_EQ(bob.bound, 20);
  EXPECT_EQ(bob.user, "bob");  // a default applies to each user and client id on its own
  EXPECT_EQ(bob.client_id, "app");
  m.erase(entity({{"user", dflt}, {"client-id", dflt}}));
  auto anyone = resolve_quota(m, key, "bob", "app").value();
  EXPECT_EQ(anyone.user, "");
  EXPECT_EQ(anyone.client_id, "app");
}

}  // namespace
}  // namespace vltava::security
