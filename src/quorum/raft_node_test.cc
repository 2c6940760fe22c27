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
  c.election_timeout = milliseconds(1000);
  c.fetch_timeout = milliseconds(2000);
  c.request_timeout = milliseconds(2000);
  c.retry_backoff = milliseconds(20);
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
  node.tick(t0);  // no election timeout to wait out: the first tick elects it
  ASSERT_EQ(node.current_role(), role::leader);
  EXPECT_EQ(node.epoch(), leader_epoch(1));
  auto last = node.append({{"a"}, {"b"}}, milliseconds(2000));
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

// An entry is a batch spanning its records: offsets, the high watermark and what is applied
// move by record counts, not by entries.
TEST(raft_node, entries_span_their_record_counts) {
  memory_log log;
  quorum_config c = three_voters();
  c.voters = {node_id(1)};
  raft_node node(c, node_id(1), log, {}, 1, t0);
  node.tick(milliseconds(2000));
  ASSERT_EQ(node.current_role(), role::leader);
  auto last = node.append({{"abc", 3}, {"de", 2}}, milliseconds(2000));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, offset(5));  // leader change [0,1), "abc" [1,4), "de" [4,6)
  EXPECT_EQ(log.end_offset(), offset(6));
  EXPECT_EQ(log.epoch_at(offset(2)), leader_epoch(1));
  EXPECT_EQ(log.end_offset_for_epoch(leader_epoch(1)),
            (offset_and_epoch{offset(6), leader_epoch(1)}));
  node.on_flushed(log.flush(), milliseconds(2001));
  EXPECT_EQ(node.high_watermark(), offset(6));
  auto committed = node.take_committed();
  ASSERT_EQ(committed.size(), 3u);
  EXPECT_EQ(committed[1].offset, offset(1));
  EXPECT_EQ(committed[1].record_count, 3u);
  EXPECT_EQ(committed[2].offset, offset(4));
  EXPECT_TRUE(node.take_committed().empty());
}

TEST(raft_node, a_follower_truncates_multi_record_batches_at_their_boundary) {
  memory_log log;
  log.append({{offset(0), leader_epoch(1), entry_kind::data, "a", 2},
              {offset(2), leader_epoch(2), entry_kind::data, "b", 3},
              {offset(5), leader_epoch(2), entry_kind::data, "c", 4}});
  raft_node node(three_voters(), node_id(1), log, {leader_epoch(3), std::nullopt, node_id(2)}, 1,
                 t0);
  node.tick(milliseconds(1));
  auto out = node.take_outputs();
  ASSERT_EQ(out.size(), 1u);
  auto& first = std::get<send_message>(out[0]);
  EXPECT_EQ(std::get<fetch_request>(first.msg.body).fetch_offset, offset(9));
  // The leader's epoch 2 ended after the batch at 2: the batch at 5 goes, whole.
  node.handle(node_id(2),
              {first.msg.correlation, fetch_response{errc::none,
                                                     leader_epoch(3),
                                                     node_id(2),
                                                     offset(0),
                                                     diverging_epoch{leader_epoch(2), offset(5)},
                                                     {}}},
              milliseconds(2));
  EXPECT_EQ(log.end_offset(), offset(5));
  EXPECT_EQ(log.entries().size(), 2u);
}

