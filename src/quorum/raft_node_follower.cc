// raft_node: the follower's side. A voter follows the leader that BeginQuorumEpoch (or any
// response) names, fetches from it with its durable log end as the fetch offset, truncates
// when the leader answers with a DivergingEpoch, and takes the leader's high watermark as far
// as its own log reaches. EndQuorumEpoch from its leader starts the election early, the
// preferred successors first.

#include <algorithm>

#include "base/assert.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {

void raft_node::handle_begin_epoch(model::node_id from, correlation_id c,
                                   const begin_quorum_epoch_request& req, milliseconds now) {
  auto answer = [&](errc error) {
    reply(from, c, begin_quorum_epoch_response{error, _state.epoch, _state.leader_id});
  };
  if (auto error = validate_peer(req.cluster_id, req.epoch, req.leader_id); error != errc::none) {
    return answer(error);
  }
  bool same_epoch = req.epoch == _state.epoch;
  if (same_epoch && _state.leader_id && _state.leader_id != req.leader_id) {
    return answer(errc::invalid_request);  // a second leader in one epoch: never follow it
  }
  if (same_epoch && (_role == role::leader || _role == role::resigned)) {
    return answer(errc::invalid_request);
  }
  if (!(same_epoch && _role == role::follower)) become_follower(req.epoch, req.leader_id, now);
  answer(errc::none);
}

void raft_node::handle_end_epoch(model::node_id from, correlation_id c,
                                 const end_quorum_epoch_request& req, milliseconds now) {
  auto answer = [&](errc error) {
    reply(from, c, end_quorum_epoch_response{error, _state.epoch, _state.leader_id});
  };
  if (auto error = validate_peer(req.cluster_id, req.epoch, req.leader_id); error != errc::none) {
    return answer(error);
  }
  if (req.epoch > _state.epoch) become_follower(req.epoch, req.leader_id, now);
  if (_role == role::follower && _state.leader_id == req.leader_id) {
    // The first preferred successor starts at once, the next ones a growing step later; a
    // voter not in the list waits a whole election timeout.
    const auto& s = req.preferred_successors;
    auto pos = std::find(s.begin(), s.end(), _self);
    auto backoff = pos == s.end() ? random_election_timeout()
                                  : _config.retry_backoff *
                                            (int64_t{1} << std::min<int64_t>(pos - s.begin(), 10)) -
                                        _config.retry_backoff;
    _deadline = std::min(_deadline, now + backoff);
    _leader_resigned = true;
  }
  answer(errc::none);
}

void raft_node::maybe_fetch(milliseconds now) {
  // A prospective still fetches from the leader it knows (unless that one resigned): if the
  // leader answers, the stall was this node's or the network's, and it follows again (below).
  const bool asks_leader =
      _role == role::follower ||
      (_role == role::prospective && !_leader_resigned && _state.leader_id != _self);
  if (!asks_leader || !_state.leader_id || now < _next_fetch_at) return;
  if (has_pending(*_state.leader_id, request_kind::fetch)) return;  // one fetch at a time
  if (_snapshot_fetch) return send_fetch_snapshot(now);
  // The fetch offset acknowledges everything before it: ask only once all of it is durable.
  bool durable = _durable_end == _log.end_offset();
  if (!durable && _sabotage != sabotage::ack_before_durable) return;
  send(*_state.leader_id,
       fetch_request{_config.cluster_id, _state.epoch, _self, _log.end_offset(), _log.last_epoch()},
       request_kind::fetch, now);
}

bool raft_node::leader_alive(milliseconds now) const {
  return _role == role::follower && now < _deadline && !_leader_resigned;
}

