// raft_node with snapshots (KIP-630): the leader names its snapshot to a follower behind its log
// start and serves it with FetchSnapshot; the follower downloads, installs and resumes.

#include <gtest/gtest.h>

#include "quorum/memory_log.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;

quorum_config config() {
  quorum_config c;
  c.cluster_id = "cluster-a";
  c.voters = {node_id(1), node_id(2), node_id(3)};
  c.election_timeout = milliseconds(1000);
  c.fetch_timeout = milliseconds(2000);
  c.request_timeout = milliseconds(2000);
  c.retry_backoff = milliseconds(20);
  c.fetch_snapshot_max_bytes = 100;
  return c;
}

std::vector<send_message> sent(raft_node& n) {
  std::vector<send_message> out;
  for (auto& o : n.take_outputs()) {
    if (auto* s = std::get_if<send_message>(&o)) out.push_back(std::move(*s));
  }
  return out;
}

template <typename T>
std::pair<correlation_id, T> only(raft_node& n) {
  auto out = sent(n);
  EXPECT_EQ(out.size(), 1u);
  return {out.at(0).msg.correlation, std::get<T>(out.at(0).msg.body)};
}

// Node 1 leads epoch 6 with 20 committed entries (the leader-change entry first), a snapshot
// of the first 15 offsets and no log before it.
struct leader_with_snapshot {
  memory_log log;
  raft_node node{config(), node_id(1),     log, {leader_epoch(5), std::nullopt, std::nullopt},
                 7,        milliseconds(0)};
  snapshot_id id;

  leader_with_snapshot() {
    milliseconds now(5000);
    node.tick(now);
    for (auto& s : sent(node)) {
      node.handle(s.to, {s.msg.correlation, vote_response{errc::none, leader_epoch(5), {}, true}},
                  now);
    }
    for (auto& s : sent(node)) {
      node.handle(s.to, {s.msg.correlation, vote_response{errc::none, leader_epoch(6), {}, true}},
                  now);
    }
    EXPECT_EQ(node.current_role(), role::leader);
    std::vector<batch> batches;
    for (int i = 0; i < 19; ++i) batches.push_back({"entry-" + std::to_string(i)});
    EXPECT_TRUE(node.append(batches, now).has_value());
    node.on_flushed(log.flush(), now);
    sent(node);
    fetch(node_id(2), offset(20), leader_epoch(6));  // a majority holds all 20
    EXPECT_EQ(node.high_watermark(), offset(20));
    sent(node);
    EXPECT_EQ(node.take_committed().size(), 20u);
    id = log.create_snapshot(offset(15));
    log.delete_before_latest_snapshot();
  }

  void fetch(node_id from, offset o, leader_epoch last, int64_t c = 1) {
    node.handle(from,
                {correlation_id(c), fetch_request{"cluster-a", leader_epoch(6), from, o, last}},
                milliseconds(5001));
  }
  fetch_snapshot_response fetch_snapshot(snapshot_id s, int64_t position,
                                         leader_epoch epoch = leader_epoch(6)) {
    node.handle(node_id(2),
                {correlation_id(9),
                 fetch_snapshot_request{"cluster-a", epoch, node_id(2), s, position, 1 << 20}},
                milliseconds(5002));
    return only<fetch_snapshot_response>(node).second;
  }
};

TEST(raft_node_snapshot, a_fetch_before_the_log_start_gets_the_snapshot_id) {
  leader_with_snapshot l;
  EXPECT_EQ(l.id, (snapshot_id{offset(15), leader_epoch(6)}));
  EXPECT_EQ(l.log.start_offset(), offset(15));
  l.fetch(node_id(2), offset(3), leader_epoch(6));
  auto r = only<fetch_response>(l.node).second;
  EXPECT_EQ(r.error, errc::none);
  EXPECT_EQ(r.snapshot, l.id);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_FALSE(r.diverging);
  // At the log start with another epoch, or with an epoch older than the snapshot's: the
  // snapshot too (this log cannot tell where the follower diverges).
  l.fetch(node_id(2), offset(15), leader_epoch(4));
  EXPECT_EQ(only<fetch_response>(l.node).second.snapshot, l.id);
  l.fetch(node_id(3), offset(17), leader_epoch(5));
  EXPECT_EQ(only<fetch_response>(l.node).second.snapshot, l.id);
  // At the log start with the snapshot's epoch: the entries after it.
  l.fetch(node_id(2), offset(15), leader_epoch(6));
  auto ok = only<fetch_response>(l.node).second;
  EXPECT_FALSE(ok.snapshot);
  ASSERT_EQ(ok.entries.size(), 5u);
  EXPECT_EQ(ok.entries.front().offset, offset(15));
}

