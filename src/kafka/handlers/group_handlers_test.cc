// The group handlers through the codec and the handler table, on a coordinator node
// (coordinator_test_node.h).

#include <gtest/gtest.h>

#include "kafka/handlers/find_coordinator.h"
#include "kafka/handlers/group_admin.h"
#include "kafka/handlers/group_membership.h"
#include "kafka/handlers/group_offsets.h"
#include "kafka/testing/coordinator_test_node.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using group_node = testing::coordinator_node;

protocol::join_group_request join_request(std::string group, std::string member_id) {
  protocol::join_group_request r;
  r.group_id = std::move(group);
  r.member_id = std::move(member_id);
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 10000;
  r.protocol_type = "consumer";
  auto& p = r.protocols.emplace_back();
  p.name = "range";
  p.metadata = {std::byte{0},    std::byte{1},    std::byte{0},    std::byte{0},   std::byte{0},
                std::byte{1},    std::byte{0},    std::byte{1},    std::byte{'t'}, std::byte{0xff},
                std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0},   std::byte{0},
                std::byte{0},    std::byte{0}};  // v1 subscription: topic "t"
  return r;
}

protocol::offset_commit_request commit_request(std::string group, int32_t generation,
                                               std::string member, std::string topic,
                                               int32_t partition, int64_t offset) {
  protocol::offset_commit_request r;
  r.group_id = std::move(group);
  r.generation_id_or_member_epoch = generation;
  r.member_id = std::move(member);
  auto& t = r.topics.emplace_back();
  t.name = std::move(topic);
  auto& p = t.partitions.emplace_back();
  p.partition_index = model::partition_id(partition);
  p.committed_offset = model::offset(offset);
  p.committed_metadata = "meta";
  return r;
}

// The only member of `group`'s generation 1, Stable: JoinGroup twice (the first hands out the
// member id, KIP-394), then SyncGroup.
protocol::join_group_response stable_member(group_node& n, const std::string& group) {
  auto first = n.call<protocol::join_group_api>(join_request(group, ""), 4);
  auto joined = n.call<protocol::join_group_api>(join_request(group, first.member_id), 4);
  EXPECT_EQ(joined.error_code, error_code::none);
  protocol::sync_group_request sync;
  sync.group_id = group;
  sync.generation_id = joined.generation_id;
  sync.member_id = joined.member_id;
  EXPECT_EQ(n.call<protocol::sync_group_api>(sync, 3).error_code, error_code::none);
  return joined;
}

error_code heartbeat(group_node& n, std::string group,
                     const protocol::join_group_response& joined) {
  protocol::heartbeat_request hb;
  hb.group_id = std::move(group);
  hb.generation_id = joined.generation_id;
  hb.member_id = joined.member_id;
  return n.call<protocol::heartbeat_api>(hb, 2).error_code;
}

TEST(group_handlers, find_coordinator_creates_the_offsets_topic) {
  group_node n;
  protocol::find_coordinator_request fc;
  fc.key = "g";
  auto r = n.call<protocol::find_coordinator_api>(fc, 0);
  EXPECT_EQ(r.error_code, error_code::none);
  EXPECT_EQ(r.node_id, model::node_id(1));
  EXPECT_EQ(r.host, "127.0.0.1");
  EXPECT_EQ(r.port, 9092);
  fc.key_type = 1;  // transactions: this node as well
  EXPECT_EQ(n.call<protocol::find_coordinator_api>(fc, 3).error_code, error_code::none);
  fc.key = "";
  EXPECT_EQ(n.call<protocol::find_coordinator_api>(fc, 3).error_code, error_code::invalid_request);
  protocol::find_coordinator_request batched;
  batched.coordinator_keys = {"a", "b", ""};
  auto b = n.call<protocol::find_coordinator_api>(batched, 4);
  ASSERT_EQ(b.coordinators.size(), 3u);
  EXPECT_EQ(b.coordinators[0].key, "a");
  EXPECT_EQ(b.coordinators[0].error_code, error_code::none);
  EXPECT_EQ(b.coordinators[1].port, 9092);
  EXPECT_EQ(b.coordinators[2].error_code, error_code::invalid_group_id);
}