void raft_node::handle_fetch_response(const pending_request& p, const fetch_response& resp,
                                      milliseconds now) {
  if (observe_epoch(resp.epoch, resp.leader_id, now)) return;
  if (_role == role::prospective && p.to == _state.leader_id && resp.error == errc::none) {
    // The leader answers after all: follow it again (KIP-996), and fetch afresh from there
    // (this response's entries are left to the next fetch, which starts at the same offset).
    become_follower(_state.epoch, *_state.leader_id, now);
    return;
  }
  if (_role != role::follower || p.to != _state.leader_id) return;
  if (resp.error != errc::none) {
    _next_fetch_at = now + _config.retry_backoff;
    // An observer whose leader refuses (it resigned, or lost its epoch) asks the voters now
    // rather than after the whole fetch timeout.
    if (!is_voter(_self)) _deadline = std::min(_deadline, now);
    return;
  }
  if (!_leader_resigned) _deadline = now + _config.fetch_timeout;
  if (resp.snapshot) {
    // This log may diverge from the leader's anywhere after its high watermark: the high
    // watermark waits for the snapshot.
    start_snapshot_fetch(*resp.snapshot);
    return maybe_fetch(now);
  }
  if (resp.diverging) {
    truncate_to_diverging(*resp.diverging);
  } else if (!resp.entries.empty()) {
    // A fetch is in flight only while the log stands still, so the entries continue it; a
    // response whose entries do not (a faulty peer) is dropped, and the fetch repeated.
    if (!continues_log(resp.entries)) {
      _next_fetch_at = now + _config.retry_backoff;
      return;
    }
    _log.append(resp.entries);
  }
  auto reach = std::min(resp.high_watermark, _log.end_offset());
  _high_watermark = std::max(_high_watermark, reach);
  maybe_fetch(now);
}

// The entries follow one another from the log end, each a batch of at least one record, with
// epochs that never go down and never pass the current one.
bool raft_node::continues_log(const std::vector<entry>& entries) const {
  auto next = _log.end_offset();
  auto epoch = _log.last_epoch();
  for (const auto& e : entries) {
    if (e.offset != next || e.record_count < 1 || e.epoch < epoch || e.epoch > _state.epoch) {
      return false;
    }
    next = e.next_offset();
    epoch = e.epoch;
  }
  return true;
}

// Kafka's truncateToEndOffset: cut where this log's copy of the diverging epoch ends, or at
// the leader's end of it, whichever comes first.
void raft_node::truncate_to_diverging(const diverging_epoch& d) {
  auto mine = _log.end_offset_for_epoch(d.epoch);
  auto to = mine.epoch == d.epoch ? std::min(mine.offset, d.end_offset) : mine.offset;
  if (d.epoch == model::leader_epoch(0)) to = std::min(d.end_offset, _log.end_offset());
  _log.truncate(to);
  // A log may cut a whole batch when `to` falls inside it (only a faulty peer's answer does
  // that): what counts is where the log now ends.
  auto end = _log.end_offset();
  _durable_end = std::min(_durable_end, end);
  // Truncating below the high watermark would drop committed entries: a safety bug the
  // simulation's checker reports (the high watermark going back), never papered over.
  _high_watermark = std::min(_high_watermark, end);
}

}  // namespace vltava::quorum

namespace vltava::quorum {

// An observer follows the leader it knows; with none, or once that one has not answered for
// the fetch timeout, it also asks random voters (one request at a time, retry_backoff apart)
// until an answer names a newer epoch or a leader (observe_epoch follows it).
void raft_node::observer_tick(milliseconds now) {
  VLTAVA_ASSERT(_role == role::unattached || _role == role::follower,
                "an observer never stands for election");
  if (_role == role::follower) maybe_fetch(now);
  if (_role == role::unattached || now >= _deadline) fetch_from_random_voter(now);
}

void raft_node::fetch_from_random_voter(milliseconds now) {
  if (now < _next_discovery_at) return;
  std::vector<model::node_id> candidates;
  for (auto id : _config.voters) {
    // Never the leader it follows: that one has its own fetch in flight.
    if (id != _self && id != _state.leader_id) candidates.push_back(id);
  }
  if (candidates.empty()) return;
  for (const auto& [c, p] : _pending) {
    if (p.kind == request_kind::fetch && p.to != _state.leader_id) return;  // one at a time
  }
  auto to = candidates[random_next() % candidates.size()];
  _next_discovery_at = now + _config.retry_backoff;
  send(to,
       fetch_request{_config.cluster_id, _state.epoch, _self, _log.end_offset(), _log.last_epoch()},
       request_kind::fetch, now);
}

}  // namespace vltava::quorum