TEST(raft_node, a_fetch_response_whose_entries_do_not_continue_the_log_is_dropped) {
  memory_log log;
  raft_node node(three_voters(), node_id(1), log, {leader_epoch(3), std::nullopt, node_id(2)}, 1,
                 t0);
  node.tick(milliseconds(1));
  auto out = node.take_outputs();
  ASSERT_EQ(out.size(), 1u);
  auto c = std::get<send_message>(out[0]).msg.correlation;
  std::vector<entry> gap{{offset(0), leader_epoch(3), entry_kind::data, "a", 2},
                         {offset(3), leader_epoch(3), entry_kind::data, "b", 1}};
  node.handle(node_id(2),
              {c, fetch_response{errc::none, leader_epoch(3), node_id(2), offset(0), {}, gap}},
              milliseconds(2));
  EXPECT_EQ(log.end_offset(), offset(0));
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
  ASSERT_TRUE(f.node.append({{"x"}}, milliseconds(5001)).has_value());
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

// Appends one entry per epoch given to the fixture's log.
void follower_with_history(fixture& f, std::vector<int> epochs) {
  std::vector<entry> entries;
  for (auto e : epochs) {
    entries.push_back({f.log.end_offset() + static_cast<int64_t>(entries.size()), leader_epoch(e),
                       entry_kind::data, "old"});
  }
  f.log.append(entries);
}

TEST(raft_node, follower_truncates_where_the_leader_says_the_epochs_diverge) {
  memory_log log;
  log.append({{offset(0), leader_epoch(1), entry_kind::data, "a"},
              {offset(1), leader_epoch(1), entry_kind::data, "b"},
              {offset(2), leader_epoch(2), entry_kind::data, "c"},
              {offset(3), leader_epoch(2), entry_kind::data, "d"}});
  raft_node node(three_voters(), node_id(1), log, {leader_epoch(3), std::nullopt, node_id(2)}, 1,
                 t0);
  ASSERT_EQ(node.current_role(), role::follower);
  node.tick(milliseconds(1));
  auto out = node.take_outputs();
  ASSERT_EQ(out.size(), 1u);
  auto& first = std::get<send_message>(out[0]);
  auto fetch = std::get<fetch_request>(first.msg.body);
  EXPECT_EQ(fetch.fetch_offset, offset(4));
  EXPECT_EQ(fetch.last_fetched_epoch, leader_epoch(2));
  // The leader never had epoch 2; its epoch 1 ends at offset 1.
  node.handle(node_id(2),
              {first.msg.correlation, fetch_response{errc::none,
                                                     leader_epoch(3),
                                                     node_id(2),
                                                     offset(0),
                                                     diverging_epoch{leader_epoch(1), offset(1)},
                                                     {}}},
              milliseconds(2));
  EXPECT_EQ(log.end_offset(), offset(1));
  out = node.take_outputs();
  ASSERT_EQ(out.size(), 1u);
  fetch = std::get<fetch_request>(std::get<send_message>(out[0]).msg.body);
  EXPECT_EQ(fetch.fetch_offset, offset(1));
  EXPECT_EQ(fetch.last_fetched_epoch, leader_epoch(1));
}

TEST(raft_node, a_response_nobody_waits_for_is_ignored) {
  fixture f({leader_epoch(3), std::nullopt, node_id(2)});
  f.node.tick(milliseconds(1));
  f.sent();
  auto before = f.state();
  f.node.handle(node_id(2),
                {correlation_id(999), fetch_response{errc::none,
                                                     leader_epoch(3),
                                                     node_id(2),
                                                     offset(0),
                                                     std::nullopt,
                                                     {{offset(0), leader_epoch(3)}}}},
                milliseconds(2));
  EXPECT_EQ(f.state(), before);
  EXPECT_TRUE(f.node.take_outputs().empty());
}

TEST(raft_node, pre_vote_is_refused_while_the_leader_is_alive_and_changes_nothing) {
  fixture f({leader_epoch(3), std::nullopt, node_id(2)});
  f.sent();
  vote_request pre{"cluster-a", leader_epoch(4), node_id(3), leader_epoch(0), offset(0), true};
  f.node.handle(node_id(3), {correlation_id(1), pre}, milliseconds(100));
  EXPECT_FALSE(only_reply<vote_response>(f).vote_granted);
  // After the fetch timeout the leader counts as gone: the pre-vote is granted, and still
  // nothing is persisted (only the fetch attempts go out).
  auto before = f.state();
  f.node.handle(node_id(3), {correlation_id(2), pre}, milliseconds(2500));
  auto out = f.node.take_outputs();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::get<vote_response>(std::get<send_message>(out[0]).msg.body).vote_granted);
  EXPECT_EQ(f.state(), before);
}

// A follower that stalled (its fetches timed out while the leader lived) asks for pre-votes,
// which voters that still hear the leader refuse; meanwhile it keeps fetching from the leader it
// knows, and when the leader answers it follows it again rather than asking forever and never
// fetching (KIP-996).
TEST(raft_node, a_prospective_whose_leader_answers_follows_it_again) {
  fixture f({leader_epoch(5), std::nullopt, node_id(2)});
  f.sent();
  f.node.tick(milliseconds(5000));
  ASSERT_EQ(f.node.current_role(), role::prospective);
  for (auto& s : f.sent()) {
    if (!std::holds_alternative<vote_request>(s.msg.body)) continue;
    f.node.handle(
        s.to, {s.msg.correlation, vote_response{errc::none, leader_epoch(5), node_id(2), false}},
        milliseconds(5001));
  }
  EXPECT_EQ(f.node.current_role(), role::prospective);
  f.node.tick(milliseconds(5001));
  std::optional<correlation_id> fetch;
  for (auto& s : f.sent()) {
    if (s.to == node_id(2) && std::holds_alternative<fetch_request>(s.msg.body)) {
      fetch = s.msg.correlation;
    }
  }
  ASSERT_TRUE(fetch.has_value()) << "a prospective still fetches from the leader it knows";
  f.node.handle(
      node_id(2),
      {*fetch, fetch_response{errc::none, leader_epoch(5), node_id(2), offset(0), {}, {}}},
      milliseconds(5002));
  EXPECT_EQ(f.node.current_role(), role::follower);
  EXPECT_EQ(f.node.epoch(), leader_epoch(5));
  bool fetches = false;
  for (auto& s : f.sent()) {
    fetches |= s.to == node_id(2) && std::holds_alternative<fetch_request>(s.msg.body);
  }
  EXPECT_TRUE(fetches);
}

