#include "config/config_def.h"

#include <gtest/gtest.h>

#include <array>

namespace vltava::config {
namespace {

constexpr std::array<std::string_view, 2> colours = {"red", "blue"};
const config_def defs[] = {
    {.name = "flag", .kind = value_kind::boolean, .default_value = "false"},
    {.name = "small", .kind = value_kind::int32, .default_value = "5", .min = 1, .max = 10},
    {.name = "big", .kind = value_kind::int64, .default_value = std::nullopt},
    {.name = "ratio", .kind = value_kind::float64, .default_value = "0.5", .min_f = 0, .max_f = 1},
    {.name = "colour", .kind = value_kind::string, .default_value = "red", .choices = colours},
    {.name = "colours", .kind = value_kind::list, .default_value = "red", .choices = colours},
};

TEST(ConfigSet, DefaultsAndSources) {
  config_set s(defs);
  EXPECT_FALSE(s.get_bool("flag"));
  EXPECT_EQ(s.get_int("small"), 5);
  EXPECT_TRUE(s.is_null("big"));
  EXPECT_EQ(s.get_double("ratio"), 0.5);
  EXPECT_EQ(s.get_list("colours"), std::vector<std::string>{"red"});
  EXPECT_EQ(s.source("small"), config_source::default_config);
  ASSERT_TRUE(s.set("small", " 7 ", config_source::static_broker_config));
  EXPECT_EQ(s.get_int("small"), 7);
  EXPECT_EQ(s.source("small"), config_source::static_broker_config);
  ASSERT_TRUE(s.reset("small"));
  EXPECT_EQ(s.get_int("small"), 5);
}

TEST(ConfigSet, ParsesKafkaStyleValues) {
  config_set s(defs);
  ASSERT_TRUE(s.set("flag", "TRUE", config_source::static_broker_config));
  EXPECT_TRUE(s.get_bool("flag"));
  ASSERT_TRUE(s.set("big", "9223372036854775807", config_source::static_broker_config));
  EXPECT_EQ(s.get_int("big"), INT64_MAX);
  ASSERT_TRUE(s.set("colours", "blue, red,", config_source::static_broker_config));
  EXPECT_EQ(s.get_list("colours"), (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(to_text(s.get("colours")), "blue,red");
  EXPECT_EQ(to_text(s.get("ratio")), "0.5");
}

TEST(ConfigSet, RefusesInvalidValuesAndKeepsOldOne) {
  config_set s(defs);
  auto r = s.set("small", "11", config_source::static_broker_config);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("between 1 and 10"), std::string::npos) << r.error();
  EXPECT_EQ(s.get_int("small"), 5);
  EXPECT_FALSE(s.set("small", "3x", config_source::static_broker_config));
  EXPECT_FALSE(s.set("small", "99999999999", config_source::static_broker_config));
  EXPECT_FALSE(s.set("flag", "yes", config_source::static_broker_config));
  EXPECT_FALSE(s.set("ratio", "1.5", config_source::static_broker_config));
  EXPECT_FALSE(s.set("ratio", "nan", config_source::static_broker_config));
  EXPECT_FALSE(s.set("colour", "green", config_source::static_broker_config));
  EXPECT_FALSE(s.set("colours", "red,green", config_source::static_broker_config));
}

TEST(ConfigSet, UnknownKeySuggestsNearName) {
  config_set s(defs);
  auto r = s.set("smal", "1", config_source::static_broker_config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "unknown configuration 'smal' (did you mean 'small'?)");
  auto far = s.set("zzzzzzzz", "1", config_source::static_broker_config);
  EXPECT_EQ(far.error(), "unknown configuration 'zzzzzzzz'");
}

}  // namespace
}  // namespace vltava::config
