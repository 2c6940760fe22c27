#include "cluster/topic_name.h"

#include <gtest/gtest.h>

namespace vltava::cluster {
namespace {

TEST(topic_name, kafka_rules) {
  EXPECT_FALSE(invalid_topic_name("orders"));
  EXPECT_FALSE(invalid_topic_name("a.b_c-D9"));
  EXPECT_FALSE(invalid_topic_name("..."));
  EXPECT_FALSE(invalid_topic_name(std::string(249, 'x')));
  EXPECT_TRUE(invalid_topic_name(""));
  EXPECT_TRUE(invalid_topic_name("."));
  EXPECT_TRUE(invalid_topic_name(".."));
  EXPECT_TRUE(invalid_topic_name(std::string(250, 'x')));
  EXPECT_TRUE(invalid_topic_name("a b"));
  EXPECT_TRUE(invalid_topic_name("a/b"));
  EXPECT_TRUE(invalid_topic_name("caf\xc3\xa9"));
  EXPECT_TRUE(invalid_topic_name(std::string("a\0b", 3)));
}

TEST(topic_name, collisions_of_dot_and_underscore) {
  EXPECT_TRUE(topic_names_collide("a.b", "a_b"));
  EXPECT_TRUE(topic_names_collide("a.b", "a.b"));
  EXPECT_FALSE(topic_names_collide("a.b", "a-b"));
  EXPECT_FALSE(topic_names_collide("a.b", "a.bc"));
}

TEST(topic_name, internal_topics) {
  EXPECT_TRUE(is_internal_topic_name("__consumer_offsets"));
  EXPECT_TRUE(is_internal_topic_name("__transaction_state"));
  EXPECT_FALSE(is_internal_topic_name("__mine"));
}

}  // namespace
}  // namespace vltava::cluster
