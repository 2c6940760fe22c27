#include "coord/offsets_records.h"

#include <gtest/gtest.h>

#include "coord/group_key.h"

namespace vltava::coord {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(group_key, java_hashcode_and_partition) {
  // Values from Java's String.hashCode.
  EXPECT_EQ(java_string_hashcode(""), 0);
  EXPECT_EQ(java_string_hashcode("hello"), 99162322);
  EXPECT_EQ(java_string_hashcode("my-group"), -1906497762);
  EXPECT_EQ(java_string_hashcode("gr\xc3\xbc\xc3\x9f"
                                 "e"),
            98768023);                                             // non-ASCII
  EXPECT_EQ(java_string_hashcode("\xf0\x9f\x98\x80g"), 54959972);  // surrogate pair
  EXPECT_EQ(java_string_hashcode("polygenelubricants"), INT32_MIN);
  EXPECT_EQ(partition_for_key("hello", 50), model::partition_id(22));
  EXPECT_EQ(partition_for_key("my-group", 50), model::partition_id(12));
  EXPECT_EQ(partition_for_key("console-consumer-12345", 50), model::partition_id(6));
  // Utils.abs(Integer.MIN_VALUE) is 0, not MIN_VALUE.
  EXPECT_EQ(partition_for_key("polygenelubricants", 50), model::partition_id(0));
}

TEST(offsets_records, offset_key_and_value_bytes) {
  auto key = encode_key(offset_key{"g", "t", 3});
  EXPECT_EQ(key, bytes({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}));
  offset_value v;
  v.offset = 5;
  v.leader_epoch = 2;
  v.metadata = "m";
  v.commit_timestamp_ms = 1000;
  auto value = encode_value(v);
  EXPECT_EQ(value, bytes({0, 3, 0, 0,   0, 0, 0, 0, 0, 5, 0,    0,   0,
                          2, 0, 1, 'm', 0, 0, 0, 0, 0, 0, 0x03, 0xe8}));
  auto k = decode_key(key);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(std::get<offset_key>(*k), (offset_key{"g", "t", 3}));
  auto dv = decode_offset_value(value);
  ASSERT_TRUE(dv.has_value());
  EXPECT_EQ(*dv, v);
}

TEST(offsets_records, older_offset_values_decode) {
  // v1: offset, metadata, commit timestamp, expire timestamp (no leader epoch).
  auto v1 =
      bytes({0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 8});
  auto d = decode_offset_value(v1);
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(d->offset, 9);
  EXPECT_EQ(d->leader_epoch, -1);
  EXPECT_EQ(d->commit_timestamp_ms, 7);
  EXPECT_EQ(d->expire_timestamp_ms, 8);
  EXPECT_FALSE(decode_offset_value(bytes({0, 4})).has_value());        // flexible: not ours
  EXPECT_FALSE(decode_offset_value(bytes({0, 3, 0, 0})).has_value());  // truncated
  EXPECT_FALSE(decode_key(bytes({0, 7, 0, 0})).has_value());           // unknown key version
}

TEST(offsets_records, group_key_and_value_bytes) {
  EXPECT_EQ(encode_key(group_key{"g"}), bytes({0, 2, 0, 1, 'g'}));
  group_value v;
  v.protocol_type = "consumer";
  v.generation = 1;
  v.protocol = "range";
  v.leader = "a";
  v.current_state_timestamp_ms = 7;
  member_value m;
  m.member_id = "a";
  m.client_id = "c";
  m.client_host = "/h";
  m.rebalance_timeout_ms = 100;
  m.session_timeout_ms = 10;
  m.subscription = bytes({1});
  m.assignment = bytes({2});
  v.members.push_back(m);
  auto encoded = encode_value(v);
  auto expected =
      bytes({0, 3,   0,   8,   'c', 'o', 'n', 's',  'u',  'm', 'e', 'r', 0, 0, 0,   1,   0,
             5, 'r', 'a', 'n', 'g', 'e', 0,   1,    'a',  0,   0,   0,   0, 0, 0,   0,   7,
             0, 0,   0,   1,   0,   1,   'a', 0xff, 0xff, 0,   1,   'c', 0, 2, '/', 'h', 0,
             0, 0,   100, 0,   0,   0,   10,  0,    0,    0,   1,   1,   0, 0, 0,   1,   2});
  EXPECT_EQ(encoded, expected);
  auto d = decode_group_value(encoded);
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(*d, v);
  auto k = decode_key(encode_key(group_key{"g"}));
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(std::get<group_key>(*k).group, "g");
  // A member count larger than the bytes could hold is refused before anything is allocated.
  auto bad = bytes({0, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,
                    0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff});
  EXPECT_FALSE(decode_group_value(bad).has_value());
}

}  // namespace
}  // namespace vltava::coord
