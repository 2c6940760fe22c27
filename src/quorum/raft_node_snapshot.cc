// raft_node: snapshots (KIP-630). The state machine snapshots its own committed state and may
// drop the log before it (the log's start offset moves). A follower whose fetch offset lies
// before the leader's log start, or whose last fetched epoch is older than the leader's newest
// snapshot, cannot be sent entries: the leader answers with the snapshot's id, and the follower
// downloads it with FetchSnapshot, chunk by chunk from a byte position, then installs it (its
// whole log is replaced: start = end = the snapshot's end offset), hands it to the state
// machine (take_snapshot_to_load) and fetches the log from there. A new epoch or role abandons
// a download; so do SNAPSHOT_NOT_FOUND and POSITION_OUT_OF_RANGE (the leader dropped or
// replaced that snapshot): the next fetch tells the follower which one to get.

#include <algorithm>

#include "base/assert.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {

// Kafka's validateOffsetAndEpoch, its SNAPSHOT case.
std::optional<snapshot_id> raft_node::snapshot_for(const fetch_request& req) const {
  auto latest = _log.latest_snapshot();
  if (!latest) return std::nullopt;
  bool before_start = req.fetch_offset < _log.start_offset();
  bool other_epoch_at_snapshot =
      req.fetch_offset == latest->offset && req.last_fetched_epoch != latest->epoch;
  if (before_start || other_epoch_at_snapshot || req.last_fetched_epoch < latest->epoch) {
    return latest;
  }
  return std::nullopt;
}

void raft_node::answer_with_snapshot(model::node_id to, correlation_id c, snapshot_id id) {
  fetch_response r{errc::none, _state.epoch, _self, _high_watermark, std::nullopt, {}};
  r.snapshot = id;
  reply(to, c, std::move(r));
}

void raft_node::handle_fetch_snapshot_request(model::node_id from, correlation_id c,
                                              const fetch_snapshot_request& req, milliseconds now) {
  fetch_snapshot_response r{errc::none, _state.epoch, _state.leader_id, req.snapshot, 0, 0, {}};
  auto answer = [&](errc error) {
    r.error = error;
    reply(from, c, std::move(r));
  };
  if (req.cluster_id != _config.cluster_id) return answer(errc::inconsistent_cluster_id);
  if (req.replica_id != from) return answer(errc::invalid_request);
  if (req.epoch < _state.epoch) return answer(errc::fenced_leader_epoch);
  if (req.epoch > _state.epoch) return answer(errc::unknown_leader_epoch);
  if (_role != role::leader) return answer(errc::not_leader_or_follower);
  // A voter downloading a snapshot is following: it counts for check-quorum (not for the high
  // watermark: it acknowledges nothing yet).
  if (auto it = _progress.find(from); it != _progress.end()) {
    it->second.last_fetch = now;
    it->second.begin_epoch_acked = true;
  }
  if (req.position < 0) return answer(errc::position_out_of_range);
  auto max_bytes = std::min(req.max_bytes, _config.fetch_snapshot_max_bytes);
  auto chunk = _log.read_snapshot(req.snapshot, req.position, std::max<uint32_t>(max_bytes, 1));
  if (!chunk) return answer(chunk.error());
  r.size = chunk->size;
  r.position = req.position;
  r.bytes = std::move(chunk->bytes);
  answer(errc::none);
}

void raft_node::start_snapshot_fetch(snapshot_id id) {
  _snapshot_fetch = snapshot_fetch{id, 0};
}

void raft_node::send_fetch_snapshot(milliseconds now) {
  if (has_pending(*_state.leader_id, request_kind::fetch_snapshot)) return;
  send(*_state.leader_id,
       fetch_snapshot_request{_config.cluster_id, _state.epoch, _self, _snapshot_fetch->id,
                              _snapshot_fetch->position, _config.fetch_snapshot_max_bytes},
       request_kind::fetch_snapshot, now);
}

void raft_node::handle_fetch_snapshot_response(const pending_request& p,
                                               const fetch_snapshot_response& resp,
                                               milliseconds now) {
  if (observe_epoch(resp.epoch, resp.leader_id, now)) return;
  if (_role != role::follower || p.to != _state.leader_id || !_snapshot_fetch) return;
  auto& f = *_snapshot_fetch;
  if (resp.error == errc::snapshot_not_found || resp.error == errc::position_out_of_range) {
    _snapshot_fetch.reset();  // back to fetching the log: the leader names its snapshot anew
    return maybe_fetch(now);
  }
  if (resp.error != errc::none) {
    _next_fetch_at = now + _config.retry_backoff;
    return;
  }
  if (!_leader_resigned) _deadline = now + _config.fetch_timeout;
  // A chunk that does not continue what is here (a duplicate, a faulty peer) is dropped.
  bool continues = resp.snapshot == f.id && resp.position == f.position && !resp.bytes.empty() &&
                   resp.position + static_cast<int64_t>(resp.bytes.size()) <= resp.size;
  if (!continues || !_log.write_snapshot_chunk(f.id, f.position, resp.bytes)) {
    _next_fetch_at = now + _config.retry_backoff;
    return;
  }
  f.position += static_cast<int64_t>(resp.bytes.size());
  if (f.position == resp.size) finish_snapshot_fetch(f.id);
  maybe_fetch(now);
}

void raft_node::finish_snapshot_fetch(snapshot_id id) {
  _snapshot_fetch.reset();
  if (!_log.install_snapshot(id)) return;  // corrupt: the next fetch starts over
  VLTAVA_ASSERT(_log.start_offset() == id.offset && _log.end_offset() == id.offset,
                "an installed snapshot replaces the whole log");
  _durable_end = id.offset;
  // A snapshot holds committed state only; nothing before it is applied from the log again.
  _high_watermark = std::max(_high_watermark, id.offset);
  _applied = id.offset;
  _snapshot_to_load = id;
}

}  // namespace vltava::quorum