TEST(raft_node_snapshot, fetch_snapshot_serves_chunks_and_refuses_bad_requests) {
  leader_with_snapshot l;
  auto whole = l.log.read_snapshot(l.id, 0, 1 << 30).value();
  ASSERT_GT(whole.size, 250);
  // Chunks of at most fetch_snapshot_max_bytes (100), by position.
  std::string got;
  while (static_cast<int64_t>(got.size()) < whole.size) {
    auto r = l.fetch_snapshot(l.id, static_cast<int64_t>(got.size()));
    ASSERT_EQ(r.error, errc::none);
    EXPECT_EQ(r.size, whole.size);
    EXPECT_EQ(r.position, static_cast<int64_t>(got.size()));
    EXPECT_LE(r.bytes.size(), 100u);
    got += r.bytes;
  }
  EXPECT_EQ(got, whole.bytes);
  EXPECT_EQ(l.fetch_snapshot(l.id, whole.size).error, errc::position_out_of_range);
  EXPECT_EQ(l.fetch_snapshot(l.id, -1).error, errc::position_out_of_range);
  EXPECT_EQ(l.fetch_snapshot({offset(14), leader_epoch(6)}, 0).error, errc::snapshot_not_found);
  EXPECT_EQ(l.fetch_snapshot(l.id, 0, leader_epoch(5)).error, errc::fenced_leader_epoch);
  EXPECT_EQ(l.fetch_snapshot(l.id, 0, leader_epoch(7)).error, errc::unknown_leader_epoch);
}

// Node 2 follows node 1 in epoch 6 with an empty log.
struct empty_follower {
  memory_log log;
  raft_node node{config(), node_id(2),        log, {leader_epoch(6), std::nullopt, node_id(1)},
                 3,        milliseconds(5000)};
};

// Carries every message between the two nodes until both are quiet.
void exchange(leader_with_snapshot& l, empty_follower& f, int rounds = 1000) {
  std::vector<send_message> to_leader = sent(f.node);
  for (int i = 0; i < rounds && !to_leader.empty(); ++i) {
    for (auto& m : to_leader) l.node.handle(node_id(2), m.msg, milliseconds(5003));
    to_leader.clear();
    for (auto& m : sent(l.node)) {
      if (m.to == node_id(2)) f.node.handle(node_id(1), m.msg, milliseconds(5003));
    }
    to_leader = sent(f.node);
    // A fetch the leader holds for news: answered at its max wait.
    if (to_leader.empty()) {
      l.node.tick(milliseconds(6000 + i));
      for (auto& m : sent(l.node)) {
        if (m.to == node_id(2)) f.node.handle(node_id(1), m.msg, milliseconds(5004));
      }
      to_leader = sent(f.node);
    }
  }
}

TEST(raft_node_snapshot, a_follower_downloads_installs_and_fetches_from_the_snapshot) {
  leader_with_snapshot l;
  empty_follower f;
  f.node.tick(milliseconds(5000));
  auto first = only<fetch_request>(f.node);
  EXPECT_EQ(first.second.fetch_offset, offset(0));
  l.node.handle(node_id(2), {first.first, first.second}, milliseconds(5001));
  auto answer = only<fetch_response>(l.node);
  f.node.handle(node_id(1), {answer.first, answer.second}, milliseconds(5001));
  // Downloading: FetchSnapshot from position 0, the high watermark untouched meanwhile.
  auto ask = only<fetch_snapshot_request>(f.node);
  EXPECT_EQ(ask.second.snapshot, l.id);
  EXPECT_EQ(ask.second.position, 0);
  ASSERT_TRUE(f.node.fetching_snapshot().has_value());
  EXPECT_EQ(f.node.high_watermark(), offset(0));
  // The rest of the download, then the log after it.
  f.node.handle(node_id(1),
                {ask.first,
                 [&] {
                   l.node.handle(node_id(2), {ask.first, ask.second}, milliseconds(5002));
                   return only<fetch_snapshot_response>(l.node).second;
                 }()},
                milliseconds(5002));
  exchange(l, f);
  EXPECT_FALSE(f.node.fetching_snapshot().has_value());
  EXPECT_EQ(f.node.take_snapshot_to_load(), l.id);
  EXPECT_EQ(f.log.start_offset(), offset(15));
  EXPECT_EQ(f.log.snapshot_entries(l.id), l.log.snapshot_entries(l.id));
  f.node.on_flushed(f.log.flush(), milliseconds(5005));
  exchange(l, f);
  EXPECT_EQ(f.log.end_offset(), offset(20));
  EXPECT_EQ(f.node.high_watermark(), offset(20));
  // Only what follows the snapshot is applied from the log.
  auto applied = f.node.take_committed();
  ASSERT_EQ(applied.size(), 5u);
  EXPECT_EQ(applied.front().offset, offset(15));
}

