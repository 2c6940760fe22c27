#include "cluster/replica_state.h"

#include <algorithm>

#include "base/assert.h"

namespace vltava::cluster {

namespace {

bool contains(const std::vector<model::node_id>& v, model::node_id n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}

}  // namespace

leader_state::leader_state(model::node_id self, committed_isr state, int32_t min_insync,
                           int64_t lag_max_ms, model::offset hw, int64_t now_ms)
    : _self(self),
      _state(std::move(state)),
      _min_insync(min_insync),
      _lag_max_ms(lag_max_ms),
      _hw(hw) {
  for (model::node_id r : _state.replicas) {
    if (r == _self) continue;
    follower_progress f;
    f.id = r;
    f.last_caught_up_ms = now_ms;
    f.last_fetch_ms = now_ms;
    _followers.push_back(f);
  }
}

follower_progress* leader_state::find(model::node_id id) {
  for (auto& f : _followers) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const follower_progress* leader_state::follower(model::node_id id) const {
  for (const auto& f : _followers) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

bool leader_state::update(committed_isr state) {
  if (state.partition_epoch < _state.partition_epoch) return false;  // an older image
  std::vector<follower_progress> next;
  for (model::node_id r : state.replicas) {
    if (r == _self) continue;
    if (follower_progress* known = find(r)) {
      next.push_back(*known);
    } else {
      follower_progress f;
      f.id = r;
      next.push_back(f);
    }
  }
  _followers = std::move(next);
  if (_pending && state.partition_epoch > _pending->partition_epoch) _pending.reset();
  _state = std::move(state);
  return recompute_hw();
}

bool leader_state::on_leader_durable(model::offset durable_end) {
  if (durable_end <= _leader_end) return false;
  _leader_end = durable_end;
  return recompute_hw();
}

bool leader_state::on_follower_fetch(model::node_id id, model::offset fetch_offset,
                                     model::offset leader_end, int64_t now_ms) {
  follower_progress* f = find(id);
  if (f == nullptr) return false;
  if (fetch_offset >= leader_end) {
    f->last_caught_up_ms = std::max(f->last_caught_up_ms, now_ms);
  } else if (fetch_offset >= f->leader_end_at_last_fetch) {
    f->last_caught_up_ms = std::max(f->last_caught_up_ms, f->last_fetch_ms);
  }
  f->leader_end_at_last_fetch = leader_end;
  f->last_fetch_ms = now_ms;
  // A follower that truncated fetches below what it reported before: its end moves back.
  f->log_end = fetch_offset;
  return recompute_hw();
}

void leader_state::note_broker_epoch(model::node_id id, int64_t broker_epoch) {
  if (follower_progress* f = find(id)) f->broker_epoch = broker_epoch;
}

std::vector<model::node_id> leader_state::maximal_isr() const {
  std::vector<model::node_id> out = _state.isr;
  if (_pending) {
    for (model::node_id n : _pending->isr) {
      if (!contains(out, n)) out.push_back(n);
    }
  }
  return out;
}

bool leader_state::enough_replicas() const {
  // Kafka's effective min ISR: never more than the replicas there are.
  const auto effective =
      std::min<size_t>(static_cast<size_t>(std::max(_min_insync, 1)), _state.replicas.size());
  return _state.isr.size() >= effective;
}

bool leader_state::recompute_hw() {
  if (!enough_replicas()) return false;  // KIP-966: no commit below min.insync.replicas
  model::offset low = _leader_end;
  for (model::node_id n : maximal_isr()) {
    if (n == _self) continue;
    const follower_progress* f = follower(n);
    if (f == nullptr) continue;  // an ISR member that is no longer a replica
    low = std::min(low, f->log_end);
  }
  if (low <= _hw) return false;
  _hw = low;
  return true;
}

std::optional<isr_proposal> leader_state::next_proposal(model::offset epoch_start, int64_t now_ms) {
  if (_pending) return std::nullopt;
  std::vector<model::node_id> isr = _state.isr;
  // Shrink first: a lagging member holds the high watermark back for everyone.
  std::erase_if(isr, [&](model::node_id n) {
    if (n == _self) return false;
    const follower_progress* f = follower(n);
    return f == nullptr || now_ms - f->last_caught_up_ms > _lag_max_ms;
  });
  if (isr == _state.isr) {
    for (const auto& f : _followers) {
      if (contains(isr, f.id)) continue;
      if (f.log_end >= _hw && f.log_end >= epoch_start) {
        isr.push_back(f.id);
        break;  // one at a time, as Kafka
      }
    }
  }
  if (!contains(isr, _self)) isr.insert(isr.begin(), _self);
  if (isr == _state.isr) return std::nullopt;
  std::vector<int64_t> epochs;
  for (model::node_id n : isr) {
    const follower_progress* f = n == _self ? nullptr : follower(n);
    epochs.push_back(f != nullptr ? f->broker_epoch : -1);
  }
  _pending =
      isr_proposal{std::move(isr), std::move(epochs), _state.partition_epoch, _state.leader_epoch};
  return _pending;
}

model::offset truncation_for(const epoch_cache& mine, model::offset log_end, model::offset hw,
                             epoch_end diverging) {
  if (diverging.end_offset < model::offset(0)) return std::min(hw, log_end);
  if (diverging.undefined()) return std::min(diverging.end_offset, log_end);
  const epoch_end own = mine.end_offset_for(diverging.epoch, log_end);
  if (own.undefined()) return std::min(diverging.end_offset, log_end);
  if (own.epoch != diverging.epoch) return std::min(own.end_offset, log_end);
  return std::min({diverging.end_offset, own.end_offset, log_end});
}

std::optional<epoch_end> diverging_for(const epoch_cache& leader, model::offset leader_end,
                                       model::leader_epoch last_fetched_epoch,
                                       model::offset fetch_offset) {
  if (last_fetched_epoch < model::leader_epoch(0)) return std::nullopt;
  const epoch_end e = leader.end_offset_for(last_fetched_epoch, leader_end);
  if (e.epoch < last_fetched_epoch || e.end_offset < fetch_offset) return e;
  return std::nullopt;
}

}  // namespace vltava::cluster
