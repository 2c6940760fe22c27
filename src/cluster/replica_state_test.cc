#include "cluster/replica_state.h"

#include <gtest/gtest.h>

namespace vltava::cluster {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;

constexpr int64_t lag_ms = 30'000;

committed_isr three(std::vector<node_id> isr, int32_t partition_epoch = 0) {
  return {{node_id(1), node_id(2), node_id(3)}, std::move(isr), leader_epoch(1), partition_epoch};
}

TEST(leader_state, high_watermark_is_the_lowest_durable_end_of_the_isr) {
  leader_state s(node_id(1), three({node_id(1), node_id(2), node_id(3)}), 2, lag_ms, offset(0), 0);
  EXPECT_FALSE(s.on_leader_durable(offset(10)));  // followers not heard from yet
  EXPECT_FALSE(s.on_follower_fetch(node_id(2), offset(10), offset(10), 1));
  EXPECT_TRUE(s.on_follower_fetch(node_id(3), offset(7), offset(10), 1));
  EXPECT_EQ(s.high_watermark(), offset(7));
  EXPECT_TRUE(s.on_follower_fetch(node_id(3), offset(10), offset(10), 2));
  EXPECT_EQ(s.high_watermark(), offset(10));
}

TEST(leader_state, the_leader_counts_only_its_durable_end) {
  leader_state s(node_id(1), three({node_id(1), node_id(2)}), 2, lag_ms, offset(0), 0);
  s.on_follower_fetch(node_id(2), offset(10), offset(10), 1);
  EXPECT_EQ(s.high_watermark(), offset(0));
  EXPECT_TRUE(s.on_leader_durable(offset(10)));
  EXPECT_EQ(s.high_watermark(), offset(10));
}

TEST(leader_state, high_watermark_never_moves_back) {
  leader_state s(node_id(1), three({node_id(1), node_id(2)}), 1, lag_ms, offset(0), 0);
  s.on_leader_durable(offset(10));
  s.on_follower_fetch(node_id(2), offset(10), offset(10), 1);
  EXPECT_EQ(s.high_watermark(), offset(10));
  s.on_follower_fetch(node_id(2), offset(4), offset(10), 2);  // it truncated
  EXPECT_EQ(s.high_watermark(), offset(10));
}

TEST(leader_state, no_commit_below_min_insync_replicas) {
  leader_state s(node_id(1), three({node_id(1)}), 2, lag_ms, offset(0), 0);
  EXPECT_FALSE(s.enough_replicas());
  EXPECT_FALSE(s.on_leader_durable(offset(10)));
  EXPECT_EQ(s.high_watermark(), offset(0));
  // The ISR grows back: the high watermark moves again.
  s.on_follower_fetch(node_id(2), offset(10), offset(10), 1);
  EXPECT_TRUE(s.update(three({node_id(1), node_id(2)}, 1)));
  EXPECT_EQ(s.high_watermark(), offset(10));
}

TEST(leader_state, min_insync_above_the_replication_factor_is_capped) {
  leader_state s(node_id(1), {{node_id(1)}, {node_id(1)}, leader_epoch(0), 0}, 2, lag_ms, offset(0),
                 0);
  EXPECT_TRUE(s.enough_replicas());
  EXPECT_TRUE(s.on_leader_durable(offset(3)));
}

TEST(leader_state, a_lagging_follower_is_shrunk_after_the_lag_time) {
  leader_state s(node_id(1), three({node_id(1), node_id(2), node_id(3)}), 2, lag_ms, offset(0), 0);
  s.on_leader_durable(offset(10));
  s.on_follower_fetch(node_id(2), offset(10), offset(10), 1000);
  s.on_follower_fetch(node_id(3), offset(2), offset(10), 1000);  // behind
  EXPECT_FALSE(s.next_proposal(offset(0), lag_ms).has_value());
  s.on_follower_fetch(node_id(2), offset(10), offset(10), lag_ms);
  auto p = s.next_proposal(offset(0), lag_ms + 1);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->isr, (std::vector<node_id>{node_id(1), node_id(2)}));
  EXPECT_TRUE(s.has_pending());
  EXPECT_FALSE(s.next_proposal(offset(0), lag_ms + 2).has_value());  // one at a time
  // The controller commits it: the high watermark no longer waits for 3.
  EXPECT_TRUE(s.update(three({node_id(1), node_id(2)}, 1)));
  EXPECT_FALSE(s.has_pending());
  EXPECT_EQ(s.high_watermark(), offset(10));
}

