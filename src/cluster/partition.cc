#include "cluster/partition.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "base/log.h"
#include "base/test_sabotage.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "model/record_batch_header.h"
#include "model/record_scan.h"

namespace vltava::cluster {

using protocol::error_code;

namespace {

// Kafka's producer.id.expiration.check.interval.ms default.
constexpr int64_t producer_expiry_check_ms = 600'000;
// Producer state is rebuilt from the log in reads of this size.
constexpr uint64_t rebuild_read_bytes = 1 << 20;
// How long an internal write (a coordinator's append, a transaction marker) waits for the ISR:
// Kafka's request.timeout.ms default.
constexpr auto commit_wait_max = std::chrono::seconds(30);
// Snapshots kept per partition: the newest, and older ones while their segments exist.
constexpr size_t snapshots_kept = 3;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

append_outcome refused(error_code e, std::string message, std::optional<int32_t> batch = {}) {
  append_outcome out;
  out.error = e;
  out.message = std::move(message);
  out.batch_index = batch;
  return out;
}

// Completes once `last` is durable, on the shard of `ex`. Durability callbacks run on the
// flusher thread (or at once); the continuation is always posted back to the owning shard.
net::awaitable<std::optional<storage::storage_error>> wait_durable(storage::log& log,
                                                                   model::offset last,
                                                                   asio::any_io_executor ex) {
  return asio::async_initiate<decltype(net::use_awaitable),
                              void(std::optional<storage::storage_error>)>(
      [&log, last, ex](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        log.wait_durable(last, [h, ex](storage::sresult<model::offset> r) {
          std::optional<storage::storage_error> err;
          if (!r) err = r.error();
          asio::post(ex, [h, err = std::move(err)]() mutable { std::move (*h)(std::move(err)); });
        });
      },
      net::use_awaitable);
}

// Walks every record of one whole batch (decompressing it if needed), as Kafka's log validator
// does, so a batch whose CRC is right but whose records are malformed never reaches the log
// where consumers would choke on it. A compacted topic also needs a key on every record.
std::optional<std::string> invalid_records(std::span<const std::byte> batch,
                                           const model::record_batch_header& h, bool compacted) {
  // A batch decompressing past what compaction and recovery handle is refused here, at the edge.
  auto section =
      model::batch_records(batch, h, static_cast<size_t>(storage::limits::batch_bytes_max));
  if (!section) return std::string(model::describe(section.error()));
  // record_scan checks what record_view would, without building each record.
  model::record_scan records(section->bytes(), h.record_count);
  for (int32_t expected_delta = 0;; ++expected_delta) {
    auto r = records.next();
    if (!r) {
      if (auto e = records.error()) return std::string(model::describe(*e));
      return std::nullopt;
    }
    if (h.compression() != model::compression::none && r->offset_delta != expected_delta) {
      return "inner record offsets are not sequential";
    }
    if (compacted && !r->has_key) return "a compacted topic needs a key on every record";
  }
}

}  // namespace

partition_settings settings_from(const config::config_set& c) {
  namespace topic_keys = config::topic_keys;
  partition_settings s;
  s.log = storage::log_config::from(c);
  s.log_append_time = c.get(topic_keys::message_timestamp_type) == "LogAppendTime";
  s.timestamp_before_max_ms = c.get(topic_keys::message_timestamp_before_max_ms);
  s.timestamp_after_max_ms = c.get(topic_keys::message_timestamp_after_max_ms);
  s.min_insync_replicas = c.get(topic_keys::min_insync_replicas);
  // producer.id.expiration.ms is a broker config, not a topic one: the table's default until
  // the broker passes its own value down.
  return s;
}

error_code to_kafka_error(storage::errc e) {
  switch (e) {
    case storage::errc::invalid_batch:
    case storage::errc::corrupt:
      return error_code::corrupt_message;
    case storage::errc::offset_out_of_range:
      return error_code::offset_out_of_range;
    case storage::errc::too_large:
      return error_code::record_list_too_large;
    case storage::errc::io_error:
    case storage::errc::no_space:
    case storage::errc::log_failed:
      return error_code::kafka_storage_error;
    case storage::errc::invalid_config:
      return error_code::invalid_config;
  }
  return error_code::unknown_server_error;
}

void fetch_waiter::wake(std::shared_ptr<fetch_waiter> w) {
  auto home = w->_home;
  asio::post(home, [w = std::move(w)] {
    w->_woken = true;
    w->_timer.cancel();
  });
}

net::awaitable<void> fetch_waiter::wait_until(std::chrono::steady_clock::time_point deadline) {
  if (_woken) co_return;
  _timer.expires_at(deadline);
  std::error_code ec;
  co_await _timer.async_wait(asio::redirect_error(net::use_awaitable, ec));
}

partition::partition(asio::io_context& shard, protocol::uuid topic_id,
                     std::unique_ptr<storage::log> log, partition_settings settings)
    : _shard(shard), _topic_id(topic_id), _log(std::move(log)), _settings(std::move(settings)) {
  VLTAVA_ASSERT(_log != nullptr, "a partition needs its log");
  // A single replica commits what it writes: whatever recovery kept is committed.
  _log->set_high_watermark(_log->log_end_offset());
  rebuild_producers();
  rebuild_epochs();
  _producers_expired_ms = now_ms();
  // The log lives as long as this partition: `this` outlives the listener.
  _log->set_roll_listener([this](model::offset) { _snapshot_due = true; });
  storage::compaction_bounds bounds;
  bounds.first_unstable = [this] { return _producers.first_unstable_offset(); };
  bounds.aborted = [this](model::offset from, model::offset upper) {
    std::vector<storage::aborted_range> out;
    for (const auto& a : _producers.aborted_between(from, upper)) {
      out.push_back({a.producer(), a.first_offset, a.last_offset});
    }
    return out;
  };
  _log->set_compaction_bounds(std::move(bounds));
}

void partition::rebuild_producers() {
  const model::offset end = _log->log_end_offset();
  model::offset from = _log->log_start_offset();
  size_t skipped = 0;
  auto snap = load_snapshot(_log->io(), _log->dir(), end, &skipped);
  if (!snap) {
    vltava::log::warn("cluster", "{}: producer snapshots unreadable ({}); rebuilding from the log",
                      _log->identity().describe(), snap.error().message);
  } else if (*snap) {
    _producers = std::move((*snap)->state);
    from = std::max(from, (*snap)->offset);
  }
  if (skipped > 0) {
    vltava::log::warn("cluster", "{}: {} unreadable producer snapshot(s) deleted",
                      _log->identity().describe(), skipped);
  }
  while (from < end) {
    auto bytes = _log->read_bytes(from, rebuild_read_bytes, end);
    if (!bytes || bytes->empty()) {
      vltava::log::error("cluster", "{}: producer state rebuild stopped at offset {}: {}",
                         _log->identity().describe(), from(),
                         bytes ? std::string("nothing to read") : bytes.error().message);
      return;
    }
    std::span<const std::byte> rest(*bytes);
    while (!rest.empty()) {
      auto h = model::parse_header(rest);
      if (!h || h->size_bytes() > rest.size()) {
        vltava::log::error("cluster", "{}: producer state rebuild: unreadable batch at {}",
                           _log->identity().describe(), from());
        return;
      }
      // The first batch read may start below a snapshot taken inside it (never in practice:
      // snapshots sit at batch ends), and is then already in the snapshot.
      if (h->base_offset >= from) {
        std::optional<txn_marker> marker;
        if (h->is_control()) marker = read_txn_marker(rest.first(h->size_bytes()), *h);
        _producers.apply(*h, marker);
      }
      from = std::max(from, h->last_offset() + 1);
      rest = rest.subspan(h->size_bytes());
    }
  }
  _producers.expire(now_ms(), _settings.producer_id_expiration_ms);
}

void partition::snapshot_producers(snapshot_sync sync) {
  storage::file_io& io = _log->io();
  const model::offset end = _log->log_end_offset();
  _producers.forget_aborted_below(_log->log_start_offset());
  if (auto w = write_snapshot(io, _log->dir(), end, _producers, sync); !w) {
    // Not fatal: the next open replays more of the log instead.
    vltava::log::warn("cluster", "{}: producer snapshot at {}: {}", _log->identity().describe(),
                      end(), w.error().message);
    return;
  }
  if (auto p = prune_snapshots(io, _log->dir(), _log->log_start_offset(), snapshots_kept); !p) {
    vltava::log::warn("cluster", "{}: pruning producer snapshots: {}", _log->identity().describe(),
                      p.error().message);
  }
}

append_outcome partition::check_producers(std::span<const std::byte> batches,
                                          append_origin origin) const {
  // Entries as they stand after the earlier batches of this same append.
  std::vector<std::pair<int64_t, producer_entry>> staged;
  size_t pos = 0;
  for (int32_t i = 0; pos < batches.size(); ++i) {
    auto h = model::parse_header(batches.subspan(pos));
    VLTAVA_ASSERT(h.has_value(), "validated batches parse");
    pos += h->size_bytes();
    if (h->producer() < 0) continue;
    auto it = std::find_if(staged.begin(), staged.end(),
                           [&](const auto& e) { return e.first == h->producer(); });
    const producer_entry* entry = it != staged.end() ? &it->second : _producers.find(h->producer);
    sequence_verdict v;
    if (origin == append_origin::client) {
      v = check_batch(entry, *h);
    } else if (entry && h->epoch < entry->epoch) {
      v.what = sequence_verdict::kind::refuse;
      v.error = error_code::invalid_producer_epoch;
      v.message = "producer epoch " + std::to_string(h->epoch()) + " is older than " +
                  std::to_string(entry->epoch());
    }
    if (v.what == sequence_verdict::kind::refuse) return refused(v.error, std::move(v.message));
    if (v.what == sequence_verdict::kind::append && entry && !h->is_transactional() &&
        entry->current_txn_first_offset() >= 0) {
      // As Kafka: a producer inside a transaction writes only transactional batches.
      return refused(error_code::invalid_txn_state,
                     "producer " + std::to_string(h->producer()) +
                         " has an ongoing transaction: expected a transactional batch");
    }
    if (v.what == sequence_verdict::kind::duplicate &&
        !test_sabotage::on(test_sabotage::breakage::skip_deduplication)) {
      // As Kafka: a request holding a duplicate appends nothing and answers with it.
      append_outcome out;
      out.duplicate = true;
      out.base_offset = v.original.first_offset;
      out.last_offset = v.original.last_offset;
      if (_settings.log_append_time) out.log_append_time_ms = v.original.timestamp_ms;
      out.log_start_offset = _log->log_start_offset();
      return out;
    }
    if (it == staged.end()) {
      staged.emplace_back(h->producer(), entry ? *entry : producer_entry{});
      it = std::prev(staged.end());
    }
    record_batch(it->second, *h);
  }
  return {};
}

void partition::record_producers(std::span<const std::byte> written) {
  size_t pos = 0;
  while (pos < written.size()) {
    auto h = model::parse_header(written.subspan(pos));
    VLTAVA_ASSERT(h.has_value(), "appended batches parse");
    _producers.apply(*h);
    pos += h->size_bytes();
  }
}

append_outcome partition::validate(std::span<const std::byte> batches,
                                   transactional_id txn_id) const {
  if (batches.empty()) return refused(error_code::corrupt_message, "no record batch");
  if (static_cast<int64_t>(batches.size()) > storage::limits::append_bytes_max) {
    return refused(error_code::record_list_too_large,
                   "records of " + std::to_string(batches.size()) + " bytes for one partition");
  }
  const int64_t now = now_ms();
  size_t pos = 0;
  for (int32_t i = 0; pos < batches.size(); ++i) {
    auto rest = batches.subspan(pos);
    if (rest.size() > model::batch_layout::magic &&
        static_cast<int8_t>(rest[model::batch_layout::magic]) != model::current_magic) {
      return refused(error_code::invalid_record,
                     "batch " + std::to_string(i) + " is not message format v2 (magic 2)", i);
    }
    auto h = model::parse_header(rest);
    if (h) {
      // The CRC before the records (the log then skips it: append_options::crc_checked): Kafka
      // answers CORRUPT_MESSAGE for a flipped bit, not INVALID_RECORD for the records it garbled.
      h = model::validate_batch(rest.first(std::min(h->size_bytes(), rest.size())));
    }
    if (!h) {
      return refused(error_code::corrupt_message,
                     "batch " + std::to_string(i) + ": " + std::string(describe(h.error())), i);
    }
    if (static_cast<int64_t>(h->size_bytes()) > _settings.log.max_message_bytes) {
      return refused(error_code::message_too_large,
                     "batch " + std::to_string(i) + " of " + std::to_string(h->size_bytes()) +
                         " bytes exceeds max.message.bytes " +
                         std::to_string(_settings.log.max_message_bytes),
                     i);
    }
    if (h->is_control()) {
      return refused(error_code::invalid_record, "clients may not write control batches", i);
    }
    if (h->is_transactional() && txn_id == transactional_id::absent) {
      return refused(error_code::transactional_id_authorization_failed,
                     "transactional records without a transactional id", i);
    }
    if (h->is_transactional() && h->producer() < 0) {
      return refused(error_code::invalid_record,
                     "batch " + std::to_string(i) + " is transactional without a producer id", i);
    }
    if (auto bad =
            invalid_records(rest.first(h->size_bytes()), *h, _settings.log.cleanup.compact)) {
      return refused(error_code::invalid_record, "batch " + std::to_string(i) + ": " + *bad, i);
    }
    if (!_settings.log_append_time) {
      for (int64_t ts : {h->first_timestamp(), h->max_timestamp()}) {
        if (ts < 0) continue;  // NO_TIMESTAMP
        if ((now - ts > _settings.timestamp_before_max_ms) ||
            (ts - now > _settings.timestamp_after_max_ms)) {
          return refused(error_code::invalid_timestamp,
                         "batch " + std::to_string(i) + " timestamp " + std::to_string(ts) +
                             " is outside the allowed range around " + std::to_string(now),
                         i);
        }
      }
    }
    pos += h->size_bytes();
  }
  return {};
}

net::awaitable<append_outcome> partition::append(std::span<std::byte> batches, acks_mode acks,
                                                 append_origin origin) {
  append_outcome out = write(batches, origin);
  if (out.error != error_code::none || acks != acks_mode::all) co_return out;
  out = co_await durable(std::move(out));
  // A replicated partition: on every ISR member (the coordinators' writes wait as Kafka's do).
  co_return co_await committed(std::move(out), std::chrono::steady_clock::now() + commit_wait_max);
}

append_outcome partition::write(std::span<std::byte> batches, append_origin origin,
                                transactional_id txn_id) {
  if (_closed) return refused(error_code::not_leader_or_follower, "partition closed");
  if (_role == replica_role::follower) {
    return refused(error_code::not_leader_or_follower, "this replica is a follower");
  }
  append_outcome out = validate(batches, txn_id);
  if (out.error != error_code::none) return out;
  out = check_producers(batches, origin);
  if (out.error != error_code::none || out.duplicate) return out;
  storage::append_options opts;
  opts.leader_epoch = leader_epoch();
  opts.crc_checked = true;  // validate() did
  if (_settings.log_append_time) opts.log_append_time = model::timestamp_ms(now_ms());
  auto r = _log->append(batches, opts);
  if (!r) return refused(to_kafka_error(r.error().code), r.error().message);
  out.base_offset = r->base_offset;
  out.last_offset = r->last_offset;
  if (opts.log_append_time) out.log_append_time_ms = (*opts.log_append_time)();
  out.log_start_offset = _log->log_start_offset();
  _epochs.assign(_leader_epoch, r->base_offset);
  record_producers(batches);
  after_append(opts.log_append_time ? (*opts.log_append_time)() : now_ms());
  return out;
}

partition::txn_verification_step partition::txn_verification_for(
    std::span<const std::byte> batches) {
  size_t pos = 0;
  while (pos < batches.size()) {
    auto h = model::parse_header(batches.subspan(pos));
    if (!h || h->size_bytes() > batches.size() - pos) return {};  // write() refuses it
    pos += h->size_bytes();
    if (!h->is_transactional() || h->is_control() || h->producer() < 0) continue;
    if (auto it = _txn_verifications.find(h->producer()); it != _txn_verifications.end()) {
      return {txn_verification_step::kind::wait, it->second};
    }
    const producer_entry* e = _producers.find(h->producer);
    if (e && e->epoch == h->epoch && e->current_txn_first_offset() >= 0) {
      return {};  // its transaction is ongoing here already
    }
    if (auto g = _txn_grants.find(h->producer());
        g != _txn_grants.end() && g->second == h->epoch()) {
      return {};  // the coordinator said so when the partition was added
    }
    auto v = std::make_shared<txn_verification>(_shard.get_executor());
    v->producer = h->producer;
    v->epoch = h->epoch;
    v->ended.expires_at(asio::steady_timer::time_point::max());
    _txn_verifications.emplace(h->producer(), v);
    return {txn_verification_step::kind::verify, std::move(v)};
  }
  return {};
}

net::awaitable<void> partition::wait_for_txn_verification(std::shared_ptr<txn_verification> v) {
  std::error_code ec;
  co_await v->ended.async_wait(asio::redirect_error(net::use_awaitable, ec));
}

void partition::grant_txn(model::producer_id producer, model::producer_epoch epoch) {
  if (_closed) return;
  if (_txn_grants.size() >= producers_per_partition_max) _txn_grants.clear();
  _txn_grants[producer()] = epoch();
}

bool partition::end_txn_verification(const std::shared_ptr<txn_verification>& v,
                                     coordinator_answer answer) {
  auto it = _txn_verifications.find(v->producer());
  if (it != _txn_verifications.end() && it->second == v) _txn_verifications.erase(it);
  // The waiters run after the caller's write (same shard, queued), in their arrival order.
  v->ended.cancel();
  return answer == coordinator_answer::confirmed && !v->voided && !_closed;
}

void partition::after_append(int64_t now) {
  if (now - _producers_expired_ms >= producer_expiry_check_ms) {
    _producers.expire(now, _settings.producer_id_expiration_ms);
    _producers_expired_ms = now;
  }
  if (_snapshot_due) {
    // The rolled segment's base is at or below the log end: this snapshot covers it.
    _snapshot_due = false;
    snapshot_producers(snapshot_sync::none);
  }
  on_append();
}

append_outcome partition::write_marker_now(model::producer_id pid, model::producer_epoch epoch,
                                           txn_result result, int32_t coordinator_epoch) {
  if (_closed) return refused(error_code::not_leader_or_follower, "partition closed");
  if (_role == replica_role::follower) {
    return refused(error_code::not_leader_or_follower, "this replica is a follower");
  }
  if (pid() < 0 || epoch() < 0) {
    return refused(error_code::invalid_producer_id_mapping, "a marker needs a producer id");
  }
  if (const producer_entry* e = _producers.find(pid)) {
    if (epoch < e->epoch) {
      return refused(error_code::invalid_producer_epoch,
                     "marker epoch " + std::to_string(epoch()) + " of producer " +
                         std::to_string(pid()) + " is older than " + std::to_string(e->epoch()));
    }
    if (coordinator_epoch < e->coordinator_epoch) {
      return refused(error_code::transaction_coordinator_fenced,
                     "coordinator epoch " + std::to_string(coordinator_epoch) + " is older than " +
                         std::to_string(e->coordinator_epoch));
    }
  }
  const int64_t now = now_ms();
  model::end_txn_marker_batch m;
  m.type = static_cast<model::control_record_type>(result);
  m.coordinator_epoch = coordinator_epoch;
  m.producer = pid;
  m.epoch = epoch;
  m.timestamp = model::timestamp_ms(now);
  std::vector<std::byte> batch = model::build_end_txn_marker(m);
  storage::append_options opts;
  opts.leader_epoch = leader_epoch();
  opts.crc_checked = true;  // built here
  if (_settings.log_append_time) opts.log_append_time = model::timestamp_ms(now);
  auto r = _log->append(batch, opts);
  if (!r) return refused(to_kafka_error(r.error().code), r.error().message);
  append_outcome out;
  out.base_offset = r->base_offset;
  out.last_offset = r->last_offset;
  out.log_start_offset = _log->log_start_offset();
  _epochs.assign(_leader_epoch, r->base_offset);
  auto h = model::parse_header(batch);
  VLTAVA_ASSERT(h.has_value(), "a built marker parses");
  _producers.apply(*h, txn_marker{m.type, coordinator_epoch});
  if (auto it = _txn_verifications.find(pid()); it != _txn_verifications.end()) {
    it->second->voided = true;  // what is being verified is the transaction just ended
  }
  _txn_grants.erase(pid());
  after_append(now);
  return out;
}

net::awaitable<append_outcome> partition::write_marker(model::producer_id pid,
                                                       model::producer_epoch epoch,
                                                       txn_result result,
                                                       int32_t coordinator_epoch) {
  append_outcome out = write_marker_now(pid, epoch, result, coordinator_epoch);
  if (out.error != error_code::none) co_return out;
  out = co_await durable(std::move(out));
  co_return co_await committed(std::move(out), std::chrono::steady_clock::now() + commit_wait_max);
}

model::offset partition::last_stable_offset() const {
  const model::offset hw = high_watermark();
  // Retention or DeleteRecords may have removed the start of an open transaction: the LSO is
  // then the log start, as Kafka's (nothing below it can be read anyway).
  if (auto first = _producers.first_unstable_offset()) {
    return std::max(std::min(*first, hw), log_start_offset());
  }
  return hw;
}

net::awaitable<append_outcome> partition::durable(append_outcome written) {
  if (written.error != error_code::none) co_return written;
  if (_closed) co_return refused(error_code::not_leader_or_follower, "partition closed");
  // The shared_ptr the caller holds keeps this partition (and its log) alive meanwhile.
  auto err = co_await wait_durable(*_log, written.last_offset, _shard.get_executor());
  if (err) co_return refused(to_kafka_error(err->code), err->message);
  written.log_start_offset = _log->log_start_offset();
  co_return written;
}

net::awaitable<std::optional<storage::storage_error>> partition::wait_durable_for(
    model::offset last) {
  co_return co_await wait_durable(*_log, last, _shard.get_executor());
}

void partition::on_append() {
  // Standalone: written is committed. A replicated leader commits when the ISR has it durably
  // (on_leader_durable, on_replica_fetch); a follower takes the leader's high watermark.
  if (_role == replica_role::standalone) _log->set_high_watermark(_log->log_end_offset());
  if (_role == replica_role::leader) flush_for_replication();
  // Followers parked on this partition wake for the new batches.
  auto waiters = std::move(_waiters);
  _waiters.clear();
  for (auto& w : waiters) {
    if (auto s = w.lock()) fetch_waiter::wake(std::move(s));
  }
}

void partition::add_waiter(const std::shared_ptr<fetch_waiter>& w) {
  // Fetches that timed out leave expired entries; prune before the list doubles.
  if (_waiters.size() >= 16) {
    std::erase_if(_waiters, [](const auto& x) { return x.expired(); });
  }
  _waiters.push_back(w);
}

storage::sresult<storage::read_result> partition::read(model::offset from, uint64_t max_bytes) {
  if (_closed) return storage::error(storage::errc::log_failed, "partition closed");
  return _log->read(from, max_bytes, high_watermark());
}

storage::sresult<storage::read_result> partition::read(model::offset from, uint64_t max_bytes,
                                                       model::offset upper) {
  if (_closed) return storage::error(storage::errc::log_failed, "partition closed");
  return _log->read(from, max_bytes, std::min(upper, high_watermark()));
}

storage::sresult<std::vector<std::byte>> partition::read_bytes(model::offset from,
                                                               uint64_t max_bytes) {
  if (_closed) return storage::error(storage::errc::log_failed, "partition closed");
  return _log->read_bytes(from, max_bytes, high_watermark());
}

storage::sresult<std::vector<std::byte>> partition::read_bytes(model::offset from,
                                                               uint64_t max_bytes,
                                                               model::offset upper) {
  if (_closed) return storage::error(storage::errc::log_failed, "partition closed");
  return _log->read_bytes(from, max_bytes, std::min(upper, log_end_offset()));
}

storage::sresult<void> partition::close() {
  if (_closed) return {};
  _closed = true;
  high_watermark_moved();  // wakes fetches and acks=all waiters, which find it closed
  // Before the log's own close, so the clean-shutdown marker comes after the snapshot.
  snapshot_producers(snapshot_sync::durable);
  return _log->close();
}

}  // namespace vltava::cluster
