#include "base/strong_type.h"

#include <gtest/gtest.h>

#include <type_traits>
#include <unordered_set>

namespace vltava {
namespace {

using apples = named_type<int64_t, struct apples_tag>;
using pears = named_type<int64_t, struct pears_tag>;

static_assert(!std::is_convertible_v<apples, pears>, "distinct tags must not convert");
static_assert(!std::is_convertible_v<int64_t, apples>, "construction from a raw value is explicit");

TEST(NamedType, ArithmeticAndOrder) {
  apples a(10);
  apples b = a + 5;
  EXPECT_EQ(b.value(), 15);
  EXPECT_EQ(b - a, 5);
  EXPECT_LT(a, b);
  ++a;
  EXPECT_EQ(a(), 11);
}

TEST(NamedType, Hashable) {
  std::unordered_set<apples> s{apples(1), apples(2), apples(1)};
  EXPECT_EQ(s.size(), 2u);
}

}  // namespace
}  // namespace vltava