TEST(group_handlers, a_group_forms_commits_and_is_listed_described_and_deleted) {
  group_node n;
  n.create_topic("t", 2);
  n.find_coordinator("g");
  auto first = n.call<protocol::join_group_api>(join_request("g", ""), 5);
  ASSERT_EQ(first.error_code, error_code::member_id_required);
  ASSERT_FALSE(first.member_id.empty());
  EXPECT_EQ(first.member_id.rfind("test-client-", 0), 0u);
  auto joined = n.call<protocol::join_group_api>(join_request("g", first.member_id), 7);
  ASSERT_EQ(joined.error_code, error_code::none);
  EXPECT_EQ(joined.generation_id, 1);
  EXPECT_EQ(joined.leader, first.member_id);
  EXPECT_EQ(joined.protocol_name, "range");
  EXPECT_EQ(joined.protocol_type, "consumer");
  ASSERT_EQ(joined.members.size(), 1u);
  const std::string me = joined.member_id;

  protocol::sync_group_request sync;
  sync.group_id = "g";
  sync.generation_id = 1;
  sync.member_id = me;
  sync.protocol_type = "consumer";
  sync.protocol_name = "range";
  auto& a = sync.assignments.emplace_back();
  a.member_id = me;
  a.assignment = {std::byte{7}};
  auto synced = n.call<protocol::sync_group_api>(sync, 5);
  ASSERT_EQ(synced.error_code, error_code::none);
  EXPECT_EQ(synced.assignment, std::vector<std::byte>{std::byte{7}});
  sync.protocol_name = "roundrobin";
  EXPECT_EQ(n.call<protocol::sync_group_api>(sync, 5).error_code,
            error_code::inconsistent_group_protocol);

  protocol::heartbeat_request hb;
  hb.group_id = "g";
  hb.generation_id = 1;
  hb.member_id = me;
  EXPECT_EQ(n.call<protocol::heartbeat_api>(hb, 4, 0).error_code, error_code::none);
  hb.generation_id = 0;
  EXPECT_EQ(n.call<protocol::heartbeat_api>(hb, 4).error_code, error_code::illegal_generation);

  // Commits: good, unknown partition, metadata too large, stale generation, empty group id.
  auto c = n.call<protocol::offset_commit_api>(commit_request("g", 1, me, "t", 1, 42), 8);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::none);
  c = n.call<protocol::offset_commit_api>(commit_request("g", 1, me, "t", 5, 1), 8);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::unknown_topic_or_partition);
  c = n.call<protocol::offset_commit_api>(commit_request("g", 1, me, "nope", 0, 1), 2);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::unknown_topic_or_partition);
  auto big = commit_request("g", 1, me, "t", 0, 1);
  big.topics[0].partitions[0].committed_metadata = std::string(4097, 'm');
  c = n.call<protocol::offset_commit_api>(big, 8);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::offset_metadata_too_large);
  c = n.call<protocol::offset_commit_api>(commit_request("g", 3, me, "t", 0, 1), 8);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::illegal_generation);

  // Fetch: one group (v7), null topics = all; several groups (v8).
  protocol::offset_fetch_request f;
  f.group_id = "g";
  f.topics.reset();
  auto fr = n.call<protocol::offset_fetch_api>(f, 7);
  EXPECT_EQ(fr.error_code, error_code::none);
  ASSERT_EQ(fr.topics.size(), 1u);
  ASSERT_EQ(fr.topics[0].partitions.size(), 1u);
  EXPECT_EQ(fr.topics[0].partitions[0].committed_offset, model::offset(42));
  EXPECT_EQ(fr.topics[0].partitions[0].metadata, "meta");
  protocol::offset_fetch_request multi;
  auto& g1 = multi.groups.emplace_back();
  g1.group_id = "g";
  auto& t1 = g1.topics->emplace_back();
  t1.name = "t";
  t1.partition_indexes = {model::partition_id(0), model::partition_id(1)};
  auto& g2 = multi.groups.emplace_back();
  g2.group_id = "other";
  g2.topics.reset();
  auto mr = n.call<protocol::offset_fetch_api>(multi, 8);
  ASSERT_EQ(mr.groups.size(), 2u);
  ASSERT_EQ(mr.groups[0].topics.at(0).partitions.size(), 2u);
  EXPECT_EQ(mr.groups[0].topics[0].partitions[0].committed_offset, model::offset(-1));
  EXPECT_EQ(mr.groups[0].topics[0].partitions[1].committed_offset, model::offset(42));
  EXPECT_TRUE(mr.groups[1].topics.empty());

  // ListGroups with a states filter, DescribeGroups.
  protocol::list_groups_request lg;
  auto listed = n.call<protocol::list_groups_api>(lg, 5);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "g");
  EXPECT_EQ(listed.groups[0].group_state, "Stable");
  EXPECT_EQ(listed.groups[0].group_type, "classic");
  lg.states_filter = {"empty"};
  EXPECT_TRUE(n.call<protocol::list_groups_api>(lg, 4).groups.empty());
  protocol::describe_groups_request dg;
  dg.groups = {"g", "missing"};
  auto described = n.call<protocol::describe_groups_api>(dg, 5);
  ASSERT_EQ(described.groups.size(), 2u);
  EXPECT_EQ(described.groups[0].group_state, "Stable");
  EXPECT_EQ(described.groups[0].protocol_data, "range");
  ASSERT_EQ(described.groups[0].members.size(), 1u);
  EXPECT_EQ(described.groups[0].members[0].client_id, "test-client");
  EXPECT_EQ(described.groups[0].members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(described.groups[0].members[0].member_assignment, std::vector<std::byte>{std::byte{7}});
  EXPECT_EQ(described.groups[1].group_state, "Dead");
  // v6 (KIP-1043): a missing group is an error, not a Dead group.
  auto described_v6 = n.call<protocol::describe_groups_api>(dg, 6);
  ASSERT_EQ(described_v6.groups.size(), 2u);
  EXPECT_EQ(described_v6.groups[0].error_code, protocol::error_code::none);
  EXPECT_EQ(described_v6.groups[0].group_state, "Stable");
  EXPECT_EQ(described_v6.groups[1].error_code, protocol::error_code::group_id_not_found);
  EXPECT_EQ(described_v6.groups[1].error_message, "Group missing not found.");

  // OffsetDelete refuses a topic the group consumes; DeleteGroups a group with members.
  protocol::offset_delete_request od;
  od.group_id = "g";
  auto& odt = od.topics.emplace_back();
  odt.name = "t";
  odt.partitions.emplace_back().partition_index = model::partition_id(1);
  auto odr = n.call<protocol::offset_delete_api>(od, 0);
  EXPECT_EQ(odr.topics.at(0).partitions.at(0).error_code, error_code::group_subscribed_to_topic);
  protocol::delete_groups_request del;
  del.groups_names = {"g", "missing", ""};
  auto dr = n.call<protocol::delete_groups_api>(del, 2);
  EXPECT_EQ(dr.results.at(0).error_code, error_code::non_empty_group);
  EXPECT_EQ(dr.results.at(1).error_code, error_code::group_id_not_found);
  EXPECT_EQ(dr.results.at(2).error_code, error_code::invalid_group_id);

  // Leave (v3+ batch), then the empty group can lose its offsets and be deleted.
  protocol::leave_group_request leave;
  leave.group_id = "g";
  leave.members.emplace_back().member_id = me;
  leave.members.emplace_back().member_id = "stranger";
  auto lr = n.call<protocol::leave_group_api>(leave, 4);
  EXPECT_EQ(lr.error_code, error_code::none);
  ASSERT_EQ(lr.members.size(), 2u);
  EXPECT_EQ(lr.members[0].error_code, error_code::none);
  EXPECT_EQ(lr.members[1].error_code, error_code::unknown_member_id);
  odr = n.call<protocol::offset_delete_api>(od, 0);
  EXPECT_EQ(odr.error_code, error_code::none);
  EXPECT_EQ(odr.topics.at(0).partitions.at(0).error_code, error_code::none);
  fr = n.call<protocol::offset_fetch_api>(f, 7);
  EXPECT_TRUE(fr.topics.empty());
  dr = n.call<protocol::delete_groups_api>(del, 0);
  EXPECT_EQ(dr.results.at(0).error_code, error_code::none);
  EXPECT_TRUE(n.call<protocol::list_groups_api>(protocol::list_groups_request{}, 0).groups.empty());
}

