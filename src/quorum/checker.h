#pragma once

// checker: Raft's safety properties over a set of nodes, checked after every simulation step.
// - election safety: at most one leader per epoch, ever;
// - log matching: two logs holding an entry with the same offset and epoch are identical up to
//   it (checked inductively: same payload, record count and kind, same epoch just before);
// - leader completeness: every committed entry is in the log of every leader of a later epoch;
// - state-machine safety: every node applies the same entries in the same order (each node's
//   applied sequence is a prefix of one committed sequence);
// - the high watermark never goes back within a node's life, and every committed entry is
//   durable on a majority of voters;
// - observers (the nodes after the voters) never stand for election and never vote: they are
//   only ever unattached or following, with no vote recorded; what they apply is checked like
//   any node's (state-machine safety).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/fundamental.h"
#include "quorum/log.h"
#include "quorum/memory_log.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {

// What the runs did, so a simulation where nothing happens cannot pass.
struct coverage {
  uint64_t elections = 0;    // distinct (epoch, leader) pairs seen
  uint64_t truncations = 0;  // DivergingEpoch truncations that removed entries
  uint64_t commits = 0;      // entries in the committed sequence
  uint64_t crashes = 0;
  uint64_t lost_unflushed = 0;  // crashes that lost log entries
  uint64_t resignations = 0;
  uint64_t snapshots_taken = 0;
  uint64_t snapshots_installed = 0;  // fetched from a leader with FetchSnapshot
  uint64_t steps = 0;                // simulation events processed
  uint64_t observer_applied = 0;     // entries observers applied

  coverage& operator+=(const coverage& o);
};

// One node as the checker sees it: `node` is null while the node is down; its disk stays.
struct checked_node {
  const raft_node* node;
  memory_log* disk;
};

class checker {
 public:
  // Nodes [0, voters) are the voters, the `observers` after them observers.
  explicit checker(std::size_t voters, std::size_t observers = 0)
      : _views(voters + observers), _voters(voters) {}

  // After every step. `touched` is the node the step ran on (its log and applied entries are
  // the only ones that changed), `applied` what it took from take_committed(). Returns the
  // first violation found.
  std::optional<std::string> after_step(const std::vector<checked_node>& nodes, std::size_t touched,
                                        const std::vector<entry>& applied);
  // A node restarts: its high watermark and applied sequence start over.
  void restarted(std::size_t index) { _views.at(index) = node_view{}; }
  // State-machine safety across snapshots: a snapshot a node writes of what it applied, and
  // one it loads (at start, or fetched from the leader) in place of what it applied, hold a
  // prefix of the one committed sequence; loading moves the node's applied position there.
  std::optional<std::string> snapshot_taken(std::size_t index, const std::vector<entry>& state);
  std::optional<std::string> snapshot_loaded(std::size_t index, const std::vector<entry>& state);

  const std::vector<entry>& committed() const { return _committed; }
  // Where the node's applied sequence ends in its current life.
  model::offset applied_end(std::size_t index) const { return _views.at(index).next_applied; }
  coverage& seen() { return _seen; }

 private:
  struct node_view {
    model::offset last_high_watermark{0};
    model::offset next_applied{0};
    model::leader_epoch leader_in{-1};  // the epoch it was last seen leading
  };
  struct entry_fact {
    std::string payload;
    entry_kind kind;
    uint32_t record_count;
    model::leader_epoch previous_epoch;

    bool operator==(const entry_fact&) const = default;
  };

  std::optional<std::string> check_leader(const std::vector<checked_node>& nodes,
                                          std::size_t index);
  std::optional<std::string> check_log(std::size_t index, memory_log& disk);
  std::optional<std::string> check_applied(const std::vector<checked_node>& nodes,
                                           std::size_t index, const std::vector<entry>& applied);
  std::optional<std::string> check_observer(const raft_node& node, std::size_t index) const;
  std::optional<std::string> check_durable_majority(const std::vector<checked_node>& nodes) const;
  std::optional<std::string> check_committed_prefix(std::size_t index,
                                                    const std::vector<entry>& state) const;
  std::size_t committed_index(model::offset o) const;
  std::optional<std::string> has_committed(const checked_node& leader, std::size_t first,
                                           std::size_t last) const;

  std::vector<node_view> _views;
  std::size_t _voters;
  std::map<model::leader_epoch, std::size_t> _leaders;  // epoch -> node index
  std::map<std::pair<model::offset, model::leader_epoch>, entry_fact> _entries;
  std::vector<entry> _committed;
  std::vector<model::leader_epoch> _commit_epoch;  // epoch in which each entry was committed
  coverage _seen;
};

}  // namespace vltava::quorum
