#include "security/authorizer.h"

#include <gtest/gtest.h>

#include "config/broker_configs.h"

namespace vltava::security {
namespace {

using enum acl_operation;

class authorizer_test : public ::testing::Test {
 protected:
  void allow(resource_type t, std::string name, pattern_type p, acl_operation op,
             std::string principal = "User:alice", std::string host = "*") {
    add(acl_binding{t, std::move(name), p, std::move(principal), std::move(host), op,
                    acl_permission::allow});
  }
  void deny(resource_type t, std::string name, pattern_type p, acl_operation op,
            std::string principal = "User:alice", std::string host = "*") {
    add(acl_binding{t, std::move(name), p, std::move(principal), std::move(host), op,
                    acl_permission::deny});
  }
  void add(acl_binding b) {
    acl_id id{};
    id[0] = std::byte{_next++};
    ASSERT_TRUE(_acls.add(id, std::move(b)).has_value());
  }
  bool can(acl_operation op, resource_type t, std::string_view name,
           std::string_view who = "User:alice", std::string_view host = "10.0.0.1") const {
    return _auth.authorize(_acls, requester{who, host}, op, t, name);
  }

  authorizer_config _config{{"User:admin"}, false};
  authorizer _auth{_config};
  acl_table _acls;
  uint8_t _next = 1;
};

TEST_F(authorizer_test, nothing_without_acls_but_super_users) {
  EXPECT_FALSE(can(read, resource_type::topic, "t"));
  EXPECT_TRUE(can(read, resource_type::topic, "t", "User:admin"));
  EXPECT_TRUE(can(alter, resource_type::cluster, "kafka-cluster", "User:admin"));
}

TEST_F(authorizer_test, literal_allow_is_exact) {
  allow(resource_type::topic, "orders", pattern_type::literal, write);
  EXPECT_TRUE(can(write, resource_type::topic, "orders"));
  EXPECT_FALSE(can(write, resource_type::topic, "orders2"));
  EXPECT_FALSE(can(read, resource_type::topic, "orders"));
  EXPECT_FALSE(can(write, resource_type::group, "orders"));
  EXPECT_FALSE(can(write, resource_type::topic, "orders", "User:bob"));
}

TEST_F(authorizer_test, implications_of_allow) {
  allow(resource_type::topic, "r", pattern_type::literal, read);
  allow(resource_type::topic, "w", pattern_type::literal, write);
  allow(resource_type::topic, "d", pattern_type::literal, del);
  allow(resource_type::topic, "a", pattern_type::literal, alter);
  allow(resource_type::topic, "c", pattern_type::literal, create);
  allow(resource_type::topic, "ac", pattern_type::literal, alter_configs);
  for (auto name : {"r", "w", "d", "a"}) EXPECT_TRUE(can(describe, resource_type::topic, name));
  EXPECT_FALSE(can(describe, resource_type::topic, "c"));
  EXPECT_FALSE(can(describe, resource_type::topic, "ac"));
  EXPECT_TRUE(can(describe_configs, resource_type::topic, "ac"));
  EXPECT_FALSE(can(describe_configs, resource_type::topic, "a"));
  EXPECT_FALSE(can(write, resource_type::topic, "r"));
}

TEST_F(authorizer_test, all_covers_every_operation) {
  allow(resource_type::group, "g", pattern_type::literal, all);
  EXPECT_TRUE(can(read, resource_type::group, "g"));
  EXPECT_TRUE(can(alter_configs, resource_type::group, "g"));
}

TEST_F(authorizer_test, deny_wins_over_allow) {
  allow(resource_type::topic, "t", pattern_type::literal, write);
  deny(resource_type::topic, "t", pattern_type::literal, write);
  EXPECT_FALSE(can(write, resource_type::topic, "t"));
}

TEST_F(authorizer_test, deny_does_not_imply_describe) {
  allow(resource_type::topic, "t", pattern_type::literal, describe);
  deny(resource_type::topic, "t", pattern_type::literal, write);
  EXPECT_TRUE(can(describe, resource_type::topic, "t"));
  EXPECT_FALSE(can(write, resource_type::topic, "t"));
}

TEST_F(authorizer_test, deny_all_denies_everything) {
  allow(resource_type::topic, "t", pattern_type::literal, read);
  deny(resource_type::topic, "t", pattern_type::literal, all);
  EXPECT_FALSE(can(read, resource_type::topic, "t"));
  EXPECT_FALSE(can(describe, resource_type::topic, "t"));
}

TEST_F(authorizer_test, wildcard_resource_and_principal) {
  allow(resource_type::topic, "*", pattern_type::literal, read, "User:*");
  EXPECT_TRUE(can(read, resource_type::topic, "anything", "User:bob"));
  deny(resource_type::topic, "secret", pattern_type::literal, read, "User:*");
  EXPECT_FALSE(can(read, resource_type::topic, "secret", "User:bob"));
  EXPECT_TRUE(can(read, resource_type::topic, "secret", "User:admin"));
}

TEST_F(authorizer_test, prefixed_patterns) {
  allow(resource_type::topic, "orders-", pattern_type::prefixed, write);
  EXPECT_TRUE(can(write, resource_type::topic, "orders-eu"));
  EXPECT_TRUE(can(write, resource_type::topic, "orders-"));
  EXPECT_FALSE(can(write, resource_type::topic, "orders"));
  EXPECT_FALSE(can(write, resource_type::topic, "x-orders-eu"));
  deny(resource_type::topic, "orders-secret", pattern_type::prefixed, write);
  EXPECT_FALSE(can(write, resource_type::topic, "orders-secret-1"));
  EXPECT_TRUE(can(write, resource_type::topic, "orders-public"));
}

TEST_F(authorizer_test, prefixed_star_is_a_literal_character) {
  allow(resource_type::topic, "*", pattern_type::prefixed, read);
  EXPECT_FALSE(can(read, resource_type::topic, "orders"));
  EXPECT_TRUE(can(read, resource_type::topic, "*x"));
}

TEST_F(authorizer_test, host_match) {
  allow(resource_type::topic, "t", pattern_type::literal, read, "User:alice", "10.0.0.1");
  EXPECT_TRUE(can(read, resource_type::topic, "t", "User:alice", "10.0.0.1"));
  EXPECT_FALSE(can(read, resource_type::topic, "t", "User:alice", "10.0.0.2"));
  deny(resource_type::topic, "t", pattern_type::literal, read, "User:alice", "10.0.0.1");
  EXPECT_FALSE(can(read, resource_type::topic, "t", "User:alice", "10.0.0.1"));
}

TEST_F(authorizer_test, allow_everyone_if_no_acl_found) {
  authorizer open({{}, true});
  requester bob{"User:bob", "10.0.0.1"};
  EXPECT_TRUE(open.authorize(_acls, bob, write, resource_type::topic, "t"));
  // Any ACL on the resource, even another user's, closes it.
  allow(resource_type::topic, "t", pattern_type::literal, write, "User:alice");
  EXPECT_FALSE(open.authorize(_acls, bob, write, resource_type::topic, "t"));
  EXPECT_TRUE(open.authorize(_acls, bob, write, resource_type::topic, "u"));
  // A prefixed ACL covers the resources it names.
  allow(resource_type::topic, "u", pattern_type::prefixed, read, "User:alice");
  EXPECT_FALSE(open.authorize(_acls, bob, write, resource_type::topic, "u1"));
}

TEST_F(authorizer_test, authorize_any_for_idempotent_producers) {
  requester alice{"User:alice", "10.0.0.1"};
  EXPECT_FALSE(_auth.authorize_any(_acls, alice, write, resource_type::topic));
  allow(resource_type::topic, "t", pattern_type::literal, write);
  EXPECT_TRUE(_auth.authorize_any(_acls, alice, write, resource_type::topic));
  EXPECT_FALSE(_auth.authorize_any(_acls, alice, read, resource_type::topic));
  deny(resource_type::topic, "t", pattern_type::prefixed, write);
  EXPECT_FALSE(_auth.authorize_any(_acls, alice, write, resource_type::topic));
  allow(resource_type::topic, "x", pattern_type::prefixed, write);
  EXPECT_TRUE(_auth.authorize_any(_acls, alice, write, resource_type::topic));
  deny(resource_type::topic, "*", pattern_type::literal, write);
  EXPECT_FALSE(_auth.authorize_any(_acls, alice, write, resource_type::topic));
  EXPECT_TRUE(
      _auth.authorize_any(_acls, requester{"User:admin", "h"}, write, resource_type::topic));
}

TEST(authorizer_config_test, from_broker_configs) {
  auto off = config::load_broker_config("", "test", {});
  ASSERT_TRUE(off.has_value()) << off.error();
  auto none = authorizer::from(off->values);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());

