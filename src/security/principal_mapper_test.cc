#include "security/principal_mapper.h"

#include <gtest/gtest.h>

namespace vltava::security {
namespace {

TEST(PrincipalMapper, DefaultIsTheWholeSubject) {
  auto m = principal_mapper::parse("DEFAULT");
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->map("CN=alice,OU=eng,O=acme"), "CN=alice,OU=eng,O=acme");
}

TEST(PrincipalMapper, FirstMatchingRuleWins) {
  auto m = principal_mapper::parse(
      "RULE:^CN=(.*?),OU=ops.*$/$1-ops/U, RULE:^CN=(.*?),OU=(.*?),O=(.*?)$/$1@$2/L,DEFAULT");
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->map("CN=bob,OU=ops,O=acme"), "BOB-OPS");
  EXPECT_EQ(m->map("CN=Alice,OU=Eng,O=acme"), "alice@eng");
  EXPECT_EQ(m->map("CN=carol"), "CN=carol");
}

TEST(PrincipalMapper, NoRuleAppliesWithoutDefault) {
  auto m = principal_mapper::parse("RULE:^CN=(.*)$/$1/");
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->map("CN=dave"), "dave");
  EXPECT_EQ(m->map("O=acme"), std::nullopt);
}

TEST(PrincipalMapper, EscapedSlashes) {
  auto m = principal_mapper::parse("RULE:^CN=(.*)\\/x$/$1\\/y/");
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->map("CN=a/x"), "a/y");
}

TEST(PrincipalMapper, BadRulesAreErrors) {
  for (const char* bad : {"", "RULE:abc", "RULE:(/x/", "NOPE", "DEFAULTX"}) {
    EXPECT_FALSE(principal_mapper::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace vltava::security