TEST(raft_node, end_quorum_epoch_makes_the_first_successor_stand_at_once) {
  fixture f({leader_epoch(3), std::nullopt, node_id(2)});
  f.sent();
  f.node.handle(node_id(2),
                {correlation_id(1),
                 end_quorum_epoch_request{
                     "cluster-a", leader_epoch(3), node_id(2), {node_id(1), node_id(3)}}},
                milliseconds(10));
  EXPECT_EQ(only_reply<end_quorum_epoch_response>(f).error, errc::none);
  f.node.tick(milliseconds(10));
  EXPECT_EQ(f.node.current_role(), role::prospective);
  auto out = f.sent();
  ASSERT_EQ(out.size(), 2u);
  auto req = std::get<vote_request>(out[0].msg.body);
  EXPECT_TRUE(req.pre_vote);
  EXPECT_EQ(req.epoch, leader_epoch(4));
}

TEST(raft_node, leader_that_no_majority_fetches_from_resigns) {
  fixture f;
  make_leader_of_epoch_6(f);
  f.node.tick(milliseconds(6000));
  EXPECT_EQ(f.node.current_role(), role::leader);  // within the fetch timeout
  f.sent();
  f.node.tick(milliseconds(7000));
  EXPECT_EQ(f.node.current_role(), role::resigned);
  auto out = f.sent();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<end_quorum_epoch_request>(out[0].msg.body).epoch, leader_epoch(6));
  EXPECT_FALSE(f.node.append({{"x"}}, milliseconds(7001)).has_value());
}

TEST(raft_node, a_restarted_leader_is_resigned_in_its_old_epoch) {
  fixture f({leader_epoch(4), node_id(1), node_id(1)});
  EXPECT_EQ(f.node.current_role(), role::resigned);
  EXPECT_EQ(f.node.epoch(), leader_epoch(4));
  auto r = f.node.append({{"x"}}, t0);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), errc::not_leader_or_follower);
}

TEST(raft_node, a_voter_votes_once_per_epoch) {
  fixture f;
  f.node.handle(node_id(2), {correlation_id(1), vote_from(node_id(2), leader_epoch(6))}, t0);
  EXPECT_TRUE(only_reply<vote_response>(f).vote_granted);
  f.node.handle(node_id(3), {correlation_id(2), vote_from(node_id(3), leader_epoch(6))}, t0);
  EXPECT_FALSE(only_reply<vote_response>(f).vote_granted);
}

TEST(raft_node, a_candidate_with_a_shorter_log_gets_no_vote) {
  fixture f;
  follower_with_history(f, {1, 2});
  vote_request behind{"cluster-a", leader_epoch(6), node_id(2), leader_epoch(1), offset(5), false};
  f.node.handle(node_id(2), {correlation_id(1), behind}, t0);
  EXPECT_FALSE(only_reply<vote_response>(f).vote_granted);
}

TEST(raft_node, a_caught_up_fetch_waits_for_news_at_the_leader) {
  fixture f;
  make_leader_of_epoch_6(f);
  f.node.on_flushed(f.log.flush(), milliseconds(5000));
  auto fetch = [&](node_id from, int64_t c) {
    f.node.handle(from,
                  {correlation_id(c),
                   fetch_request{"cluster-a", leader_epoch(6), from, offset(1), leader_epoch(6)}},
                  milliseconds(5001));
  };
  fetch(node_id(2), 1);  // commits the leader-change entry: answered with the news
  EXPECT_EQ(only_reply<fetch_response>(f).high_watermark, offset(1));
  fetch(node_id(2), 2);  // nothing new: held
  fetch(node_id(7), 3);  // an observer (a broker): answered once, then held too
  EXPECT_EQ(only_reply<fetch_response>(f).high_watermark, offset(1));
  fetch(node_id(7), 4);
  EXPECT_TRUE(f.sent().empty());
  ASSERT_TRUE(f.node.append({{"x"}}, milliseconds(5002)).has_value());
  auto out = f.sent();
  ASSERT_EQ(out.size(), 2u);
  for (auto& s : out) EXPECT_EQ(std::get<fetch_response>(s.msg.body).entries.size(), 1u);
}

// ---- observers: nodes outside the voter set (broker-only nodes) ----

constexpr node_id observer_id{9};