TEST(group_handlers, committed_offsets_and_generation_survive_a_coordinator_restart) {
  group_node n;
  n.create_topic("t", 2);
  n.find_coordinator("keep");
  // A simple commit (no membership) and a member's.
  auto c = n.call<protocol::offset_commit_api>(commit_request("simple", -1, "", "t", 0, 7), 2);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::none);
  auto joined = stable_member(n, "keep");
  c = n.call<protocol::offset_commit_api>(
      commit_request("keep", joined.generation_id, joined.member_id, "t", 1, 99), 6);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::none);

  n.restart_coordinator();

  protocol::offset_fetch_request f;
  f.group_id = "keep";
  auto& t = f.topics->emplace_back();
  t.name = "t";
  t.partition_indexes = {model::partition_id(1)};
  auto fr = n.call<protocol::offset_fetch_api>(f, 1);
  ASSERT_EQ(fr.topics.size(), 1u);
  EXPECT_EQ(fr.topics[0].partitions.at(0).committed_offset, model::offset(99));
  EXPECT_EQ(fr.topics[0].partitions.at(0).metadata, "meta");
  f.group_id = "simple";
  f.topics->at(0).partition_indexes = {model::partition_id(0)};
  fr = n.call<protocol::offset_fetch_api>(f, 5);
  EXPECT_EQ(fr.topics.at(0).partitions.at(0).committed_offset, model::offset(7));
  // The old member must rejoin; the group keeps counting generations from where it was.
  EXPECT_EQ(heartbeat(n, "keep", joined), error_code::unknown_member_id);
  auto listed = n.call<protocol::list_groups_api>(protocol::list_groups_request{}, 4);
  ASSERT_EQ(listed.groups.size(), 2u);
  EXPECT_EQ(listed.groups[0].group_id, "keep");
  EXPECT_EQ(listed.groups[0].group_state, "Empty");
  EXPECT_EQ(listed.groups[0].protocol_type, "consumer");
  EXPECT_EQ(listed.groups[1].group_id, "simple");
  EXPECT_EQ(listed.groups[1].protocol_type, "");
  auto again = n.call<protocol::join_group_api>(join_request("keep", ""), 3);
  EXPECT_EQ(again.error_code, error_code::none);
  EXPECT_EQ(again.generation_id, joined.generation_id + 1);
}

