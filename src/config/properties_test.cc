#include "config/properties.h"

#include <gtest/gtest.h>

namespace vltava::config {
namespace {

TEST(Properties, SeparatorsCommentsAndBlanks) {
  auto r = parse_properties(
      "# comment\n"
      "! also a comment\n"
      "\n"
      "a=1\n"
      "  b : two words  \n"
      "c 3\n"
      "d=\n"
      "e\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].key, "a");
  EXPECT_EQ((*r)[0].value, "1");
  EXPECT_EQ((*r)[0].line, 4);
  EXPECT_EQ((*r)[1].key, "b");
  EXPECT_EQ((*r)[1].value, "two words  ");
  EXPECT_EQ((*r)[2].value, "3");
  EXPECT_EQ((*r)[3].value, "");
  EXPECT_EQ((*r)[4].key, "e");
  EXPECT_EQ((*r)[4].value, "");
}

TEST(Properties, ContinuationsAndEscapes) {
  auto r = parse_properties(
      "listeners=PLAINTEXT://a:1,\\\n"
      "          SSL://b:2\n"
      "key\\=with\\:seps=tab\\there\n"
      "unicode=\\u00e9\n"
      "crlf=yes\r\n"
      "last=line");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].value, "PLAINTEXT://a:1,SSL://b:2");
  EXPECT_EQ((*r)[0].line, 1);
  EXPECT_EQ((*r)[1].key, "key=with:seps");
  EXPECT_EQ((*r)[1].value, "tab\there");
  EXPECT_EQ((*r)[1].line, 3);
  EXPECT_EQ((*r)[2].value, "\xC3\xA9");
  EXPECT_EQ((*r)[3].value, "yes");
  EXPECT_EQ((*r)[4].value, "line");
}

TEST(Properties, BadEscapeNamesLine) {
  auto r = parse_properties("ok=1\nbad=\\u12\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().line, 2);
}

TEST(Properties, RefusesHugeInput) {
  std::string big(properties_max_bytes + 1, 'a');
  EXPECT_FALSE(parse_properties(big));
}

}  // namespace
}  // namespace vltava::config
