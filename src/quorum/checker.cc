#include "quorum/checker.h"

#include <algorithm>
#include <sstream>

namespace vltava::quorum {

namespace {

template <typename... Parts>
std::string say(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

}  // namespace

coverage& coverage::operator+=(const coverage& o) {
  elections += o.elections;
  truncations += o.truncations;
  commits += o.commits;
  crashes += o.crashes;
  lost_unflushed += o.lost_unflushed;
  resignations += o.resignations;
  snapshots_taken += o.snapshots_taken;
  snapshots_installed += o.snapshots_installed;
  steps += o.steps;
  observer_applied += o.observer_applied;
  return *this;
}

std::optional<std::string> checker::after_step(const std::vector<checked_node>& nodes,
                                               std::size_t touched,
                                               const std::vector<entry>& applied) {
  const auto& n = nodes.at(touched);
  if (auto bad = check_log(touched, *n.disk)) return bad;
  if (n.node) {
    if (n.node->high_watermark() < _views[touched].last_high_watermark) {
      return say("node ", touched, ": high watermark went back from ",
                 _views[touched].last_high_watermark, " to ", n.node->high_watermark());
    }
    _views[touched].last_high_watermark = n.node->high_watermark();
    if (auto bad = check_leader(nodes, touched)) return bad;
    if (touched >= _voters) {
      if (auto bad = check_observer(*n.node, touched)) return bad;
      _seen.observer_applied += applied.size();
    }
  }
  if (auto bad = check_applied(nodes, touched, applied)) return bad;
  return check_durable_majority(nodes);
}

// Election safety, and leader completeness when a node is first seen leading an epoch.
std::optional<std::string> checker::check_leader(const std::vector<checked_node>& nodes,
                                                 std::size_t index) {
  const auto& node = *nodes[index].node;
  if (node.current_role() != role::leader) return std::nullopt;
  auto epoch = node.epoch();
  auto [it, fresh] = _leaders.emplace(epoch, index);
  if (it->second != index) {
    return say("election safety: nodes ", it->second, " and ", index, " both led epoch ", epoch);
  }
  if (!fresh) return std::nullopt;
  ++_seen.elections;
  _views[index].leader_in = epoch;
  // Every entry committed in an earlier epoch must be in the new leader's log.
  std::size_t count = 0;
  while (count < _committed.size() && _commit_epoch[count] < epoch) ++count;
  return has_committed(nodes[index], 0, count);
}

std::optional<std::string> checker::has_committed(const checked_node& leader, std::size_t first,
                                                  std::size_t last) const {
  const auto& disk = *leader.disk;
  for (auto i = first; i < last; ++i) {
    auto o = _committed[i].offset;
    if (o < disk.start_offset()) continue;  // in the snapshot the log starts after (checked)
    if (o >= disk.end_offset() || disk.epoch_at(o) != _committed[i].epoch) {
      return say("leader completeness: leader of epoch ", leader.node->epoch(),
                 " lacks committed entry at offset ", o, " (epoch ", _committed[i].epoch, ")");
    }
  }
  return std::nullopt;
}

// Log matching, inductively: every copy of (offset, epoch) has the same payload and the same
// epoch just before it, so equal (offset, epoch) means equal prefixes.
std::optional<std::string> checker::check_log(std::size_t index, memory_log& disk) {
  const auto& entries = disk.entries();
  auto lowest = disk.take_lowest_change();
  if (lowest >= disk.end_offset()) return std::nullopt;
  for (auto i = disk.index_spanning(lowest); i < entries.size(); ++i) {
    const auto& e = entries[i];
    auto previous = i == 0 ? disk.start_epoch() : entries[i - 1].epoch;
    entry_fact fact{e.payload, e.kind, e.record_count, previous};
    auto [it, fresh] = _entries.emplace(std::pair{e.offset, e.epoch}, fact);
    if (fresh) continue;
    if (it->second != fact) {
      return say("log matching: node ", index, " holds a different entry at offset ", e.offset,
                 " epoch ", e.epoch);
    }
  }
  return std::nullopt;
}

// The committed entries are contiguous from offset 0: the one at `o`, or size() past them.
std::size_t checker::committed_index(model::offset o) const {
  auto it = std::lower_bound(_committed.begin(), _committed.end(), o,
                             [](const entry& x, model::offset v) { return x.offset < v; });
  return static_cast<std::size_t>(it - _committed.begin());
}

// State-machine safety: what a node applies extends or repeats the one committed sequence.
std::optional<std::string> checker::check_applied(const std::vector<checked_node>& nodes,
                                                  std::size_t index,
                                                  const std::vector<entry>& applied) {
  auto& view = _views[index];
  for (const auto& e : applied) {
    if (e.offset != view.next_applied) {
      return say("node ", index, " applied offset ", e.offset, " after ", view.next_applied);
    }
    view.next_applied = e.next_offset();
    auto i = committed_index(e.offset);
    if (i < _committed.size()) {
      if (_committed[i] != e) {
        return say("state-machine safety: node ", index, " applied a different entry at offset ",
                   e.offset, " (epoch ", e.epoch, " vs ", _committed[i].epoch, ")");
      }
      continue;
    }
    if (!_committed.empty() && e.offset != _committed.back().next_offset()) {
      return say("state-machine safety: node ", index, " applied offset ", e.offset,
                 " inside or past the committed entry at ", _committed.back().offset);
    }
    const auto* node = nodes[index].node;
    _committed.push_back(e);
    _commit_epoch.push_back(node && node->current_role() == role::leader ? node->epoch() : e.epoch);
    ++_seen.commits;
    // Leaders of later epochs already elected must hold it too.
    for (std::size_t j = 0; j < nodes.size(); ++j) {
      if (_views[j].leader_in > _commit_epoch.back() && nodes[j].node &&
          nodes[j].node->current_role() == role::leader) {
        if (auto bad = has_committed(nodes[j], i, i + 1)) return bad;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> checker::check_observer(const raft_node& node, std::size_t index) const {
  auto r = node.current_role();
  if (r != role::unattached && r != role::follower) {
    return say("observer ", index, " became ", to_string(r));
  }
  if (node.election().voted_for) {
    return say("observer ", index, " voted for ", *node.election().voted_for);
  }
  return std::nullopt;
}

// The committed prefix is durable on a majority of voters (down ones keep their disks): the
// high watermark never ran ahead of what a majority acknowledged durable.
std::optional<std::string> checker::check_durable_majority(
    const std::vector<checked_node>& nodes) const {
  if (_committed.empty()) return std::nullopt;
  const auto& last = _committed.back();
  std::size_t holders = 0;
  for (std::size_t i = 0; i < _voters; ++i) {
    const auto& disk = *nodes[i].disk;
    if (last.offset < disk.start_offset()) {
      ++holders;  // in a snapshot (durable when written), checked when taken or loaded
    } else if (disk.durable_end() > last.offset && disk.epoch_at(last.offset) == last.epoch) {
      ++holders;
    }
  }
  if (holders < _voters / 2 + 1) {
    return say("durability: committed offset ", last.offset, " is durable on ", holders, " of ",
               _voters, " voters");
  }
  return std::nullopt;
}

std::optional<std::string> checker::check_committed_prefix(std::size_t index,
                                                           const std::vector<entry>& state) const {
  if (state.size() > _committed.size()) {
    return say("state-machine safety: node ", index, "'s snapshot holds ", state.size(),
               " entries, only ", _committed.size(), " were committed");
  }
  for (std::size_t i = 0; i < state.size(); ++i) {
    if (state[i] != _committed[i]) {
      return say("state-machine safety: node ", index, "'s snapshot differs at offset ",
                 state[i].offset, " (epoch ", state[i].epoch, " vs ", _committed[i].epoch, ")");
    }
  }
  return std::nullopt;
}

std::optional<std::string> checker::snapshot_taken(std::size_t index,
                                                   const std::vector<entry>& state) {
  ++_seen.snapshots_taken;
  return check_committed_prefix(index, state);
}

std::optional<std::string> checker::snapshot_loaded(std::size_t index,
                                                    const std::vector<entry>& state) {
  if (auto bad = check_committed_prefix(index, state)) return bad;
  _views.at(index).next_applied = state.empty() ? model::offset(0) : state.back().next_offset();
  return std::nullopt;
}

}  // namespace vltava::quorum