protocol::offset_fetch_response fetch_offsets(group_node& n, std::string group, int32_t p) {
  protocol::offset_fetch_request f;
  f.group_id = std::move(group);
  auto& t = f.topics->emplace_back();
  t.name = "t";
  t.partition_indexes = {model::partition_id(p)};
  return n.call<protocol::offset_fetch_api>(f, 5);
}

// What the cluster will do when another node takes over a __consumer_offsets partition and
// gives it back: lost drops its groups (waiters and requests answer NOT_COORDINATOR, clients
// look for the coordinator again), gained rebuilds them from the records.
TEST(group_handlers, a_lost_offsets_partition_answers_not_coordinator_until_gained_again) {
  group_node n;
  n.create_topic("t", 2);
  n.find_coordinator("g");
  auto c = n.call<protocol::offset_commit_api>(commit_request("g", -1, "", "t", 0, 7), 2);
  ASSERT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::none);
  // A stable member, and a second one whose JoinGroup waits for the first to rejoin.
  auto a = stable_member(n, "g");
  auto b_id = n.call<protocol::join_group_api>(join_request("g", ""), 4).member_id;
  auto b_waiting = n.start<protocol::join_group_api>(join_request("g", b_id), 4);

  const model::partition_id p = *n.groups().partition_of("g");
  n.run(n.groups().partition_lost(p));
  EXPECT_EQ(n.finish<protocol::join_group_api>(b_waiting.get(), 4).error_code,
            error_code::not_coordinator);
  EXPECT_EQ(fetch_offsets(n, "g", 0).error_code, error_code::not_coordinator);
  c = n.call<protocol::offset_commit_api>(commit_request("g", -1, "", "t", 0, 8), 2);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::not_coordinator);

  EXPECT_EQ(n.run(n.groups().partition_gained(p)), error_code::none);
  auto fr = fetch_offsets(n, "g", 0);
  EXPECT_EQ(fr.error_code, error_code::none);
  EXPECT_EQ(fr.topics.at(0).partitions.at(0).committed_offset, model::offset(7));
  // The members were dropped with the partition: they join again.
  EXPECT_EQ(heartbeat(n, "g", a), error_code::unknown_member_id);
}

