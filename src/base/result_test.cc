#include "base/result.h"

#include <gtest/gtest.h>

#include <string>

namespace vltava {
namespace {

enum class test_errc { bad = 1, worse = 2 };

result<int, test_errc> parse_digit(char c) {
  if (c < '0' || c > '9') return fail(test_errc::bad);
  return c - '0';
}

TEST(Result, HoldsValue) {
  auto r = parse_digit('7');
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 7);
}

TEST(Result, HoldsError) {
  auto r = parse_digit('x');
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), test_errc::bad);
}

TEST(Result, MovesOutValue) {
  result<std::string, test_errc> r(std::string("abc"));
  std::string s = std::move(r).value();
  EXPECT_EQ(s, "abc");
}

TEST(Result, VoidResult) {
  result<void, test_errc> ok;
  EXPECT_TRUE(ok);
  result<void, test_errc> bad = fail(test_errc::worse);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), test_errc::worse);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  auto r = parse_digit('x');
  EXPECT_DEATH((void)r.value(), "result holds an error");
}

}  // namespace
}  // namespace vltava
