#include "quorum/raft_node.h"

#include <algorithm>

#include "base/assert.h"

namespace vltava::quorum {

const char* to_string(role r) {
  switch (r) {
    case role::unattached:
      return "unattached";
    case role::prospective:
      return "prospective";
    case role::candidate:
      return "candidate";
    case role::leader:
      return "leader";
    case role::follower:
      return "follower";
    case role::resigned:
      return "resigned";
  }
  return "?";
}

const char* to_string(errc e) {
  switch (e) {
    case errc::none:
      return "NONE";
    case errc::not_leader_or_follower:
      return "NOT_LEADER_OR_FOLLOWER";
    case errc::invalid_request:
      return "INVALID_REQUEST";
    case errc::fenced_leader_epoch:
      return "FENCED_LEADER_EPOCH";
    case errc::unknown_leader_epoch:
      return "UNKNOWN_LEADER_EPOCH";
    case errc::inconsistent_voter_set:
      return "INCONSISTENT_VOTER_SET";
    case errc::inconsistent_cluster_id:
      return "INCONSISTENT_CLUSTER_ID";
    case errc::snapshot_not_found:
      return "SNAPSHOT_NOT_FOUND";
    case errc::position_out_of_range:
      return "POSITION_OUT_OF_RANGE";
  }
  return "?";
}

raft_node::raft_node(quorum_config config, model::node_id self, log& log, election_state durable,
                     uint64_t random_seed, milliseconds now)
    : _config(std::move(config)),
      _self(self),
      _log(log),
      _state(durable),
      _random_state(random_seed),
      _durable_end(log.end_offset()),
      // A snapshot holds only committed state: the state machine loads the newest one first.
      _high_watermark(log.latest_snapshot() ? log.latest_snapshot()->offset : log.start_offset()),
      _applied(_high_watermark),
      _epoch_start(log.end_offset()) {
  VLTAVA_ASSERT(!_config.voters.empty(), "a quorum has at least one voter");
  // A leader that restarts cannot lead its old epoch again (it does not know what it sent):
  // it is resigned in it. A known leader is followed; otherwise wait for one.
  if (_state.leader_id == _self) {
    enter(role::resigned, now);
  } else if (_state.leader_id) {
    enter(role::follower, now);
  } else {
    enter(role::unattached, now);
  }
}

void raft_node::handle(model::node_id from, const message& msg, milliseconds now) {
  const auto c = msg.correlation;
  auto on_response = [&](const auto& resp, auto handler) {
    if (auto p = take_pending(from, c)) (this->*handler)(*p, resp, now);
  };
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, vote_request>) {
          handle_vote_request(from, c, body, now);
        } else if constexpr (std::is_same_v<T, vote_response>) {
          on_response(body, &raft_node::handle_vote_response);
        } else if constexpr (std::is_same_v<T, begin_quorum_epoch_request>) {
          handle_begin_epoch(from, c, body, now);
        } else if constexpr (std::is_same_v<T, begin_quorum_epoch_response>) {
          on_response(body, &raft_node::handle_begin_epoch_response);
        } else if constexpr (std::is_same_v<T, end_quorum_epoch_request>) {
          handle_end_epoch(from, c, body, now);
        } else if constexpr (std::is_same_v<T, end_quorum_epoch_response>) {
          if (auto p = take_pending(from, c)) observe_epoch(body.epoch, body.leader_id, now);
        } else if constexpr (std::is_same_v<T, fetch_request>) {
          handle_fetch_request(from, c, body, now);
        } else if constexpr (std::is_same_v<T, fetch_response>) {
          on_response(body, &raft_node::handle_fetch_response);
        } else if constexpr (std::is_same_v<T, fetch_snapshot_request>) {
          handle_fetch_snapshot_request(from, c, body, now);
        } else {
          on_response(body, &raft_node::handle_fetch_snapshot_response);
        }
      },
      msg.body);
}

void raft_node::tick(milliseconds now) {
  expire_requests(now);
  if (!is_voter(_self)) return observer_tick(now);
  switch (_role) {
    case role::leader:
      leader_tick(now);
      return;
    case role::follower:
      if (now >= _deadline && is_voter(_self)) {
        become_prospective(now);
      } else {
        maybe_fetch(now);
      }
      return;
    case role::prospective:
      maybe_fetch(now);
      [[fallthrough]];
    case role::candidate:
      if (now < _deadline) return send_vote_requests(now);
      [[fallthrough]];
    case role::unattached:
    case role::resigned:
      if (now >= _deadline && is_voter(_self)) become_prospective(now);
      return;
  }
}

void raft_node::on_flushed(model::offset end, milliseconds now) {
  _durable_end = std::max(_durable_end, std::min(end, _log.end_offset()));
  if (_role == role::leader) update_high_watermark(now);
  if (_role == role::follower || _role == role::prospective) maybe_fetch(now);
}

std::vector<output> raft_node::take_outputs() {
  return std::exchange(_outputs, {});
}

std::vector<entry> raft_node::take_committed() {
  // A high watermark below what was applied is a safety bug the simulation reports; the node
  // only makes sure it does not read outside its log.
  _applied = std::min(_applied, _high_watermark);
  // Every entry holds at least one record: the records below the high watermark bound the
  // entries to read.
  auto n = static_cast<std::size_t>(_high_watermark - _applied);
  auto out = _log.read(_applied, _high_watermark, n);
  if (!out.empty()) _applied = out.back().next_offset();
  return out;
}

