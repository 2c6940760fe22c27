#pragma once

// Where the replicas of new partitions go: over the live brokers, spread so that each broker
// gets about as many replicas and leaderships as the others, as Kafka's assignment does.
//
// The brokers are ordered rack by rack in turn (a1, b1, c1, a2, b2, ...), so consecutive
// brokers sit on different racks where there are several. Partition p's first replica (its
// preferred leader) is broker (start + p) mod n; the others follow it at a distance that
// shifts by one every n partitions, so two partitions rarely share the same replica set
// (Kafka's AdminUtils.assignReplicasToBrokers). `start` is random per call unless given.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/fundamental.h"

namespace vltava::cluster {

struct placement_broker {
  model::node_id id;
  std::optional<std::string> rack;
};

// `count` partitions of `replication_factor` replicas each; the caller has checked that
// 1 <= replication_factor <= brokers.size(). Replicas of one partition are distinct.
std::vector<std::vector<model::node_id>> place_replicas(std::vector<placement_broker> brokers,
                                                        int32_t count, int32_t replication_factor,
                                                        std::optional<uint32_t> start = {});

}  // namespace vltava::cluster