TEST(raft_node, an_observer_finds_the_leader_through_any_voter_and_follows_it) {
  fixture f({leader_epoch(0), std::nullopt, std::nullopt}, observer_id);
  f.node.tick(t0);
  auto out = f.sent();
  ASSERT_EQ(out.size(), 1u);  // one voter asked at a time
  auto asked = out[0].to;
  EXPECT_NE(asked, observer_id);
  EXPECT_EQ(std::get<fetch_request>(out[0].msg.body).replica_id, observer_id);
  // That voter is not the leader: its error names the epoch and the leader.
  f.node.handle(
      asked,
      {out[0].msg.correlation,
       fetch_response{
           errc::fenced_leader_epoch, leader_epoch(5), node_id(2), offset(0), std::nullopt, {}}},
      milliseconds(1));
  EXPECT_EQ(f.node.current_role(), role::follower);
  EXPECT_EQ(f.node.leader_id(), node_id(2));
  EXPECT_EQ(f.node.epoch(), leader_epoch(5));
  EXPECT_FALSE(f.node.election().voted_for);
  out = f.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, node_id(2));
  EXPECT_EQ(std::get<fetch_request>(out[0].msg.body).epoch, leader_epoch(5));
}

TEST(raft_node, an_observer_never_stands_and_never_votes) {
  fixture f({leader_epoch(5), std::nullopt, std::nullopt}, observer_id);
  for (int64_t t = 0; t < 20'000; t += 100) f.node.tick(milliseconds(t));
  EXPECT_EQ(f.node.current_role(), role::unattached);
  for (const auto& s : f.sent()) EXPECT_TRUE(std::holds_alternative<fetch_request>(s.msg.body));
  auto before = f.state();
  f.node.handle(node_id(2), {correlation_id(7), vote_from(node_id(2), leader_epoch(6))},
                milliseconds(20'000));
  auto r = only_reply<vote_response>(f);
  EXPECT_FALSE(r.vote_granted);
  EXPECT_EQ(r.error, errc::inconsistent_voter_set);
  EXPECT_EQ(f.state(), before);
}

TEST(raft_node, an_observer_whose_leader_is_silent_asks_another_voter) {
  fixture f({leader_epoch(5), std::nullopt, node_id(2)}, observer_id);
  ASSERT_EQ(f.node.current_role(), role::follower);
  f.node.tick(t0);
  auto out = f.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, node_id(2));
  f.node.tick(milliseconds(1999));  // within the fetch timeout: nobody else is asked
  EXPECT_TRUE(f.sent().empty());
  f.node.tick(milliseconds(2000));
  out = f.sent();
  ASSERT_FALSE(out.empty());
  auto asked = out.back().to;
  EXPECT_TRUE(asked == node_id(1) || asked == node_id(3));
  f.node.handle(
      asked,
      {out.back().msg.correlation,
       fetch_response{
           errc::fenced_leader_epoch, leader_epoch(6), asked, offset(0), std::nullopt, {}}},
      milliseconds(2001));
  EXPECT_EQ(f.node.current_role(), role::follower);
  EXPECT_EQ(f.node.leader_id(), asked);
  EXPECT_EQ(f.node.epoch(), leader_epoch(6));
}

TEST(raft_node, the_leader_describes_observers_without_counting_them) {
  fixture f;
  make_leader_of_epoch_6(f);
  ASSERT_TRUE(f.node.append({{"x"}}, milliseconds(5001)).has_value());
  f.node.on_flushed(f.log.flush(), milliseconds(5002));
  f.node.handle(observer_id,
                {correlation_id(1), fetch_request{"cluster-a", leader_epoch(6), observer_id,
                                                  offset(2), leader_epoch(6)}},
                milliseconds(5003));
  EXPECT_EQ(f.node.high_watermark(), offset(0));  // an observer is no acknowledgement
  auto d = f.node.describe();
  EXPECT_EQ(d.voters.size(), 3u);
  ASSERT_EQ(d.observers.size(), 1u);
  EXPECT_EQ(d.observers[0].replica_id, observer_id);
  EXPECT_EQ(d.observers[0].log_end_offset, offset(2));
  EXPECT_EQ(d.observers[0].last_fetch, milliseconds(5003));
  EXPECT_EQ(d.observers[0].last_caught_up, milliseconds(5003));  // it reached the log end
  // Forgotten after five minutes without a fetch (a voter keeps the leader in office).
  const milliseconds later(5003 + 300'000);
  f.node.handle(node_id(2),
                {correlation_id(2), fetch_request{"cluster-a", leader_epoch(6), node_id(2),
                                                  offset(2), leader_epoch(6)}},
                later);
  f.node.tick(later);
  ASSERT_EQ(f.node.current_role(), role::leader);
  EXPECT_TRUE(f.node.describe().observers.empty());
}

}  // namespace
}  // namespace vltava::quorum
