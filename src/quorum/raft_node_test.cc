#include "quorum/raft_node.h"

#include <gtest/gtest.h>

#include "quorum/memory_log.h"

namespace vltava::quorum {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;

constexpr milliseconds t0{0};

quorum_config three_voters() {
  quorum_config c;
  c.cluster_id = "cluster-a";
  c.voters = {node_id(1), node_id(2), node_id(3)};
  return c;
}

struct fixture {
  memory_log log;
  raft_node node;

  explicit fixture(election_state durable = {leader_epoch(5), std::nullopt, std::nullopt},
                   node_id self = node_id(1))
      : node(three_voters(), self, log, durable, 42, t0) {}

  std::vector<send_message> sent() {
    std::vector<send_message> out;
    for (auto& o : node.take_outputs()) {
      if (auto* s = std::get_if<send_message>(&o)) out.push_back(std::move(*s));
    }
    return out;
  }

  // Everything a bad request must leave alone.
  struct snapshot {
    role r;
    election_state state;
    offset end;
    offset hw;
    bool operator==(const snapshot&) const = default;
  };
  snapshot state() const {
    return {node.current_role(), node.election(), log.end_offset(), node.high_watermark()};
  }
};

template <typename T>
T only_reply(fixture& f) {
  auto out = f.sent();
  EXPECT_EQ(out.size(), 1u);
  return std::get<T>(out.at(0).msg.body);
}

vote_request vote_from(node_id candidate, leader_epoch epoch, std::string cluster = "cluster-a") {
  return {std::move(cluster), epoch, candidate, leader_epoch(0), offset(0), false};
}

TEST(raft_node, grants_a_vote_only_after_persisting_it) {
  fixture f;
  f.node.handle(node_id(2), {correlation_id(7), vote_from(node_id(2), leader_epoch(6))}, t0);
  auto out = f.node.take_outputs();
  // Moving to epoch 6 and voting in it are persisted (in that order) before the answer goes out.
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(std::get<persist_election>(out[0]).state.epoch, leader_epoch(6));
  auto& persisted = std::get<persist_election>(out[1]).state;
  EXPECT_EQ(persisted.epoch, leader_epoch(6));
  EXPECT_EQ(persisted.voted_for, node_id(2));
  auto& reply = std::get<send_message>(out[2]);
  EXPECT_EQ(reply.msg.correlation, correlation_id(7));
  EXPECT_TRUE(std::get<vote_response>(reply.msg.body).vote_granted);
}

TEST(raft_node, vote_from_a_non_voter_is_refused_and_changes_nothing) {
  fixture f;
  auto before = f.state();
  f.node.handle(node_id(9), {correlation_id(1), vote_from(node_id(9), leader_epoch(6))}, t0);
  auto r = only_reply<vote_response>(f);
  EXPECT_EQ(r.error, errc::inconsistent_voter_set);
  EXPECT_FALSE(r.vote_granted);
  EXPECT_EQ(f.state(), before);
}

TEST(raft_node, vote_from_an_old_epoch_is_fenced_and_changes_nothing) {
  fixture f;
  auto before = f.state();
  f.node.handle(node_id(2), {correlation_id(1), vote_from(node_id(2), leader_epoch(4))}, t0);
  auto r = only_reply<vote_response>(f);
  EXPECT_EQ(r.error, errc::fenced_leader_epoch);
  EXPECT_EQ(r.epoch, leader_epoch(5));
  EXPECT_FALSE(r.vote_granted);
  EXPECT_EQ(f.state(), before);
}

TEST(raft_node, vote_with_a_wrong_cluster_id_is_refused_and_changes_nothing) {
  fixture f;
  auto before = f.state();
  f.node.handle(node_id(2),
                {correlation_id(1), vote_from(node_id(2), leader_epoch(6), "cluster-b")}, t0);
  auto r = only_reply<vote_response>(f);
  EXPECT_EQ(r.error, errc::inconsistent_cluster_id);
  EXPECT_EQ(f.state(), before);
}

TEST(raft_node, begin_quorum_epoch_from_an_old_epoch_is_fenced_and_changes_nothing) {
  fixture f;
  auto before = f.state();
  f.node.handle(
      node_id(2),
      {correlation_id(1), begin_quorum_epoch_request{"cluster-a", leader_epoch(3), node_id(2)}},
      t0);
  auto r = only_reply<begin_quorum_epoch_response>(f);
  EXPECT_EQ(r.error, errc::fenced_leader_epoch);
  EXPECT_EQ(f.state(), before);
}

TEST(raft_node, begin_quorum_epoch_from_a_non_voter_or_other_cluster_changes_nothing) {
  fixture f;
  auto before = f.state();
  f.node.handle(
      node_id(9),
      {correlation_id(1), begin_quorum_epoch_request{"cluster-a", leader_epoch(6), node_id(9)}},
      t0);
  EXPECT_EQ(only_reply<begin_quorum_epoch_response>(f).error, errc::inconsistent_voter_set);
  f.node.handle(
      node_id(2),
      {correlation_id(2), begin_quorum_epoch_request{"cluster-b", leader_epoch(6), node_id(2)}},
      t0);
  EXPECT_EQ(only_reply<begin_quorum_epoch_response>(f).error, errc::inconsistent_cluster_id);
  EXPECT_EQ(f.state(), before);
}

TEST(raft_node, begin_quorum_epoch_makes_a_follower_that_fetches) {
  fixture f;
  f.node.handle(
      node_id(2),
      {correlation_id(1), begin_quorum_epoch_request{"cluster-a", leader_epoch(6), node_id(2)}},
      t0);
  EXPECT_EQ(f.node.current_role(), role::follower);
  EXPECT_EQ(f.node.leader_id(), node_id(2));
  auto out = f.sent();
  ASSERT_EQ(out.size(), 2u);
  auto fetch = std::get<fetch_request>(out[0].msg.body);
  EXPECT_EQ(out[0].to, node_id(2));
  EXPECT_EQ(fetch.fetch_offset, offset(0));
  EXPECT_EQ(std::get<begin_quorum_epoch_response>(out[1].msg.body).error, errc::none);
}

// A single voter is a whole quorum: it elects itself and commits alone.
TEST(raft_node, one_voter_leads_and_commits_alone) {
  memory_log log;
  quorum_config c = three_voters();
  c.voters = {node_id(1)};
  raft_node node(c, node_id(1), log, {}, 1, t0);
  node.tick(milliseconds(2000));
  ASSERT_EQ(node.current_role(), role::leader);
  EXPECT_EQ(node.epoch(), leader_epoch(1));
  auto last = node.append({"a", "b"}, milliseconds(2000));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, offset(2));  // offset 0 is the leader-change entry
  EXPECT_EQ(node.high_watermark(), offset(0));
  node.on_flushed(log.flush(), milliseconds(2001));
  EXPECT_EQ(node.high_watermark(), offset(3));
  auto committed = node.take_committed();
  ASSERT_EQ(committed.size(), 3u);
  EXPECT_EQ(committed[0].kind, entry_kind::leader_change);
  EXPECT_EQ(committed[2].payload, "b");
}