TEST(leader_state, a_follower_that_keeps_up_with_a_moving_end_stays_in_sync) {
  leader_state s(node_id(1), three({node_id(1), node_id(2)}), 1, lag_ms, offset(0), 0);
  // Always behind the current end, but each fetch reaches the end of the previous one.
  for (int64_t t = 1; t < 5 * lag_ms; t += 500) {
    s.on_follower_fetch(node_id(2), offset(t), offset(t + 100), t);
    s.on_follower_fetch(node_id(3), offset(0), offset(0), t);  // not in the ISR, no data
  }
  auto p = s.next_proposal(offset(1'000'000), 5 * lag_ms);
  EXPECT_FALSE(p.has_value());
}

TEST(leader_state, a_follower_that_reaches_the_high_watermark_and_epoch_start_is_added) {
  leader_state s(node_id(1), three({node_id(1), node_id(2)}), 2, lag_ms, offset(0), 0);
  s.on_leader_durable(offset(10));
  s.on_follower_fetch(node_id(2), offset(10), offset(10), 1);
  EXPECT_EQ(s.high_watermark(), offset(10));
  s.on_follower_fetch(node_id(3), offset(9), offset(10), 1);
  EXPECT_FALSE(s.next_proposal(offset(0), 2).has_value());
  s.on_follower_fetch(node_id(3), offset(10), offset(10), 3);
  EXPECT_FALSE(s.next_proposal(offset(11), 4).has_value());  // not at the epoch's start yet
  auto p = s.next_proposal(offset(10), 4);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->isr, (std::vector<node_id>{node_id(1), node_id(2), node_id(3)}));
  EXPECT_EQ(p->partition_epoch, 0);
  // KIP-497: a pending addition counts for the high watermark at once.
  s.on_leader_durable(offset(20));
  s.on_follower_fetch(node_id(2), offset(20), offset(20), 5);
  EXPECT_EQ(s.high_watermark(), offset(10));
  s.on_follower_fetch(node_id(3), offset(20), offset(20), 5);
  EXPECT_EQ(s.high_watermark(), offset(20));
  s.proposal_failed();
  EXPECT_FALSE(s.has_pending());
}

TEST(leader_state, an_expansion_names_the_broker_epoch_each_follower_fetched_with) {
  leader_state s(node_id(1), three({node_id(1), node_id(2)}), 2, lag_ms, offset(0), 0);
  s.on_leader_durable(offset(10));
  s.note_broker_epoch(node_id(2), 40);
  s.on_follower_fetch(node_id(2), offset(10), offset(10), 1);
  s.note_broker_epoch(node_id(3), 7);
  s.note_broker_epoch(node_id(3), 52);  // it restarted and registered again
  s.on_follower_fetch(node_id(3), offset(10), offset(10), 1);
  auto p = s.next_proposal(offset(0), 2);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->isr, (std::vector<node_id>{node_id(1), node_id(2), node_id(3)}));
  // KIP-903: the controller compares these with the registrations; the leader's own is -1
  // here (the sender puts its registration's).
  EXPECT_EQ(p->broker_epochs, (std::vector<int64_t>{-1, 40, 52}));
}

TEST(truncation, a_follower_cuts_where_the_leader_says_its_epoch_ends) {
  epoch_cache f;
  f.assign(leader_epoch(1), offset(0));
  f.assign(leader_epoch(2), offset(10));
  // The leader has epoch 2 ending at 15; the follower wrote to 20 in epoch 2.
  EXPECT_EQ(truncation_for(f, offset(20), offset(5), {leader_epoch(2), offset(15)}), offset(15));
  // The leader never had epoch 2: its largest below is 1, ending at 12.
  EXPECT_EQ(truncation_for(f, offset(20), offset(5), {leader_epoch(1), offset(12)}), offset(10));
  // Undefined: back to the high watermark.
  EXPECT_EQ(truncation_for(f, offset(20), offset(5), {}), offset(5));
}

TEST(truncation, the_leader_answers_diverging_epoch_only_when_the_follower_diverged) {
  epoch_cache l;
  l.assign(leader_epoch(1), offset(0));
  l.assign(leader_epoch(3), offset(10));
  EXPECT_FALSE(diverging_for(l, offset(30), leader_epoch(3), offset(25)).has_value());
  EXPECT_FALSE(diverging_for(l, offset(30), leader_epoch(1), offset(10)).has_value());
  EXPECT_FALSE(diverging_for(l, offset(30), leader_epoch(-1), offset(0)).has_value());
  auto d = diverging_for(l, offset(30), leader_epoch(2), offset(14));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, (epoch_end{leader_epoch(1), offset(10)}));
  d = diverging_for(l, offset(30), leader_epoch(1), offset(12));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, (epoch_end{leader_epoch(1), offset(10)}));
}

}  // namespace
}  // namespace vltava::cluster
