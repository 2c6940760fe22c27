// raft_node: elections. A node whose leader is gone first asks for pre-votes (KIP-996) in the
// epoch it would stand in, changing nothing anywhere; only with a majority of pre-votes does it
// become a candidate in a new epoch, so a partitioned node cannot disrupt a healthy leader.

#include "base/assert.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {

void raft_node::become_prospective(milliseconds now) {
  enter(role::prospective, now);
  start_election_round(request_kind::pre_vote, now);
}

void raft_node::become_candidate(milliseconds now) {
  set_election_state({_state.epoch + 1, _self, std::nullopt});
  enter(role::candidate, now);
  if (_sabotage == sabotage::leader_from_pre_votes) return become_leader(now);
  start_election_round(request_kind::vote, now);
}

void raft_node::become_leader(milliseconds now) {
  set_election_state({_state.epoch, _self, _self});
  enter(role::leader, now);
  _leader_since = now;
  for (auto id : _config.voters) {
    if (id != _self) _progress[id] = follower_progress{};
  }
  // Nothing of an older epoch commits by counting (Raft §5.4.2): the high watermark moves only
  // once this entry, the first of the epoch, is durable on a majority.
  _epoch_start = _log.end_offset();
  _log.append({entry{_epoch_start, _state.epoch, entry_kind::leader_change, {}}});
  send_begin_epochs(now);
  update_high_watermark(now);
}

// Votes for itself and asks every other voter.
void raft_node::start_election_round(request_kind kind, milliseconds now) {
  _votes_granted.insert(_self);
  _votes_answered.insert(_self);
  send_vote_requests(now);
  if (_votes_granted.size() >= majority()) {
    kind == request_kind::pre_vote ? become_candidate(now) : become_leader(now);
  }
}

// Asks the voters that have not answered and have no request in flight (the first time, or
// again once the last request timed out).
void raft_node::send_vote_requests(milliseconds now) {
  auto kind = _role == role::prospective ? request_kind::pre_vote : request_kind::vote;
  auto epoch = kind == request_kind::pre_vote ? _state.epoch + 1 : _state.epoch;
  for (auto id : _config.voters) {
    if (_votes_answered.contains(id) || has_pending(id, kind)) continue;
    send(id,
         vote_request{_config.cluster_id, epoch, _self, _log.last_epoch(), _log.end_offset(),
                      kind == request_kind::pre_vote},
         kind, now);
  }
}

void raft_node::handle_vote_request(model::node_id from, correlation_id c, const vote_request& req,
                                    milliseconds now) {
  auto answer = [&](errc error, bool granted) {
    reply(from, c, vote_response{error, _state.epoch, _state.leader_id, granted});
  };
  if (auto error = validate_peer(req.cluster_id, req.epoch, req.candidate_id);
      error != errc::none) {
    return answer(error, false);
  }
  if (!req.pre_vote && req.epoch > _state.epoch) become_unattached(req.epoch, now);
  bool granted = can_grant(req, now);
  if (granted && !req.pre_vote) {
    election_state voted{_state.epoch, req.candidate_id, std::nullopt};
    if (_sabotage == sabotage::vote_without_persist) {
      _state = voted;
    } else {
      set_election_state(voted);  // durable before the answer below is sent
    }
    _deadline = now + random_election_timeout();
  }
  answer(errc::none, granted);
}

bool raft_node::can_grant(const vote_request& req, milliseconds now) const {
  offset_and_epoch candidate{req.last_offset, req.last_offset_epoch};
  offset_and_epoch mine{_log.end_offset(), _log.last_epoch()};
  if (candidate < mine && _sabotage != sabotage::vote_ignores_log) return false;
  if (req.pre_vote) {
    // Would vote, unless this node leads or still hears from a live leader.
    return _role != role::leader && !(_role == role::follower && leader_alive(now));
  }
  bool open = _role == role::unattached || _role == role::prospective;
  return req.epoch == _state.epoch && open && !_state.leader_id &&
         (!_state.voted_for || _state.voted_for == req.candidate_id);
}

void raft_node::handle_vote_response(const pending_request& p, const vote_response& resp,
                                     milliseconds now) {
  if (observe_epoch(resp.epoch, resp.leader_id, now)) return;
  if (resp.error != errc::none) return;
  // `p` is pending only within the round that sent it: every role change clears them.
  bool counts = (_role == role::prospective && p.kind == request_kind::pre_vote) ||
                (_role == role::candidate && p.kind == request_kind::vote);
  if (!counts) return;
  _votes_answered.insert(p.to);
  if (!resp.vote_granted) return;
  _votes_granted.insert(p.to);
  if (_votes_granted.size() < majority()) return;
  _role == role::prospective ? become_candidate(now) : become_leader(now);
}

}  // namespace vltava::quorum
