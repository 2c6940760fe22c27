#include "coord/consumer_records.h"

#include <gtest/gtest.h>

#include "coord/offsets_records.h"
#include "coord/replay.h"

namespace vltava::coord {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

protocol::uuid topic_id(uint8_t n) {
  protocol::uuid u;
  u.bytes[15] = static_cast<std::byte>(n);
  return u;
}

TEST(consumer_records, keys_are_kafkas_bytes) {
  // Type 5 (member metadata): int16 5, group "g", member "m", int16-length strings.
  EXPECT_EQ(encode_key(consumer_group_key{consumer_record::member_metadata, "g", "m"}),
            bytes({0, 5, 0, 1, 'g', 0, 1, 'm'}));
  // Type 3 (group metadata): no member.
  EXPECT_EQ(encode_key(consumer_group_key{consumer_record::group_metadata, "g", {}}),
            bytes({0, 3, 0, 1, 'g'}));
  auto k = decode_key(bytes({0, 8, 0, 1, 'g', 0, 1, 'm'}));
  ASSERT_TRUE(k);
  EXPECT_EQ(std::get<consumer_group_key>(*k),
            (consumer_group_key{consumer_record::current_assignment, "g", "m"}));
  EXPECT_FALSE(decode_key(bytes({0, 6, 0, 1, 'g', 0})));  // trailing byte
}

TEST(consumer_records, epoch_value_is_flexible_v0) {
  // Version 0, epoch 7, an empty tagged-field section.
  EXPECT_EQ(encode_epoch_value(7), bytes({0, 0, 0, 0, 0, 7, 0}));
  auto v = decode_epoch_value(bytes({0, 0, 0, 0, 0, 7, 0}));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 7);
  // A tag we do not know (Kafka 4.1's MetadataHash, tag 0, 8 bytes) is skipped.
  v = decode_epoch_value(bytes({0, 0, 0, 0, 0, 9, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1}));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 9);
  EXPECT_FALSE(decode_epoch_value(bytes({0, 1, 0, 0, 0, 7, 0})));  // version 1 is unknown
}

TEST(consumer_records, member_and_assignment_values_round_trip) {
  consumer_member_value m;
  m.instance_id = "i";
  m.client_id = "c";
  m.client_host = "/127.0.0.1";
  m.subscribed_topic_names = {"a", "b"};
  m.subscribed_topic_regex = "x.*";
  m.rebalance_timeout_ms = 30000;
  m.server_assignor = "range";
  auto mv = decode_member_value(encode_value(m));
  ASSERT_TRUE(mv) << mv.error();
  EXPECT_EQ(*mv, m);

  consumer_assignment_value a;
  a.member_epoch = 5;
  a.previous_member_epoch = 4;
  a.state = 1;
  a.assigned = {{topic_id(1), {0, 2}}};
  a.pending_revocation = {{topic_id(1), {1}}, {topic_id(2), {0}}};
  auto av = decode_assignment_value(encode_value(a));
  ASSERT_TRUE(av) << av.error();
  EXPECT_EQ(*av, a);

  topic_partitions t{{topic_id(3), {4, 5}}};
  auto tv = decode_target_value(encode_target_value(t));
  ASSERT_TRUE(tv);
  EXPECT_EQ(*tv, t);
  auto truncated = encode_value(a);
  truncated.pop_back();
  EXPECT_FALSE(decode_assignment_value(truncated));
}

TEST(consumer_records, replay_rebuilds_the_group_and_tombstones_remove) {
  replay_state st;
  auto put = [&st](consumer_record t, std::string member, std::optional<std::vector<std::byte>> v) {
    auto k = encode_key(consumer_group_key{t, "g", std::move(member)});
    std::optional<std::span<const std::byte>> value;
    if (v) value = std::span<const std::byte>(*v);
    apply_record(st, std::span<const std::byte>(k), value);
  };
  consumer_member_value m;
  m.client_id = "c";
  m.subscribed_topic_names = {"t"};
  consumer_assignment_value a;
  a.member_epoch = 3;
  a.assigned = {{topic_id(1), {0, 1}}};
  // Kept alive by the view above: the encoded values live in these vectors.
  put(consumer_record::member_metadata, "m1", encode_value(m));
  put(consumer_record::member_metadata, "m2", encode_value(m));
  put(consumer_record::group_metadata, "", encode_epoch_value(3));
  put(consumer_record::target_member, "m1", encode_target_value(a.assigned));
  put(consumer_record::target_metadata, "", encode_epoch_value(3));
  put(consumer_record::current_assignment, "m1", encode_value(a));
  put(consumer_record::member_metadata, "m2", std::nullopt);
  ASSERT_EQ(st.skipped, 0u) << st.last_error;
  const auto& c = st.groups.at("g").consumer;
  ASSERT_TRUE(c);
  EXPECT_EQ(c->group_epoch, 3);
  EXPECT_EQ(c->assignment_epoch, 3);
  EXPECT_EQ(c->members.size(), 1u);
  EXPECT_EQ(c->current.at("m1"), a);
  EXPECT_EQ(c->targets.at("m1"), a.assigned);
  auto member = from_records("m1", c->members.at("m1"), &c->current.at("m1"));
  EXPECT_EQ(member.epoch, 3);
  EXPECT_EQ(member.assigned, a.assigned);
  put(consumer_record::group_metadata, "", std::nullopt);  // the group is deleted
  EXPECT_FALSE(st.groups.at("g").consumer);
}

}  // namespace
}  // namespace vltava::coord
