#pragma once

// simulation: runs real raft_nodes on a simulated network, clock and disk, deterministically
// from one seed, and checks Raft's safety properties after every step (see checker.h).
//
// One run: a fault phase (message loss, delay, reordering, duplication, one-way and two-way
// partitions between node pairs, crashes that lose unflushed log entries and election state
// writes not yet executed, restarts, graceful resignations) while clients append to whoever
// leads; then a liveness phase: every fault stops, the network heals, every node restarts,
// and a leader must commit a new append within a bound of simulated time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quorum/checker.h"
#include "quorum/config.h"
#include "quorum/sabotage.h"

namespace vltava::quorum {

struct simulation_options {
  uint64_t seed = 1;
  std::size_t voters = 3;
  // Non-voters (broker-only nodes) after the voters: they find the leader, follow it, and must
  // apply the same entries; in the liveness phase each must apply the new append too.
  std::size_t observers = 0;
  milliseconds fault_phase{6000};
  // After the faults stop: the longest a healed cluster may take to commit a new append.
  milliseconds liveness_bound{15000};
  sabotage broken = sabotage::none;
  // Prints every step to stderr (VLTAVA_SIM_TRACE=1 with one replayed seed).
  bool trace = false;
};

struct simulation_result {
  std::string failure;  // empty when every check held
  coverage seen;
  uint64_t steps = 0;
};

simulation_result run_simulation(const simulation_options& options);

}  // namespace vltava::quorum
