#pragma once

// The replication state machine of one partition, as Kafka's Partition defines it, with
// Vltava's durability rule: every log end it counts is a durable one (the leader's own after
// its group commit, a follower's fetch offset after the follower's). Deterministic and free of
// I/O and clocks (time is an argument): unit-tested and simulated in replica_state_test.cc.
//
// Leader side (leader_state):
// - each follower's progress: its fetch offset (= its durable log end), when it last caught up
//   (Kafka's lastCaughtUpTimeMs: a fetch at the leader's log end, or at the end the leader had
//   at the follower's previous fetch);
// - the high watermark: the minimum durable log end over the maximal ISR (the committed ISR
//   plus a pending addition, KIP-497), never moving back, and not moving at all while the ISR
//   is smaller than min.insync.replicas (KIP-966, part 1);
// - ISR changes to ask the controller for (AlterPartition), one at a time: shrink a follower
//   not caught up for replica.lag.time.max.ms, expand a follower whose fetch offset reached
//   the high watermark and the start of the leader's epoch.
// Follower side: truncation_for, where a follower cuts its log after a DivergingEpoch answer.

#include <cstdint>
#include <optional>
#include <vector>

#include "cluster/epoch_cache.h"
#include "model/fundamental.h"

namespace vltava::cluster {

struct follower_progress {
  model::node_id id;
  model::offset log_end{-1};  // the durable end it last fetched at; -1: not heard from
  int64_t last_caught_up_ms = 0;
  int64_t last_fetch_ms = 0;
  model::offset leader_end_at_last_fetch{-1};
  // The broker epoch its last fetch carried (Fetch v15 ReplicaState; -1 before): an ISR
  // expansion names it so the controller refuses a replica that restarted since (KIP-903).
  int64_t broker_epoch = -1;
};

// What the controller last committed for the partition (from the metadata image).
struct committed_isr {
  std::vector<model::node_id> replicas;
  std::vector<model::node_id> isr;
  model::leader_epoch leader_epoch{0};
  int32_t partition_epoch = 0;
};

// An ISR change sent to the controller and not answered yet.
struct isr_proposal {
  std::vector<model::node_id> isr;
  // Per member of `isr`, the broker epoch its fetches carried (-1: unknown, or the leader).
  std::vector<int64_t> broker_epochs;
  int32_t partition_epoch = 0;  // the committed epoch it is based on
  model::leader_epoch leader_epoch{0};
};

class leader_state {
 public:
  // Becoming leader at `now`: every follower counts as caught up now (Kafka starts their lag
  // clocks at the election), the high watermark starts at `hw` (what the log knew).
  leader_state(model::node_id self, committed_isr state, int32_t min_insync, int64_t lag_max_ms,
               model::offset hw, int64_t now_ms);

  // A newer committed state for the same leadership (the controller applied an ISR change,
  // ours or its own on fencing). Clears a pending proposal it answers. Returns whether the
  // high watermark moved.
  bool update(committed_isr state);
  void set_min_insync(int32_t n) { _min_insync = n; }

  // The leader's own durable log end moved. Returns whether the high watermark moved.
  bool on_leader_durable(model::offset durable_end);
  // A follower's fetch at `fetch_offset` (its durable end) while the leader's log ends at
  // `leader_end`. Returns whether the high watermark moved. Non-replicas are ignored.
  bool on_follower_fetch(model::node_id id, model::offset fetch_offset, model::offset leader_end,
                         int64_t now_ms);
  // The broker epoch a follower's fetch carried; a newer one replaces it (a restart).
  void note_broker_epoch(model::node_id id, int64_t broker_epoch);

  // The ISR change to send now, if any (nothing while one is pending). `epoch_start`: where
  // the leader's current epoch starts in its log (a follower must reach it to join the ISR).
  std::optional<isr_proposal> next_proposal(model::offset epoch_start, int64_t now_ms);
  // The controller refused or the call failed: the proposal is dropped and retried later.
  void proposal_failed() { _pending.reset(); }
  bool has_pending() const { return _pending.has_value(); }

  model::offset high_watermark() const { return _hw; }
  const committed_isr& committed() const { return _state; }
  // Committed ISR, plus the replica a pending expansion adds (KIP-497's maximal ISR).
  std::vector<model::node_id> maximal_isr() const;
  // ISR >= min.insync.replicas: acks=all may append (Kafka checks the committed ISR).
  bool enough_replicas() const;
  const follower_progress* follower(model::node_id id) const;
  model::offset leader_durable_end() const { return _leader_end; }

 private:
  bool recompute_hw();
  follower_progress* find(model::node_id id);

  model::node_id _self;
  committed_isr _state;
  int32_t _min_insync;
  int64_t _lag_max_ms;
  model::offset _hw;
  model::offset _leader_end{-1};
  std::vector<follower_progress> _followers;
  std::optional<isr_proposal> _pending;
};

// A follower's answer to the leader's DivergingEpoch (epoch, end offset), from its own epoch
// cache and log end (Kafka's AbstractFetcherThread.getOffsetTruncationState): where to cut the
// log. When the follower does not have the leader's epoch, it cuts at the end of its own
// largest epoch below, and the next fetch (with that epoch as LastFetchedEpoch) goes on.
// An undefined answer (the leader knows no epoch that old) cuts at the follower's high
// watermark, as Kafka did before KIP-101.
model::offset truncation_for(const epoch_cache& mine, model::offset log_end, model::offset hw,
                             epoch_end diverging);

// The leader's check of a follower's fetch (KIP-595's validation of LastFetchedEpoch): the
// DivergingEpoch to answer when the follower's log cannot be a prefix of the leader's (its last
// epoch ends earlier here, or is unknown here), else nothing. No check without an epoch (-1).
std::optional<epoch_end> diverging_for(const epoch_cache& leader, model::offset leader_end,
                                       model::leader_epoch last_fetched_epoch,
                                       model::offset fetch_offset);

}  // namespace vltava::cluster
