// Replication through two real partitions (a leader and a follower on their own logs), driven
// by hand as the replica fetcher and the fetch handler drive them, without sockets: follower
// appends keep the leader's bytes, the high watermark waits for the follower's durable end,
// acks=all completes then, a follower that diverged truncates where the new leader's epoch
// starts, and min.insync.replicas refuses acks=all.

#include <gtest/gtest.h>

#include <thread>

#include "cluster/partition.h"
#include "cluster/test_node.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;
using protocol::error_code;

partition_assignment two_replicas(node_id leader, int32_t epoch, int32_t partition_epoch,
                                  std::vector<node_id> isr = {node_id(1), node_id(2)}) {
  partition_assignment a;
  a.replicas = {node_id(1), node_id(2)};
  a.isr = std::move(isr);
  a.leader = leader;
  a.leader_epoch = leader_epoch(epoch);
  a.partition_epoch = partition_epoch;
  return a;
}

class PartitionReplication : public ::testing::Test {
 protected:
  std::shared_ptr<partition> open(const std::string& name) {
    partition_settings s;
    s.min_insync_replicas = 2;
    auto l = storage::log::open(io, flusher, tmp.sub(name), {"t", model::partition_id(0)}, s.log);
    EXPECT_TRUE(l.has_value()) << l.error().message;
    return std::make_shared<partition>(ctx, protocol::uuid{}, std::move(*l), s);
  }

  // Runs the shard's queued work (durability callbacks posted back) until `done` or 5 s.
  template <typename Pred>
  bool run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      ctx.restart();
      ctx.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  // One follower fetch round as the fetcher and the leader's fetch handler make it.
  void fetch(partition& leader, partition& follower, node_id follower_id) {
    const auto at = follower.replica_position();
    auto answer = leader.on_replica_fetch(follower_id, -1, at.fetch_offset, at.last_fetched_epoch,
                                          at.current_leader_epoch);
    ASSERT_EQ(answer.error, error_code::none);
    if (answer.diverging) {
      ASSERT_TRUE(follower.truncate_diverged(*answer.diverging).has_value());
      return;
    }
    auto bytes = leader.log().read_bytes(at.fetch_offset, 1 << 20, leader.log_end_offset());
    ASSERT_TRUE(bytes.has_value());
    if (!bytes->empty()) ASSERT_TRUE(follower.append_replicated(*bytes).has_value());
    ASSERT_TRUE(follower.log().flush_and_wait().has_value());
    follower.set_leader_high_watermark(leader.high_watermark());
  }

  std::vector<std::byte> all_bytes(partition& p) {
    auto b = p.log().read_bytes(offset(0), 1 << 20, p.log_end_offset());
    EXPECT_TRUE(b.has_value());
    return b ? *b : std::vector<std::byte>{};
  }

  storage::testing::temp_dir tmp;
  storage::posix_io io;
  storage::flusher flusher{io};
  asio::io_context ctx;
};

TEST_F(PartitionReplication, HighWatermarkWaitsForTheFollowersDurableEnd) {
  auto l = open("leader");
  auto f = open("follower");
  l->apply_assignment(two_replicas(node_id(1), 1, 0), node_id(1));
  f->apply_assignment(two_replicas(node_id(1), 1, 0), node_id(2));
  EXPECT_EQ(l->role(), replica_role::leader);
  EXPECT_EQ(f->role(), replica_role::follower);

  auto b = testing::batch(3, testing::now_ms());
  auto w = l->write(b);
  ASSERT_EQ(w.error, error_code::none) << w.message;
  auto refused = f->write(b);
  EXPECT_EQ(refused.error, error_code::not_leader_or_follower);

  // acks=all waits for the follower.
  std::optional<append_outcome> acked;
  asio::co_spawn(ctx, l->committed(w, std::chrono::steady_clock::now() + std::chrono::seconds(10)),
                 [&acked](std::exception_ptr, append_outcome o) { acked = o; });
  ASSERT_TRUE(run_until([&] { return l->replication()->leader_durable_end() == offset(3); }));
  EXPECT_EQ(l->high_watermark(), offset(0));
  EXPECT_FALSE(acked.has_value());

  fetch(*l, *f, node_id(2));  // gets the batch
  EXPECT_EQ(l->high_watermark(), offset(0));
  fetch(*l, *f, node_id(2));  // reports it durable
  EXPECT_EQ(l->high_watermark(), offset(3));
  ASSERT_TRUE(run_until([&] { return acked.has_value(); }));
  EXPECT_EQ(acked->error, error_code::none);
  EXPECT_EQ(all_bytes(*l), all_bytes(*f));  // offsets, epochs, timestamps: byte for byte
  fetch(*l, *f, node_id(2));
  EXPECT_EQ(f->high_watermark(), offset(3));
  EXPECT_EQ(f->epochs().latest(), leader_epoch(1));
  ASSERT_TRUE(l->close().has_value());
  ASSERT_TRUE(f->close().has_value());
}

