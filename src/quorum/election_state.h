#pragma once

// The election state a voter keeps durable (Kafka's `quorum-state` file): the epoch, whom it
// voted for in it, and the leader it knows in it. A node never answers on the strength of a
// change to this state before the change is durable: raft_node puts a persist_election output
// before every message that depends on it, and the caller executes outputs in order.

#include <optional>

#include "model/fundamental.h"

namespace vltava::quorum {

struct election_state {
  model::leader_epoch epoch{0};
  std::optional<model::node_id> voted_for;
  std::optional<model::node_id> leader_id;

  bool operator==(const election_state&) const = default;
};

}  // namespace vltava::quorum
