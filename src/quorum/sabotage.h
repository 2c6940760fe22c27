#pragma once

// Deliberately broken variants of raft_node, so the simulation can show its checker is not
// vacuous: each must make some seed fail. Only quorum::simulation (a friend of raft_node) can
// select one; no config or public constructor reaches it.

#include <cstdint>

namespace vltava::quorum {

enum class sabotage : int8_t {
  none,
  // Grants a vote without making the vote durable first: a crash forgets it, and the restarted
  // voter may vote again in the same epoch.
  vote_without_persist,
  // Grants a vote whatever the candidate's log: a leader may miss committed entries.
  vote_ignores_log,
  // A majority of pre-votes makes a leader at once: pre-votes bind nobody, so two nodes can
  // both win the same epoch.
  leader_from_pre_votes,
  // Counts entries as acknowledged before they are durable (leader and followers alike).
  ack_before_durable,
};

}  // namespace vltava::quorum
