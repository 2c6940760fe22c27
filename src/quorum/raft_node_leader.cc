// raft_node: the leader's side. It tells the voters it leads (BeginQuorumEpoch, resent until
// each voter has fetched or answered), serves their fetches, and moves the high watermark to
// the offset a majority holds durable. A fetch offset is the follower's acknowledgement: a
// follower fetches only from what it has made durable. A fetch with nothing new waits at the
// leader (KRaft's long poll) until there is news or fetch_max_wait passes.

#include <algorithm>
#include <functional>

#include "base/assert.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {

namespace {
// Kafka's leader forgets an observer that has not fetched for five minutes; the number it
// describes at once is bounded too (a peer controls it).
constexpr milliseconds kObserverSessionTimeout{300'000};
constexpr std::size_t kObserversMax = 1024;
}  // namespace

result<model::offset, errc> raft_node::append(const std::vector<batch>& batches, milliseconds now) {
  if (_role != role::leader) return fail(errc::not_leader_or_follower);
  VLTAVA_ASSERT(!batches.empty(), "append needs at least one batch");
  std::vector<entry> entries;
  auto next = _log.end_offset();
  for (const auto& b : batches) {
    VLTAVA_ASSERT(b.record_count >= 1, "a batch holds at least one record");
    entries.push_back({next, _state.epoch, entry_kind::data, b.payload, b.record_count});
    next = entries.back().next_offset();
  }
  _log.append(entries);
  if (_sabotage == sabotage::ack_before_durable) update_high_watermark(now);
  answer_parked_fetches(now, false);
  return next - 1;
}

void raft_node::resign(milliseconds now) {
  if (_role != role::leader) return;
  std::vector<std::pair<model::offset, model::node_id>> by_progress;
  for (const auto& [id, p] : _progress) by_progress.emplace_back(p.fetch_offset, id);
  std::sort(by_progress.begin(), by_progress.end(), std::greater<>());
  std::vector<model::node_id> successors;
  for (const auto& [offset, id] : by_progress) successors.push_back(id);
  become_resigned(std::move(successors), now);
}

void raft_node::handle_fetch_request(model::node_id from, correlation_id c,
                                     const fetch_request& req, milliseconds now) {
  auto fail_with = [&](errc error) {
    reply(from, c, fetch_response{error, _state.epoch, _state.leader_id, _high_watermark, {}, {}});
  };
  if (req.cluster_id != _config.cluster_id) return fail_with(errc::inconsistent_cluster_id);
  if (req.replica_id != from) return fail_with(errc::invalid_request);
  if (req.epoch < _state.epoch) return fail_with(errc::fenced_leader_epoch);
  if (req.epoch > _state.epoch) return fail_with(errc::unknown_leader_epoch);
  if (_role != role::leader) return fail_with(errc::not_leader_or_follower);
  if (auto s = snapshot_for(req)) return answer_with_snapshot(from, c, *s);
  if (auto d = find_divergence(req)) {
    return reply(from, c, fetch_response{errc::none, _state.epoch, _self, _high_watermark, d, {}});
  }
  // Observers (brokers) fetch too; only voters count toward the high watermark.
  auto it = _progress.find(from);
  if (it != _progress.end()) {
    track_fetch(it->second, req.fetch_offset, now);
    it->second.fetch_offset = std::max(it->second.fetch_offset, req.fetch_offset);
    it->second.begin_epoch_acked = true;
    update_high_watermark(now);
  } else if (_observers.contains(from) || _observers.size() < kObserversMax) {
    auto& o = _observers[from];
    track_fetch(o, req.fetch_offset, now);
    o.fetch_offset = req.fetch_offset;  // an observer's log may go back (it lost a tail)
  }
  bool caught_up = req.fetch_offset == _log.end_offset();
  auto sent = _high_watermark_sent.find(from);
  bool knows_hw = sent != _high_watermark_sent.end() && sent->second == _high_watermark;
  if (caught_up && knows_hw) {
    _parked[from] = parked_fetch{c, req.fetch_offset, now + _config.fetch_max_wait};
    return;
  }
  answer_fetch(from, c, req.fetch_offset);
}

// KRaft's fetch validation: the follower's last fetched epoch must end, in this log, no
// earlier than its fetch offset; otherwise it truncates to where the epochs agree.
std::optional<diverging_epoch> raft_node::find_divergence(const fetch_request& req) const {
  auto end = _log.end_offset_for_epoch(req.last_fetched_epoch);
  if (end.epoch != req.last_fetched_epoch || end.offset < req.fetch_offset) {
    return diverging_epoch{end.epoch, end.offset};
  }
  return std::nullopt;
}

// Kafka's lastCaughtUpTimestamp: now if the fetch reaches the leader's log end; otherwise the
// previous fetch's time if this one reaches the end the leader had then. Call before updating
// the fetch offset with this fetch's.
void raft_node::track_fetch(follower_progress& p, model::offset fetch_offset,
                            milliseconds now) const {
  auto end = _log.end_offset();
  if (fetch_offset >= end) {
    p.last_caught_up = now;
  } else if (p.last_fetch && fetch_offset >= p.end_at_last_fetch) {
    p.last_caught_up = std::max(p.last_caught_up.value_or(*p.last_fetch), *p.last_fetch);
  }
  p.end_at_last_fetch = end;
  p.last_fetch = now;
}

void raft_node::answer_fetch(model::node_id to, correlation_id c, model::offset from) {
  // A fetch held while a snapshot replaced the log prefix it pointed into.
  if (from < _log.start_offset()) return answer_with_snapshot(to, c, *_log.latest_snapshot());
  _high_watermark_sent[to] = _high_watermark;
  reply(to, c,
        fetch_response{errc::none, _state.epoch, _self, _high_watermark, std::nullopt,
                       _log.read(from, _log.end_offset(), _config.fetch_max_entries)});
}

void raft_node::answer_parked_fetches(milliseconds now, bool only_expired) {
  for (auto it = _parked.begin(); it != _parked.end();) {
    if (only_expired && now < it->second.answer_by) {
      ++it;
      continue;
    }
    answer_fetch(it->first, it->second.correlation, it->second.fetch_offset);
    it = _parked.erase(it);
  }
}

// The high watermark is the largest offset a majority of voters holds durable, once the
// leader's first entry of this epoch is among it; it never moves back.
void raft_node::update_high_watermark(milliseconds now) {
  std::vector<model::offset> acked;
  acked.push_back(_sabotage == sabotage::ack_before_durable ? _log.end_offset() : _durable_end);
  for (const auto& [id, p] : _progress) acked.push_back(p.fetch_offset);
  std::sort(acked.begin(), acked.end(), std::greater<>());
  auto majority_offset = acked[majority() - 1];
  if (majority_offset <= _high_watermark || majority_offset <= _epoch_start) return;
  _high_watermark = majority_offset;
  answer_parked_fetches(now, false);
}

void raft_node::leader_tick(milliseconds now) {
  // Check-quorum: a leader that no majority has fetched from within the fetch timeout may be
  // cut off; it resigns rather than hold an epoch nobody follows.
  std::size_t heard = 1;
  for (const auto& [id, p] : _progress) {
    if (p.last_fetch && now - *p.last_fetch < _config.fetch_timeout) ++heard;
  }
  if (heard < majority() && now - _leader_since >= _config.fetch_timeout) {
    become_resigned({}, now);
    return;
  }
  send_begin_epochs(now);
  answer_parked_fetches(now, true);
  std::erase_if(_observers, [&](const auto& kv) {
    return now - kv.second.last_fetch.value_or(now) >= kObserverSessionTimeout;
  });
}

void raft_node::send_begin_epochs(milliseconds now) {
  for (auto& [id, p] : _progress) {
    if (p.begin_epoch_acked) continue;
    if (p.begin_epoch_sent && now - *p.begin_epoch_sent < _config.request_timeout) continue;
    p.begin_epoch_sent = now;
    send(id, begin_quorum_epoch_request{_config.cluster_id, _state.epoch, _self},
         request_kind::begin_epoch, now);
  }
}

void raft_node::handle_begin_epoch_response(const pending_request& p,
                                            const begin_quorum_epoch_response& resp,
                                            milliseconds now) {
  if (observe_epoch(resp.epoch, resp.leader_id, now)) return;
  if (_role != role::leader || resp.error != errc::none) return;
  if (auto it = _progress.find(p.to); it != _progress.end()) it->second.begin_epoch_acked = true;
}

}  // namespace vltava::quorum