TEST_F(PartitionReplication, ADivergedFollowerTruncatesToTheNewLeadersEpochStart) {
  auto a = open("a");
  auto b = open("b");
  a->apply_assignment(two_replicas(node_id(1), 1, 0), node_id(1));
  b->apply_assignment(two_replicas(node_id(1), 1, 0), node_id(2));
  auto first = testing::batch(3, testing::now_ms());
  ASSERT_EQ(a->write(first).error, error_code::none);
  fetch(*a, *b, node_id(2));
  // `a` writes a batch nobody fetches, then loses leadership to `b` (epoch 2).
  auto lost = testing::batch(2, testing::now_ms());
  ASSERT_EQ(a->write(lost).error, error_code::none);
  ASSERT_TRUE(a->log().flush_and_wait().has_value());
  a->apply_assignment(two_replicas(node_id(2), 2, 1), node_id(1));
  b->apply_assignment(two_replicas(node_id(2), 2, 1), node_id(2));
  auto newer = testing::batch(4, testing::now_ms());
  ASSERT_EQ(b->write(newer).error, error_code::none);
  EXPECT_EQ(a->log_end_offset(), offset(5));
  fetch(*b, *a, node_id(1));  // DivergingEpoch: epoch 1 ends at 3 on the leader
  EXPECT_EQ(a->log_end_offset(), offset(3));
  fetch(*b, *a, node_id(1));
  EXPECT_EQ(a->log_end_offset(), offset(7));
  EXPECT_EQ(all_bytes(*a), all_bytes(*b));
  EXPECT_EQ(a->epochs().entries(), b->epochs().entries());
  ASSERT_TRUE(a->close().has_value());
  ASSERT_TRUE(b->close().has_value());
}

TEST_F(PartitionReplication, BelowMinInsyncReplicasAcksAllIsRefused) {
  auto l = open("leader");
  l->apply_assignment(two_replicas(node_id(1), 1, 0), node_id(1));
  EXPECT_TRUE(l->enough_replicas());
  auto b = testing::batch(1, testing::now_ms());
  auto w = l->write(b);
  ASSERT_EQ(w.error, error_code::none);
  std::optional<append_outcome> acked;
  asio::co_spawn(ctx, l->committed(w, std::chrono::steady_clock::now() + std::chrono::seconds(10)),
                 [&acked](std::exception_ptr, append_outcome o) { acked = o; });
  ctx.poll();
  // The controller shrinks the ISR to the leader alone: the waiting write is answered.
  l->apply_assignment(two_replicas(node_id(1), 1, 1, {node_id(1)}), node_id(1));
  EXPECT_FALSE(l->enough_replicas());
  ASSERT_TRUE(run_until([&] { return acked.has_value(); }));
  EXPECT_EQ(acked->error, error_code::not_enough_replicas_after_append);
  // Leadership moves: a waiting write answers NOT_LEADER_OR_FOLLOWER.
  l->apply_assignment(two_replicas(node_id(1), 1, 2), node_id(1));
  auto w2 = l->write(b);
  std::optional<append_outcome> second;
  asio::co_spawn(ctx, l->committed(w2, std::chrono::steady_clock::now() + std::chrono::seconds(10)),
                 [&second](std::exception_ptr, append_outcome o) { second = o; });
  ctx.poll();
  l->apply_assignment(two_replicas(node_id(2), 2, 3), node_id(1));
  ASSERT_TRUE(run_until([&] { return second.has_value(); }));
  EXPECT_EQ(second->error, error_code::not_leader_or_follower);
  ASSERT_TRUE(l->close().has_value());
}

}  // namespace
}  // namespace vltava::cluster
