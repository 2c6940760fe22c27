// partition's part in replication (partition.h, "Replication"): the role from the image's
// assignment, the leader's side of follower fetches and acks=all, the follower's appends and
// truncation. The state machine itself is replica_state.h.

#include <algorithm>

#include "base/log.h"
#include "cluster/partition.h"
#include "model/record_batch_header.h"

namespace vltava::cluster {

using protocol::error_code;

namespace {

constexpr std::string_view module = "replication";
// Epochs are rebuilt from the log in reads of this size.
constexpr uint64_t rebuild_read_bytes = 1 << 20;

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

committed_isr committed_of(const partition_assignment& a) {
  return {a.replicas, a.isr, a.leader_epoch, a.partition_epoch};
}

append_outcome failed(error_code e, std::string message) {
  append_outcome out;
  out.error = e;
  out.message = std::move(message);
  return out;
}

}  // namespace

void partition::rebuild_epochs() {
  _epochs.clear();
  const model::offset end = _log->log_end_offset();
  model::offset from = _log->log_start_offset();
  while (from < end) {
    auto bytes = _log->read_bytes(from, rebuild_read_bytes, end);
    if (!bytes || bytes->empty()) {
      vltava::log::error(module, "{}: leader epochs rebuilt up to offset {} only: {}",
                         _log->identity().describe(), from(),
                         bytes ? std::string("nothing to read") : bytes.error().message);
      return;
    }
    std::span<const std::byte> rest(*bytes);
    while (!rest.empty()) {
      auto h = model::parse_header(rest);
      if (!h || h->size_bytes() > rest.size()) return;
      _epochs.assign(h->partition_leader_epoch, h->base_offset);
      from = std::max(from, h->last_offset() + 1);
      rest = rest.subspan(h->size_bytes());
    }
  }
}

void partition::apply_assignment(const partition_assignment& a, model::node_id self) {
  if (_closed) return;
  const bool leads = a.leader == self;
  const bool replicated = a.replicas.size() > 1;
  if (leads && !replicated) {
    const bool changed = _role != replica_role::standalone || _leader_epoch != a.leader_epoch;
    _role = replica_role::standalone;
    _leader.reset();
    _leader_epoch = a.leader_epoch;
    _leader_id = self;
    _log->set_high_watermark(_log->log_end_offset());
    if (changed) high_watermark_moved();  // not on every image: it wakes every parked fetch
    return;
  }
  if (leads) {
    if (_role == replica_role::leader && _leader_epoch == a.leader_epoch) {
      const bool isr_changed = _leader->committed().isr != a.isr;
      const bool moved = _leader->update(committed_of(a));
      if (moved) _log->set_high_watermark(_leader->high_watermark());
      // acks=all waiters look at the new ISR too (min.insync.replicas).
      if (moved || isr_changed) high_watermark_moved();
      return;
    }
    // A new leadership: Kafka's makeLeader. The epoch starts at the log end; followers start
    // caught up now; the high watermark starts where this replica knew it.
    _role = replica_role::leader;
    _leader_epoch = a.leader_epoch;
    _leader_id = self;
    _epochs.assign(a.leader_epoch, _log->log_end_offset());
    _leader.emplace(self, committed_of(a), _settings.min_insync_replicas,
                    _settings.replica_lag_time_max_ms, _log->high_watermark(), steady_now_ms());
    vltava::log::info(module, "{}: leader at epoch {} (log end {}, high watermark {})",
                      _log->identity().describe(), a.leader_epoch(), _log->log_end_offset()(),
                      _log->high_watermark()());
    flush_for_replication();
    high_watermark_moved();
    return;
  }
  // A follower (or a replica of a partition without a leader): Kafka's makeFollower.
  const bool changed = _role != replica_role::follower || _leader_epoch != a.leader_epoch;
  _role = replica_role::follower;
  _leader.reset();
  _leader_epoch = a.leader_epoch;
  _leader_id = a.leader;
  if (!changed) return;
  vltava::log::info(module, "{}: follower of {} at epoch {} (log end {})",
                    _log->identity().describe(), a.leader(), a.leader_epoch(),
                    _log->log_end_offset()());
  high_watermark_moved();  // acks=all waiters answer NOT_LEADER_OR_FOLLOWER
}

void partition::flush_for_replication() {
  std::weak_ptr<partition> self = weak_from_this();
  if (self.expired()) return;  // not owned by a shared_ptr (tests of a standalone partition)
  asio::any_io_executor ex = _shard.get_executor();
  _log->flush([self, ex](storage::sresult<model::offset> r) {
    if (!r) return;  // the log failed; its readers and writers see it
    asio::post(ex, [self, end = *r] {
      if (auto p = self.lock()) p->on_leader_durable(end);
    });
  });
}

void partition::on_leader_durable(model::offset durable_end) {
  if (_closed || !_leader) return;
  if (_leader->on_leader_durable(durable_end)) {
    _log->set_high_watermark(_leader->high_watermark());
    high_watermark_moved();
  }
}

void partition::high_watermark_moved() {
  auto waiters = std::move(_commit_waiters);
  _commit_waiters.clear();
  for (auto& w : waiters) {
    if (auto t = w.lock()) t->cancel();
  }
  // Consumers parked at the old high watermark may read now.
  auto fetchers = std::move(_waiters);
  _waiters.clear();
  for (auto& w : fetchers) {
    if (auto s = w.lock()) fetch_waiter::wake(std::move(s));
  }
}

partition::replica_fetch_answer partition::on_replica_fetch(
    model::node_id replica, int64_t broker_epoch, model::offset fetch_offset,
    model::leader_epoch last_fetched_epoch, model::leader_epoch current_leader_epoch) {
  replica_fetch_answer out;
  if (_closed || _role != replica_role::leader) {
    out.error = error_code::not_leader_or_follower;
    return out;
  }
  if (current_leader_epoch >= model::leader_epoch(0)) {
    if (current_leader_epoch < _leader_epoch) {
      out.error = error_code::fenced_leader_epoch;
      return out;
    }
    if (current_leader_epoch > _leader_epoch) {
      out.error = error_code::unknown_leader_epoch;
      return out;
    }
  }
  if (_leader->follower(replica) == nullptr) {
    out.error = error_code::not_leader_or_follower;  // Kafka: not a replica of this partition
    return out;
  }
  _leader->note_broker_epoch(replica, broker_epoch);
  const model::offset end = _log->log_end_offset();
  out.diverging = diverging_for(_epochs, end, last_fetched_epoch, fetch_offset);
  if (out.diverging) return out;  // the follower truncates first; its offset means nothing yet
  if (fetch_offset > end || fetch_offset < _log->log_start_offset()) {
    out.error = error_code::offset_out_of_range;
    return out;
  }
  if (_leader->on_follower_fetch(replica, fetch_offset, end, steady_now_ms())) {
    _log->set_high_watermark(_leader->high_watermark());
    high_watermark_moved();
  }
  return out;
}

storage::sresult<storage::read_result> partition::read_for_replica(model::offset from,
                                                                   uint64_t max_bytes) {
  if (_closed) return storage::error(storage::errc::log_failed, "partition closed");
  return _log->read(from, max_bytes, _log->log_end_offset());
}

std::optional<isr_proposal> partition::isr_change_due() {
  if (_closed || !_leader) return std::nullopt;
  const model::offset start = _epochs.start_of(_leader_epoch).value_or(model::offset(0));
  return _leader->next_proposal(start, steady_now_ms());
}

net::awaitable<append_outcome> partition::committed(
    append_outcome written, std::chrono::steady_clock::time_point deadline) {
  if (written.error != error_code::none || _role == replica_role::standalone) co_return written;
  const model::leader_epoch epoch = _leader_epoch;
  // The shared_ptr the caller holds keeps this partition alive meanwhile.
  for (;;) {
    if (_closed || _role != replica_role::leader || _leader_epoch != epoch) {
      co_return failed(error_code::not_leader_or_follower, "leadership moved before commit");
    }
    if (_log->high_watermark() > written.last_offset) break;
    if (!_leader->enough_replicas()) {
      // Kafka would wait out the request timeout; the answer cannot change unless the ISR
      // grows back, and the producer retries either way.
      co_return failed(error_code::not_enough_replicas_after_append,
                       "the ISR fell below min.insync.replicas after the append");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return failed(error_code::request_timed_out, "not replicated to the ISR in time");
    }
    auto timer = std::make_shared<asio::steady_timer>(_shard, deadline);
    if (_commit_waiters.size() >= 64) {
      std::erase_if(_commit_waiters, [](const auto& w) { return w.expired(); });
    }
    _commit_waiters.push_back(timer);
    std::error_code ec;
    co_await timer->async_wait(asio::redirect_error(net::use_awaitable, ec));
  }
  if (!_leader->enough_replicas()) {
    co_return failed(error_code::not_enough_replicas_after_append,
                     "the ISR fell below min.insync.replicas after the append");
  }
  written.log_start_offset = _log->log_start_offset();
  co_return written;
}

partition::fetch_position partition::replica_position() const {
  return {_log->log_end_offset(), _epochs.latest(), _leader_epoch};
}

storage::sresult<storage::append_result> partition::append_replicated(
    std::span<std::byte> batches) {
  if (_closed) return storage::error(storage::errc::log_failed, "partition closed");
  storage::append_options opts;
  opts.assign_offsets = false;  // the leader's offsets, epochs and timestamps, as they are
  auto r = _log->append(batches, opts);
  if (!r) return r;
  size_t pos = 0;
  while (pos < batches.size()) {
    auto h = model::parse_header(batches.subspan(pos));
    VLTAVA_ASSERT(h.has_value(), "appended batches parse");
    _epochs.assign(h->partition_leader_epoch, h->base_offset);
    std::optional<txn_marker> marker;
    if (h->is_control()) marker = read_txn_marker(batches.subspan(pos, h->size_bytes()), *h);
    _producers.apply(*h, marker);
    pos += h->size_bytes();
  }
  after_append(wall_now_ms());
  return r;
}

storage::sresult<model::offset> partition::truncate_diverged(epoch_end diverging) {
  if (_closed) return storage::error(storage::errc::log_failed, "partition closed");
  const model::offset end = _log->log_end_offset();
  const model::offset to = truncation_for(_epochs, end, _log->high_watermark(), diverging);
  if (to >= end) return end;
  auto r = _log->truncate_suffix(to);
  if (!r) return r;
  vltava::log::warn(module, "{}: truncated from {} to {} (leader's epoch {} ends at {})",
                    _log->identity().describe(), end(), (*r)(), diverging.epoch(),
                    diverging.end_offset());
  after_truncation();
  return r;
}

void partition::after_truncation() {
  _epochs.truncate_from(_log->log_end_offset());
  // Producer state as of the new end: the newest snapshot at or below it, then the log.
  _producers = producer_state{};
  rebuild_producers();
}

void partition::set_leader_high_watermark(model::offset hw) {
  if (_closed || _role != replica_role::follower) return;
  const model::offset capped = std::min(hw, _log->log_end_offset());
  if (capped > _log->high_watermark()) {
    _log->set_high_watermark(capped);
    high_watermark_moved();
  }
}

net::awaitable<std::optional<storage::storage_error>> partition::flushed() {
  if (_closed) co_return storage::storage_error{storage::errc::log_failed, "partition closed"};
  const model::offset end = _log->log_end_offset();
  if (end <= _log->log_start_offset() || _log->durable_end() >= end) co_return std::nullopt;
  co_return co_await wait_durable_for(end - 1);
}

}  // namespace vltava::cluster
