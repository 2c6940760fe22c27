#include "security/jaas_config.h"

#include <gtest/gtest.h>

namespace vltava::security {
namespace {

TEST(JaasConfig, KafkasPlainLoginModule) {
  auto j = parse_jaas_config(
      "org.apache.kafka.common.security.plain.PlainLoginModule required\n"
      "  username=\"admin\" password=\"admin-secret\" user_alice=\"al\\\"ice\" user_bob=bob;");
  ASSERT_TRUE(j) << j.error();
  EXPECT_EQ(j->login_module, "org.apache.kafka.common.security.plain.PlainLoginModule");
  EXPECT_EQ(j->control_flag, "required");
  EXPECT_EQ(j->options.at("user_alice"), "al\"ice");
  EXPECT_EQ(j->options.at("user_bob"), "bob");
  EXPECT_EQ(j->options.at("username"), "admin");
  auto empty =
      parse_jaas_config("org.apache.kafka.common.security.scram.ScramLoginModule required;");
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_TRUE(empty->options.empty());
}

TEST(JaasConfig, BadConfigs) {
  for (const char* bad : {"", "Module", "Module required a=\"b\"", "Module required a=\"b;",
                          "Module required =b;", "Module required a=b; Other required;"}) {
    EXPECT_FALSE(parse_jaas_config(bad)) << bad;
  }
}

}  // namespace
}  // namespace vltava::security
