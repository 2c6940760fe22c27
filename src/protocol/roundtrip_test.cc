// Round trip of every API and message at every version: the generated <stem>_roundtrip.cc
// fills each field present in a version with a non-default value (arrays of two, nulls where
// nullable in a second variant, tagged fields, an unknown tag), then encodes, decodes,
// compares, re-encodes byte-identically, and checks that every truncation fails cleanly.

#include <gtest/gtest.h>

#include "protocol/roundtrip_check.h"

namespace vltava::protocol::testing {
namespace {

class roundtrip : public ::testing::TestWithParam<roundtrip_case> {};

TEST_P(roundtrip, every_version) {
  const std::string failures = GetParam().run();
  EXPECT_EQ(failures, "") << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(api, roundtrip, ::testing::ValuesIn(roundtrip_cases()),
                         [](const ::testing::TestParamInfo<roundtrip_case>& info) {
                           return std::string(info.param.name);
                         });

TEST(roundtrip_registry, covers_test_schemas) {
  bool echo = false;
  for (const auto& c : roundtrip_cases()) echo |= std::string(c.name) == "vltava_test_echo";
  EXPECT_TRUE(echo);
}

}  // namespace
}  // namespace vltava::protocol::testing
