#include "security/acl.h"

#include <gtest/gtest.h>

#include "security/acl_table.h"

namespace vltava::security {
namespace {

acl_binding binding(resource_type t, std::string name, pattern_type p,
                    std::string principal = "User:alice", std::string host = "*",
                    acl_operation op = acl_operation::read,
                    acl_permission perm = acl_permission::allow) {
  return acl_binding{t, std::move(name), p, std::move(principal), std::move(host), op, perm};
}

TEST(acl_names, round_trip_kafka_names) {
  EXPECT_EQ(name_of(acl_operation::describe_configs), "DESCRIBE_CONFIGS");
  EXPECT_EQ(parse_acl_operation("describe-configs"), acl_operation::describe_configs);
  EXPECT_EQ(parse_acl_operation("Delete"), acl_operation::del);
  EXPECT_EQ(parse_resource_type("transactional_id"), resource_type::transactional_id);
  EXPECT_EQ(parse_pattern_type("PREFIXED"), pattern_type::prefixed);
  EXPECT_EQ(parse_acl_permission("deny"), acl_permission::deny);
  EXPECT_EQ(parse_acl_operation("frobnicate"), std::nullopt);
  EXPECT_EQ(to_acl_operation(99), acl_operation::unknown);
  EXPECT_EQ(to_resource_type(-1), resource_type::unknown);
  EXPECT_EQ(to_pattern_type(4), pattern_type::prefixed);
}

TEST(acl_filter_match, any_filter_matches_everything) {
  acl_filter any;
  EXPECT_TRUE(matches(any, binding(resource_type::topic, "t", pattern_type::literal)));
  EXPECT_TRUE(matches(any, binding(resource_type::group, "g", pattern_type::prefixed)));
}

TEST(acl_filter_match, exact_name_with_pattern_any_or_literal) {
  acl_filter f;
  f.name = "orders";
  EXPECT_TRUE(matches(f, binding(resource_type::topic, "orders", pattern_type::literal)));
  EXPECT_TRUE(matches(f, binding(resource_type::topic, "orders", pattern_type::prefixed)));
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "*", pattern_type::literal)));
  f.pattern = pattern_type::literal;
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "orders", pattern_type::prefixed)));
}

TEST(acl_filter_match, match_takes_wildcard_and_prefixes) {
  acl_filter f;
  f.pattern = pattern_type::match;
  f.name = "orders-eu";
  EXPECT_TRUE(matches(f, binding(resource_type::topic, "orders-eu", pattern_type::literal)));
  EXPECT_TRUE(matches(f, binding(resource_type::topic, "*", pattern_type::literal)));
  EXPECT_TRUE(matches(f, binding(resource_type::topic, "orders", pattern_type::prefixed)));
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "orders-eu-1", pattern_type::prefixed)));
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "orders", pattern_type::literal)));
}

TEST(acl_filter_match, resource_type_and_entry_fields) {
  acl_filter f;
  f.resource = resource_type::group;
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "g", pattern_type::literal)));
  f.resource = resource_type::any;
  f.principal = "User:bob";
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "t", pattern_type::literal)));
  f.principal.reset();
  f.host = "10.0.0.1";
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "t", pattern_type::literal)));
  f.host.reset();
  f.operation = acl_operation::write;
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "t", pattern_type::literal)));
  f.operation = acl_operation::any;
  f.permission = acl_permission::deny;
  EXPECT_FALSE(matches(f, binding(resource_type::topic, "t", pattern_type::literal)));
}

TEST(acl_validation, refuses_what_kafka_refuses) {
  auto ok = binding(resource_type::topic, "t", pattern_type::literal);
  EXPECT_EQ(invalid_binding(ok), std::nullopt);
  auto b = ok;
  b.resource = resource_type::any;
  EXPECT_NE(invalid_binding(b), std::nullopt);
  b = ok;
  b.pattern = pattern_type::match;
  EXPECT_NE(invalid_binding(b), std::nullopt);
  b = ok;
  b.operation = acl_operation::any;
  EXPECT_NE(invalid_binding(b), std::nullopt);
  b = ok;
  b.permission = acl_permission::unknown;
  EXPECT_NE(invalid_binding(b), std::nullopt);
  b = ok;
  b.name = "";
  EXPECT_NE(invalid_binding(b), std::nullopt);
  b = ok;
  b.principal = "alice";
  EXPECT_NE(invalid_binding(b), std::nullopt);
  b = binding(resource_type::cluster, "my-cluster", pattern_type::literal);
  EXPECT_NE(invalid_binding(b), std::nullopt);
  b.name = "kafka-cluster";
  EXPECT_EQ(invalid_binding(b), std::nullopt);

  acl_filter f;
  EXPECT_EQ(invalid_filter(f), std::nullopt);
  f.pattern = pattern_type::unknown;
  EXPECT_NE(invalid_filter(f), std::nullopt);
  f = acl_filter{};
  f.operation = acl_operation::unknown;
  EXPECT_NE(invalid_filter(f), std::nullopt);
}

acl_id id_of(uint8_t n) {
  acl_id id{};
  id[0] = std::byte{n};
  return id;
}

TEST(acl_table, add_remove_and_lookups) {
  acl_table t;
  auto a = binding(resource_type::topic, "orders", pattern_type::literal);
  auto w = binding(resource_type::topic, "*", pattern_type::literal);
  auto p = binding(resource_type::topic, "ord", pattern_type::prefixed);
  auto g = binding(resource_type::group, "orders", pattern_type::literal);
  ASSERT_TRUE(t.add(id_of(1), a).has_value());
  ASSERT_TRUE(t.add(id_of(2), w).has_value());
  ASSERT_TRUE(t.add(id_of(3), p).has_value());
  ASSERT_TRUE(t.add(id_of(4), g).has_value());
  EXPECT_FALSE(t.add(id_of(1), g).has_value());
  EXPECT_EQ(t.size(), 4u);
  ASSERT_NE(t.find(p), nullptr);
  EXPECT_EQ(*t.find(p), id_of(3));

  std::vector<acl_binding> seen;
  t.for_each_applicable(resource_type::topic, "orders", [&](const acl_binding& b) {
    seen.push_back(b);
    return true;
  });
  EXPECT_EQ(seen.size(), 3u);
  seen.clear();
  t.for_each_applicable(resource_type::topic, "other", [&](const acl_binding& b) {
    seen.push_back(b);
    return true;
  });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], w);
  seen.clear();
  t.for_each_of_type(resource_type::group, [&](const acl_binding& b) {
    seen.push_back(b);
    return true;
  });
  ASSERT_EQ(seen.size(), 1u);

  ASSERT_TRUE(t.remove(id_of(3)).has_value());
  EXPECT_FALSE(t.remove(id_of(3)).has_value());
  EXPECT_EQ(t.find(p), nullptr);
  seen.clear();
  t.for_each_applicable(resource_type::topic, "orders", [&](const acl_binding& b) {
    seen.push_back(b);
    return true;
  });
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace vltava::security
