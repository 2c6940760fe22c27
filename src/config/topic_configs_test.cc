#include "config/topic_configs.h"

#include <gtest/gtest.h>

#include "config/broker_configs.h"

namespace vltava::config {
namespace {

using overrides = std::vector<std::pair<std::string, std::string>>;

TEST(TopicConfig, KafkaDefaults) {
  auto broker = load_broker_config("", "none", {});
  ASSERT_TRUE(broker);
  auto t = topic_config(broker->values, {});
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->get_int("retention.ms"), 604'800'000);
  EXPECT_EQ(t->get_int("retention.bytes"), -1);
  EXPECT_EQ(t->get_int("segment.bytes"), 1'073'741'824);
  EXPECT_EQ(t->get_int("segment.ms"), 604'800'000);
  EXPECT_EQ(t->get_list("cleanup.policy"), std::vector<std::string>{"delete"});
  EXPECT_EQ(t->get_int("delete.retention.ms"), 86'400'000);
  EXPECT_EQ(t->get_double("min.cleanable.dirty.ratio"), 0.5);
  EXPECT_EQ(t->get_int("flush.ms"), INT64_MAX);
  EXPECT_EQ(t->source("retention.ms"), config_source::default_config);
}

TEST(TopicConfig, BrokerValuesAndTopicOverrides) {
  std::vector<std::string> sets = {"log.retention.hours=1", "log.cleanup.policy=compact"};
  auto broker = load_broker_config("", "none", sets);
  ASSERT_TRUE(broker);
  overrides o = {{"segment.bytes", "1048576"}, {"cleanup.policy", "compact,delete"}};
  auto t = topic_config(broker->values, o);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->get_int("retention.ms"), 3'600'000);
  EXPECT_EQ(t->source("retention.ms"), config_source::static_broker_config);
  EXPECT_EQ(t->get_int("segment.bytes"), 1'048'576);
  EXPECT_EQ(t->source("segment.bytes"), config_source::dynamic_topic_config);
  EXPECT_EQ(t->get_list("cleanup.policy"), (std::vector<std::string>{"compact", "delete"}));
  EXPECT_EQ(broker_synonym("retention.ms"), "log.retention.ms");
}

TEST(TopicConfig, RefusesUnknownAndInvalid) {
  auto broker = load_broker_config("", "none", {});
  overrides unknown = {{"retention.msec", "1"}};
  auto u = topic_config(broker->values, unknown);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().find("did you mean 'retention.ms'"), std::string::npos);
  overrides invalid = {{"cleanup.policy", "forever"}};
  EXPECT_FALSE(topic_config(broker->values, invalid));
  overrides ratio = {{"min.cleanable.dirty.ratio", "2"}};
  EXPECT_FALSE(topic_config(broker->values, ratio));
}

}  // namespace
}  // namespace vltava::config
