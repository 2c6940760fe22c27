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

// A topic config with a broker synonym takes the broker's default, kind and bounds: none is
// written twice. Derived ones follow Kafka's rule (retention.ms from log.retention.hours).
TEST(TopicConfig, DefaultsComeFromTheBrokerTable) {
  static_assert(topic_keys::retention_ms.default_value() ==
                broker_keys::log_retention_hours.default_value() * hour_ms);
  static_assert(topic_keys::segment_ms.default_value() ==
                broker_keys::log_roll_hours.default_value() * hour_ms);
  static_assert(topic_keys::flush_ms.default_value() == flush_ms_unset);
  static_assert(topic_keys::cleanup_policy.default_lists("delete"));
  static_assert(topic_keys::min_cleanable_dirty_ratio.default_value() == 0.5);
  for (const auto& t : topic_table::table) {
    EXPECT_FALSE(t.def.doc.empty()) << t.def.name;
    if (t.broker_key.empty()) continue;
    const config_def* b = config_set(broker_config_defs()).find(t.broker_key);
    ASSERT_NE(b, nullptr) << t.broker_key;
    EXPECT_EQ(t.def.kind, b->kind) << t.def.name;
    EXPECT_EQ(t.def.min, b->min) << t.def.name;
    EXPECT_EQ(t.def.max, b->max) << t.def.name;
    if (b->default_value) EXPECT_EQ(t.def.default_value, b->default_value) << t.def.name;
  }
}

}  // namespace
}  // namespace vltava::config