  std::vector<std::string> sets = {
      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "super.users=User:admin; User:ops"};
  auto on = config::load_broker_config("", "test", sets);
  ASSERT_TRUE(on.has_value()) << on.error();
  auto a = authorizer::from(on->values);
  ASSERT_TRUE(a.has_value()) << a.error();
  ASSERT_TRUE(a->has_value());
  EXPECT_TRUE((*a)->is_super_user("User:admin"));
  EXPECT_TRUE((*a)->is_super_user("User:ops"));
  EXPECT_FALSE((*a)->is_super_user("User:bob"));

  sets.push_back("super.users=admin");
  auto bad = config::load_broker_config("", "test", sets);
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(authorizer::from(bad->values).has_value());
  std::vector<std::string> unknown_class = {"authorizer.class.name=x.Y"};
  auto other = config::load_broker_config("", "test", unknown_class);
  EXPECT_FALSE(other.has_value());  // not one of the choices
}

TEST(host_of_peer, ipv4_and_ipv6) {
  EXPECT_EQ(host_of_peer("10.0.0.1:5000"), "10.0.0.1");
  EXPECT_EQ(host_of_peer("::1:5000"), "::1");
  EXPECT_EQ(host_of_peer("[::1]:5000"), "::1");
}

}  // namespace
}  // namespace vltava::security