quorum_description raft_node::describe() const {
  quorum_description d{_state.epoch, _state.leader_id, _high_watermark, {}};
  if (_role != role::leader) return d;
  d.voters.push_back({_self, _durable_end, std::nullopt, std::nullopt});
  for (const auto& [id, p] : _progress) {
    d.voters.push_back({id, p.fetch_offset, p.last_fetch, p.last_caught_up});
  }
  for (const auto& [id, p] : _observers) {
    d.observers.push_back({id, p.fetch_offset, p.last_fetch, p.last_caught_up});
  }
  return d;
}

// ---- transitions ----

void raft_node::enter(role r, milliseconds now) {
  _role = r;
  _pending.clear();
  _parked.clear();
  _votes_granted.clear();
  _votes_answered.clear();
  _progress.clear();
  _observers.clear();
  _high_watermark_sent.clear();
  _leader_resigned = false;
  _snapshot_fetch.reset();  // a new epoch or role: the leader's snapshot may be another now
  _deadline = r == role::follower ? now + _config.fetch_timeout : now + random_election_timeout();
  // The only voter has nobody to wait for: it stands at the next tick (Kafka does the same),
  // so a single node is leader within one tick of starting.
  if (r != role::follower && _config.voters == std::vector<model::node_id>{_self}) _deadline = now;
  _next_fetch_at = now;
}

void raft_node::become_unattached(model::leader_epoch epoch, milliseconds now) {
  set_election_state({epoch, std::nullopt, std::nullopt});
  enter(role::unattached, now);
}

void raft_node::become_follower(model::leader_epoch epoch, model::node_id leader,
                                milliseconds now) {
  auto voted = epoch == _state.epoch ? _state.voted_for : std::nullopt;
  set_election_state({epoch, voted, leader});
  enter(role::follower, now);
  maybe_fetch(now);
}

void raft_node::become_resigned(std::vector<model::node_id> successors, milliseconds now) {
  enter(role::resigned, now);
  for (auto id : _config.voters) {
    if (id == _self) continue;
    send(id, end_quorum_epoch_request{_config.cluster_id, _state.epoch, _self, successors},
         request_kind::end_epoch, now);
  }
}

// Learns of an epoch or a leader from any peer. Returns whether the node changed role.
bool raft_node::observe_epoch(model::leader_epoch epoch, std::optional<model::node_id> leader,
                              milliseconds now) {
  if (leader == _self) leader.reset();  // only this node can know that; a peer echoing it is stale
  if (epoch > _state.epoch) {
    if (leader) {
      become_follower(epoch, *leader, now);
    } else {
      become_unattached(epoch, now);
    }
    return true;
  }
  // A leader newly learnt in this epoch is followed. A prospective that already knows one (its
  // fetches failed) keeps asking for pre-votes: going back to a dead leader would loop.
  bool waiting_for_leader =
      _role == role::unattached || _role == role::prospective || _role == role::candidate;
  if (epoch == _state.epoch && leader && !_state.leader_id && waiting_for_leader) {
    become_follower(epoch, *leader, now);
    return true;
  }
  return false;
}

void raft_node::set_election_state(election_state next) {
  if (next == _state) return;
  _state = next;
  _outputs.emplace_back(persist_election{_state});
}

// ---- requests and responses ----

void raft_node::send(model::node_id to, message_body body, request_kind kind, milliseconds now) {
  auto c = _next_correlation++;
  _pending[c] = pending_request{to, kind, now};
  _outputs.emplace_back(send_message{to, message{c, std::move(body)}});
}

void raft_node::reply(model::node_id to, correlation_id c, message_body body) {
  _outputs.emplace_back(send_message{to, message{c, std::move(body)}});
}

std::optional<raft_node::pending_request> raft_node::take_pending(model::node_id from,
                                                                  correlation_id c) {
  auto it = _pending.find(c);
  if (it == _pending.end() || it->second.to != from) return std::nullopt;
  auto p = it->second;
  _pending.erase(it);
  return p;
}

bool raft_node::has_pending(model::node_id to, request_kind kind) const {
  for (const auto& [c, p] : _pending) {
    if (p.to == to && p.kind == kind) return true;
  }
  return false;
}

void raft_node::expire_requests(milliseconds now) {
  std::erase_if(_pending,
                [&](const auto& kv) { return now - kv.second.sent_at >= _config.request_timeout; });
}

uint64_t raft_node::random_next() {
  // splitmix64: small, fast, and the same sequence on every platform for a given seed.
  uint64_t z = (_random_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

milliseconds raft_node::random_election_timeout() {
  uint64_t z = random_next();
  auto t = static_cast<uint64_t>(_config.election_timeout.count());
  return milliseconds(static_cast<int64_t>(t + (t == 0 ? 0 : z % t)));
}

bool raft_node::is_voter(model::node_id id) const {
  return std::find(_config.voters.begin(), _config.voters.end(), id) != _config.voters.end();
}

// The checks every voter-only request passes first (Kafka's validateVoterOnlyRequest).
errc raft_node::validate_peer(const std::string& cluster_id, model::leader_epoch epoch,
                              model::node_id peer) const {
  if (cluster_id != _config.cluster_id) return errc::inconsistent_cluster_id;
  if (epoch < _state.epoch) return errc::fenced_leader_epoch;
  if (!is_voter(peer) || !is_voter(_self)) return errc::inconsistent_voter_set;
  return errc::none;
}

}  // namespace vltava::quorum