TEST(raft_node_snapshot, a_snapshot_gone_at_the_leader_sends_the_follower_back_to_fetching) {
  leader_with_snapshot l;
  empty_follower f;
  f.node.tick(milliseconds(5000));
  auto fetch = only<fetch_request>(f.node);
  fetch_response r{errc::none, leader_epoch(6), node_id(1), offset(20), std::nullopt, {}};
  r.snapshot = snapshot_id{offset(12), leader_epoch(6)};  // a snapshot the leader has no more
  f.node.handle(node_id(1), {fetch.first, r}, milliseconds(5001));
  auto ask = only<fetch_snapshot_request>(f.node);
  fetch_snapshot_response gone{
      errc::snapshot_not_found, leader_epoch(6), node_id(1), ask.second.snapshot, 0, 0, {}};
  f.node.handle(node_id(1), {ask.first, gone}, milliseconds(5002));
  EXPECT_FALSE(f.node.fetching_snapshot().has_value());
  auto again = only<fetch_request>(f.node);
  EXPECT_EQ(again.second.fetch_offset, offset(0));
}

TEST(raft_node_snapshot, a_chunk_that_does_not_continue_the_download_is_dropped) {
  leader_with_snapshot l;
  empty_follower f;
  f.node.tick(milliseconds(5000));
  auto first = only<fetch_request>(f.node);
  fetch_response r{errc::none, leader_epoch(6), node_id(1), offset(20), std::nullopt, {}};
  r.snapshot = l.id;
  f.node.handle(node_id(1), {first.first, r}, milliseconds(5001));
  auto ask = only<fetch_snapshot_request>(f.node);
  auto chunk = l.log.read_snapshot(l.id, 50, 10).value();
  fetch_snapshot_response wrong{errc::none, leader_epoch(6), node_id(1), l.id, chunk.size,
                                50,         chunk.bytes};
  f.node.handle(node_id(1), {ask.first, wrong}, milliseconds(5002));
  EXPECT_EQ(f.node.fetching_snapshot()->position, 0);
  EXPECT_FALSE(f.node.take_snapshot_to_load());
}

TEST(raft_node_snapshot, a_new_epoch_abandons_the_download) {
  leader_with_snapshot l;
  empty_follower f;
  f.node.tick(milliseconds(5000));
  auto first = only<fetch_request>(f.node);
  fetch_response r{errc::none, leader_epoch(6), node_id(1), offset(20), std::nullopt, {}};
  r.snapshot = l.id;
  f.node.handle(node_id(1), {first.first, r}, milliseconds(5001));
  ASSERT_TRUE(f.node.fetching_snapshot().has_value());
  f.node.handle(
      node_id(3),
      {correlation_id(4), begin_quorum_epoch_request{"cluster-a", leader_epoch(7), node_id(3)}},
      milliseconds(5002));
  EXPECT_FALSE(f.node.fetching_snapshot().has_value());
}

TEST(raft_node_snapshot, a_restarted_node_applies_only_the_log_after_its_snapshot) {
  leader_with_snapshot l;
  // The same disk, a new node: its state machine loads the snapshot, the node starts there.
  raft_node again(config(), node_id(1), l.log, l.node.election(), 8, milliseconds(9000));
  EXPECT_EQ(again.applied(), offset(15));
  EXPECT_EQ(again.high_watermark(), offset(15));
}

}  // namespace
}  // namespace vltava::quorum