void make_leader_of_epoch_6(fixture& f) {
  f.node.tick(milliseconds(5000));  // prospective: pre-votes for epoch 6
  for (auto& s : f.sent()) {
    f.node.handle(s.to, {s.msg.correlation, vote_response{errc::none, leader_epoch(5), {}, true}},
                  milliseconds(5000));
  }
  EXPECT_EQ(f.node.current_role(), role::candidate);
  for (auto& s : f.sent()) {
    f.node.handle(s.to, {s.msg.correlation, vote_response{errc::none, leader_epoch(6), {}, true}},
                  milliseconds(5000));
  }
  EXPECT_EQ(f.node.current_role(), role::leader);
  EXPECT_EQ(f.node.epoch(), leader_epoch(6));
  f.sent();
}

TEST(raft_node, fetch_from_an_old_epoch_is_fenced_and_changes_nothing) {
  fixture f;
  make_leader_of_epoch_6(f);
  auto before = f.state();
  auto describe_before = f.node.describe().voters.at(1).log_end_offset;
  f.node.handle(node_id(2),
                {correlation_id(1), fetch_request{"cluster-a", leader_epoch(5), node_id(2),
                                                  offset(1), leader_epoch(6)}},
                milliseconds(5001));
  auto r = only_reply<fetch_response>(f);
  EXPECT_EQ(r.error, errc::fenced_leader_epoch);
  EXPECT_EQ(r.epoch, leader_epoch(6));
  EXPECT_EQ(r.leader_id, node_id(1));
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(f.state(), before);
  EXPECT_EQ(f.node.describe().voters.at(1).log_end_offset, describe_before);
}

TEST(raft_node, fetch_with_a_wrong_cluster_id_changes_nothing) {
  fixture f;
  make_leader_of_epoch_6(f);
  auto before = f.state();
  f.node.handle(node_id(2),
                {correlation_id(1), fetch_request{"cluster-b", leader_epoch(6), node_id(2),
                                                  offset(1), leader_epoch(6)}},
                milliseconds(5001));
  EXPECT_EQ(only_reply<fetch_response>(f).error, errc::inconsistent_cluster_id);
  EXPECT_EQ(f.state(), before);
}

TEST(raft_node, leader_commits_when_a_majority_holds_the_entry_durable) {
  fixture f;
  make_leader_of_epoch_6(f);
  ASSERT_TRUE(f.node.append({"x"}, milliseconds(5001)).has_value());
  f.node.on_flushed(f.log.flush(), milliseconds(5002));
  EXPECT_EQ(f.node.high_watermark(), offset(0));  // only the leader has it
  f.node.handle(node_id(2),
                {correlation_id(1), fetch_request{"cluster-a", leader_epoch(6), node_id(2),
                                                  offset(2), leader_epoch(6)}},
                milliseconds(5003));
  EXPECT_EQ(f.node.high_watermark(), offset(2));
  auto r = only_reply<fetch_response>(f);  // caught up, but the new high watermark is news
  EXPECT_EQ(r.high_watermark, offset(2));
}

TEST(raft_node, fetch_with_a_diverging_epoch_gets_where_to_truncate) {
  fixture f;
  make_leader_of_epoch_6(f);
  // The follower claims entries of epoch 4 the leader never had.
  f.node.handle(node_id(2),
                {correlation_id(1), fetch_request{"cluster-a", leader_epoch(6), node_id(2),
                                                  offset(3), leader_epoch(4)}},
                milliseconds(5001));
  auto r = only_reply<fetch_response>(f);
  ASSERT_TRUE(r.diverging.has_value());
  EXPECT_EQ(r.diverging->epoch, leader_epoch(0));
  EXPECT_EQ(r.diverging->end_offset, offset(0));
  EXPECT_EQ(f.node.describe().voters.at(1).log_end_offset, offset(0));
}

}  // namespace
}  // namespace vltava::quorum