TEST(group_handlers, bad_input) {
  group_node n;
  auto r = n.call<protocol::join_group_api>(join_request("", ""), 5);
  EXPECT_EQ(r.error_code, error_code::invalid_group_id);
  // A client that skips FindCoordinator still finds the offsets topic created for it.
  r = n.call<protocol::join_group_api>(join_request("p", ""), 5);
  EXPECT_EQ(r.error_code, error_code::member_id_required);
  protocol::leave_group_request pending;
  pending.group_id = "p";
  pending.member_id = r.member_id;
  EXPECT_EQ(n.call<protocol::leave_group_api>(pending, 2).error_code, error_code::none);
  auto bad = join_request("g", "");
  bad.protocol_type = "";
  EXPECT_EQ(n.call<protocol::join_group_api>(bad, 5).error_code,
            error_code::inconsistent_group_protocol);
  bad = join_request("g", "");
  bad.session_timeout_ms = 1;
  EXPECT_EQ(n.call<protocol::join_group_api>(bad, 5).error_code,
            error_code::invalid_session_timeout);
  EXPECT_EQ(n.call<protocol::join_group_api>(join_request("g", "ghost"), 5).error_code,
            error_code::unknown_member_id);
  protocol::sync_group_request sync;
  sync.group_id = "g";
  sync.member_id = "ghost";
  EXPECT_EQ(n.call<protocol::sync_group_api>(sync, 0).error_code, error_code::unknown_member_id);
  protocol::leave_group_request leave;
  leave.group_id = "g";
  leave.member_id = "ghost";
  EXPECT_EQ(n.call<protocol::leave_group_api>(leave, 1).error_code, error_code::unknown_member_id);
  // Nothing was left behind by the refused joins ("p" stays, Empty, as in Kafka).
  auto listed = n.call<protocol::list_groups_api>(protocol::list_groups_request{}, 0);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "p");
  // Kafka still accepts the empty group id in OffsetCommit and OffsetFetch (old consumers),
  // and refuses it elsewhere.
  n.create_topic("t", 1);
  auto c = n.call<protocol::offset_commit_api>(commit_request("", -1, "", "t", 0, 5), 8);
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, error_code::none);
  protocol::offset_fetch_request f;
  f.group_id = "";
  f.topics.reset();
  auto fr = n.call<protocol::offset_fetch_api>(f, 3);
  EXPECT_EQ(fr.topics.at(0).partitions.at(0).committed_offset, model::offset(5));
  protocol::heartbeat_request hb;
  EXPECT_EQ(n.call<protocol::heartbeat_api>(hb, 0).error_code, error_code::invalid_group_id);
  // v0 join: no MEMBER_ID_REQUIRED round.
  auto v0 = n.call<protocol::join_group_api>(join_request("old", ""), 0);
  EXPECT_EQ(v0.error_code, error_code::none);
  EXPECT_EQ(v0.generation_id, 1);
}

}  // namespace
}  // namespace vltava::kafka
