#include "coord/txn_coordinator.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <utility>

#include "base/log.h"
#include "cluster/broker_channels.h"
#include "cluster/partition_leadership.h"
#include "coord/coordinator_batch.h"
#include "coord/group_coordinator.h"
#include "coord/group_key.h"
#include "model/record.h"
#include "model/record_batch_header.h"
#include "net/shard_calls.h"
#include "protocol/generated/write_txn_markers.h"

namespace vltava::coord {
namespace {

constexpr int16_t epoch_max = std::numeric_limits<int16_t>::max();
// How long a marker waits for the ISR to hold it: Kafka's request.timeout.ms default.
constexpr auto marker_commit_wait_max = std::chrono::seconds(30);

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_prepare(txn_status s) {
  return s == txn_status::prepare_commit || s == txn_status::prepare_abort;
}

bool is_done(txn_status s) {
  return s == txn_status::empty || s == txn_status::complete_commit ||
         s == txn_status::complete_abort;
}

// The last value per transactional id in whole batches read from the log (tombstones erase).
struct txn_replay {
  std::map<std::string, txn_value> txns;
  size_t records = 0;
  size_t skipped = 0;
  std::string last_error;
};

void replay_record(txn_replay& st, const model::record& rec) {
  ++st.records;
  auto id = rec.key ? decode_txn_key(*rec.key)
                    : result<std::string, std::string>(fail(std::string("no key")));
  if (!id) {
    ++st.skipped;
    st.last_error = id.error();
    return;
  }
  if (!rec.value) {
    st.txns.erase(*id);
    return;
  }
  auto v = decode_txn_value(*rec.value);
  if (!v) {
    ++st.skipped;
    st.last_error = v.error();
    return;
  }
  st.txns[*id] = std::move(*v);
}

}  // namespace

txn_config txn_config::from(const config::config_set& c) {
  txn_config out;
  namespace keys = config::broker_keys;
  out.partitions = c.get(keys::transaction_state_log_num_partitions);
  out.segment_bytes = c.get(keys::transaction_state_log_segment_bytes);
  out.replication_factor = c.get(keys::transaction_state_log_replication_factor);
  out.min_isr = c.get(keys::transaction_state_log_min_isr);
  out.max_timeout_ms = c.get(keys::transaction_max_timeout_ms);
  out.abort_check_interval_ms =
      c.get(keys::transaction_abort_timed_out_transaction_cleanup_interval_ms);
  out.id_expiration_ms = c.get(keys::transactional_id_expiration_ms);
  out.expiration_check_interval_ms =
      c.get(keys::transaction_remove_expired_transaction_cleanup_interval_ms);
  out.marker_retry_ms = std::min<int64_t>(out.marker_retry_ms, out.abort_check_interval_ms);
  return out;
}

struct txn_coordinator::entry {
  std::string id;
  txn_value v;
  int16_t last_epoch = -1;  // the epoch before the last InitProducerId bump (KIP-360 retries)
  bool busy = false;        // a write or marker round is in flight: others wait their turn
  bool ending = false;      // busy writing Prepare*: the transaction is no longer open to writes
  int64_t retry_at_ms = 0;  // Prepare*: when the tick may write the markers again
  // Prepare*: the partitions led by other brokers that answered this decision's
  // WriteTxnMarkers (their markers are durable there); later rounds skip them.
  std::set<model::topic_partition> markers_sent;
  // Requests waiting for `busy` to end (idle_entry); on the owner shard only.
  std::vector<std::weak_ptr<asio::steady_timer>> waiting;

  void release() {
    busy = false;
    for (auto& w : waiting) {
      if (auto t = w.lock()) t->cancel();
    }
    waiting.clear();
  }
};

struct txn_coordinator::partition_state : coordinated_partition {
  std::map<std::string, std::shared_ptr<entry>, std::less<>> txns;
};

struct txn_coordinator::shard_state {
  int64_t next_abort_check_ms = 0;
  int64_t next_expiration_check_ms = 0;
};

namespace {

// The coordinator epoch markers carry: the leader epoch of the __transaction_state partition
// that decided them (Kafka's), so a data partition fences the markers of a deposed coordinator.
int32_t coordinator_epoch_of(const txn_coordinator::partition_state& ps) {
  return ps.log ? ps.log->leader_epoch()() : 0;
}

// How long a request waits for an operation in flight on its transactional id (the markers
// of the previous transaction becoming durable, mostly) before it answers
// CONCURRENT_TRANSACTIONS. Waiting here instead of bouncing spares the client its retry
// backoff (librdkafka and the Java client back off tens of milliseconds or more).
constexpr auto busy_wait_limit = std::chrono::seconds(2);

// On the owner shard: the entry of `id` (nullptr when there is none) once no operation is in
// flight on it. `still_busy` is set when one still was after busy_wait_limit.
net::awaitable<std::shared_ptr<txn_coordinator::entry>> idle_entry(
    txn_coordinator::partition_state& ps, const std::string& id, bool& still_busy) {
  const auto deadline = std::chrono::steady_clock::now() + busy_wait_limit;
  still_busy = false;
  for (;;) {
    auto it = ps.txns.find(id);
    if (it == ps.txns.end()) co_return nullptr;
    std::shared_ptr<txn_coordinator::entry> e = it->second;
    if (!e->busy) co_return e;
    if (std::chrono::steady_clock::now() >= deadline) {
      still_busy = true;
      co_return e;
    }
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
    e->waiting.push_back(timer);
    std::error_code ec;
    co_await timer->async_wait(asio::redirect_error(net::use_awaitable, ec));
  }
}

// Kafka's checks before any transactional request on an existing id.
error_code check_producer(const txn_value& v, model::producer_id producer,
                          model::producer_epoch epoch) {
  if (producer() != v.producer_id) return error_code::invalid_producer_id_mapping;
  if (epoch() != v.producer_epoch) return error_code::producer_fenced;
  return error_code::none;
}

// The prologue of AddPartitionsToTxn, EndTxn and a partition's verification: the idle entry of
// `id`, held by the requesting producer. Else the error: NOT_COORDINATOR when the partition was
// lost meanwhile, INVALID_PRODUCER_ID_MAPPING without an entry, check_producer's, or
// CONCURRENT_TRANSACTIONS when it stayed busy past the wait.
struct producer_entry {
  std::shared_ptr<txn_coordinator::entry> entry;
  error_code error = error_code::none;
};

net::awaitable<producer_entry> idle_entry_of(txn_coordinator::partition_state& ps,
                                             const std::string& id, model::producer_id producer,
                                             model::producer_epoch epoch) {
  bool still_busy = false;
  std::shared_ptr<txn_coordinator::entry> e = co_await idle_entry(ps, id, still_busy);
  if (!ps.log) co_return producer_entry{nullptr, error_code::not_coordinator};
  if (!e) co_return producer_entry{nullptr, error_code::invalid_producer_id_mapping};
  if (error_code c = check_producer(e->v, producer, epoch); c != error_code::none) {
    co_return producer_entry{nullptr, c};
  }
  if (still_busy) co_return producer_entry{nullptr, error_code::concurrent_transactions};
  co_return producer_entry{std::move(e)};
}

cluster::txn_result decision_of(txn_status prepared) {
  return prepared == txn_status::prepare_commit ? cluster::txn_result::commit
                                                : cluster::txn_result::abort;
}

}  // namespace

struct txn_coordinator::marker_written {
  model::topic_partition key;
  std::shared_ptr<cluster::partition> partition;
  cluster::append_outcome outcome;
};

struct txn_coordinator::marker_round {
  bool ok = true;  // every marker written (or not needed)
  std::vector<unsigned> shards;
  std::vector<std::vector<marker_written>> pending;  // [i]: written on shards[i], not durable
};

struct txn_coordinator::shard_markers {
  bool ok = true;  // every marker written, or not needed (a newer epoch ended the transaction)
  std::vector<marker_written> written;  // not durable yet
  std::vector<error_code> errors;       // one per partition asked
};

txn_coordinator::txn_coordinator(net::shard_pool& shards, cluster::partition_manager& partitions,
                                 cluster::metadata_store& metadata, group_coordinator* groups,
                                 txn_config config, clock_fn clock)
    : _shards(shards),
      _partitions(partitions),
      _metadata(metadata),
      _groups(groups),
      _config(config),
      _clock(clock ? std::move(clock) : clock_fn(&system_now_ms)) {
  const int64_t now = now_ms();
  for (unsigned s = 0; s < shards.size(); ++s) {
    auto st = std::make_unique<shard_state>();
    st->next_abort_check_ms = now + _config.abort_check_interval_ms;
    st->next_expiration_check_ms = now + _config.expiration_check_interval_ms;
    _state.push_back(std::move(st));
  }
  coordinator_partitions<partition_state>::callbacks calls;
  calls.replay = [this](unsigned shard, partition_state& ps, cluster::partition& log) {
    return replay(shard, ps, log);
  };
  calls.drop = [this](partition_state& ps) { drop(ps); };
  calls.tick = [this](unsigned shard) { return tick(shard); };
  calls.tick_interval =
      std::chrono::milliseconds(std::min(_config.marker_retry_ms, _config.abort_check_interval_ms));
  internal_topic_spec spec{transaction_topic, _config.partitions, _config.segment_bytes,
                           static_cast<int16_t>(_config.replication_factor), _config.min_isr};
  _coordinated = std::make_unique<coordinator_partitions<partition_state>>(
      shards, partitions, metadata, spec, std::move(calls));
}

txn_coordinator::~txn_coordinator() = default;

net::awaitable<error_code> txn_coordinator::ensure_topic() {
  return _coordinated->topic().ensure_created();
}

std::optional<model::partition_id> txn_coordinator::partition_of(
    std::string_view transactional_id) const {
  return _coordinated->topic().partition_of(transactional_id);
}

net::awaitable<error_code> txn_coordinator::partition_gained(model::partition_id p) {
  return _coordinated->gain(p);
}

net::awaitable<void> txn_coordinator::partition_lost(model::partition_id p) {
  return _coordinated->lose(p);
}

error_code txn_coordinator::replay(unsigned, partition_state& ps, cluster::partition& log) {
  txn_replay rs;
  batch_visitor visit;
  visit.record = [&rs](const model::record_batch_header&, const model::record& r) {
    replay_record(rs, r);
  };
  visit.control = [](const model::record_batch_header&, std::span<const std::byte>) {};
  const model::topic_partition tp{std::string(transaction_topic), ps.id};
  error_code e = replay_log(log, tp, [&visit](std::span<const std::byte> batches) {
    return walk_batches(batches, visit);
  });
  if (e != error_code::none) return e;
  if (rs.skipped > 0) {
    log::warn("coord", "{}: {} of {} records skipped (last: {})", tp.describe(), rs.skipped,
              rs.records, rs.last_error);
  }
  size_t unfinished = 0;
  for (auto& [id, v] : rs.txns) {
    auto e = std::make_shared<entry>();
    e->id = id;
    e->v = std::move(v);
    if (is_prepare(e->v.status)) ++unfinished;
    ps.txns.emplace(id, std::move(e));
  }
  if (!ps.txns.empty()) {
    log::info("coord", "{}: loaded {} transactional ids ({} to complete) from {} records",
              tp.describe(), ps.txns.size(), unfinished, rs.records);
  }
  return error_code::none;
}

void txn_coordinator::drop(partition_state& ps) {
  // Entries busy with an operation keep their object (the operation holds it) and find the
  // partition's log gone when they next write.
  ps.txns.clear();
}

net::awaitable<error_code> txn_coordinator::write_state(partition_state& ps, const std::string& id,
                                                        const txn_value& v,
                                                        cluster::acks_mode acks) {
  std::shared_ptr<cluster::partition> log = ps.log;
  if (!log || log->closed()) co_return error_code::not_coordinator;
  record_list records;
  records.emplace_back(encode_txn_key(id), encode_txn_value(v));
  auto batch = build_coordinator_batch(records, now_ms());
  auto outcome = co_await log->append(std::span<std::byte>(batch), acks);
  if (outcome.error == error_code::none) co_return error_code::none;
  if (outcome.error == error_code::not_leader_or_follower) co_return error_code::not_coordinator;
  log::warn("coord", "{}-{}: transaction state of {} not written: {} {}", transaction_topic,
            ps.id(), id, protocol::error_name(outcome.error), outcome.message);
  co_return error_code::coordinator_not_available;
}

net::awaitable<txn_coordinator::marker_round> txn_coordinator::write_markers(
    partition_state& ps, entry& e, cluster::txn_result result) {
  marker_round round;
  const txn_value& v = e.v;
  auto image = _partitions.image();
  const model::node_id self = _partitions.node_id();
  // The partitions of each shard get their markers together and wait for one group commit;
  // those led by other brokers go to them, one request per broker.
  std::vector<model::topic_partition> existing;
  std::vector<unsigned> shard_of;
  std::map<model::node_id, std::vector<model::topic_partition>> remote;
  for (const auto& k : v.partitions) {
    const cluster::topic_info* t = image ? image->find_topic(k.topic) : nullptr;
    if (!t || k.partition() < 0 || k.partition() >= t->partition_count) {
      // As Kafka: a deleted topic's partitions need no marker.
      log::info("coord", "transaction of producer {}: {} no longer exists; no marker",
                v.producer_id, k.describe());
      continue;
    }
    const auto route = cluster::route_partition(t, k.partition(), self);
    if (route.leader == self) {
      existing.push_back(k);
      shard_of.push_back(_partitions.shard_of(t->id, k.partition));
    } else if (route.leader() < 0) {
      round.ok = false;  // no leader yet: the tick tries again
    } else if (!e.markers_sent.contains(k)) {
      remote[route.leader].push_back(k);
    }
  }
  if (!existing.empty()) {
    net::shard_split split =
        net::split_by_shard(existing.size(), [&shard_of](size_t i) { return shard_of[i]; });
    std::vector<std::vector<model::topic_partition>> lists;
    for (const auto& items : split.items) {
      auto& l = lists.emplace_back();
      for (size_t i : items) l.push_back(existing[i]);
    }
    round.shards = split.shards;
    const auto pid = model::producer_id(v.producer_id);
    const auto epoch = model::producer_epoch(v.producer_epoch);
    const int32_t coordinator_epoch = coordinator_epoch_of(ps);
    auto per_shard = co_await net::on_shards<shard_markers>(
        _shards, round.shards, [this, pid, epoch, result, coordinator_epoch, &lists](size_t i) {
          return write_markers_on(this, pid, epoch, result, coordinator_epoch, lists[i]);
        });
    for (auto& m : per_shard) {
      round.ok = round.ok && m.ok;
      round.pending.push_back(std::move(m.written));
    }
  }
  if (!remote.empty()) {
    auto sent = send_markers(ps, e, result, remote);
    if (!co_await std::move(sent)) round.ok = false;
  }
  co_return round;
}

namespace {

// A partition's answer to WriteTxnMarkers that ends its part of the round: written, or never
// to be (a newer epoch of the producer ended the transaction there, the topic is gone), as
// the local path treats them.
bool marker_settled(error_code e) {
  return e == error_code::none || e == error_code::invalid_producer_epoch ||
         e == error_code::unknown_topic_or_partition;
}

}  // namespace

net::awaitable<bool> txn_coordinator::send_markers(
    partition_state& ps, entry& e, cluster::txn_result result,
    const std::map<model::node_id, std::vector<model::topic_partition>>& remote) {
  if (!_channels) {
    log::warn("coord", "transaction of {}: {} broker(s) lead its partitions, none reachable", e.id,
              remote.size());
    co_return false;
  }
  const int32_t coordinator_epoch = coordinator_epoch_of(ps);
  bool all = true;
  for (const auto& [broker, partitions] : remote) {
    protocol::write_txn_markers_request request;
    auto& m = request.markers.emplace_back();
    m.producer_id = model::producer_id(e.v.producer_id);
    m.producer_epoch = model::producer_epoch(e.v.producer_epoch);
    m.transaction_result = result == cluster::txn_result::commit;
    m.coordinator_epoch = coordinator_epoch;
    std::map<std::string, std::vector<model::partition_id>> by_topic;
    for (const auto& k : partitions) by_topic[k.topic].push_back(k.partition);
    for (auto& [name, indexes] : by_topic) {
      auto& t = m.topics.emplace_back();
      t.name = name;
      t.partition_indexes = std::move(indexes);
    }
    auto call = _channels->call<protocol::write_txn_markers_api>(
        broker, request, protocol::write_txn_markers_api::max_version);
    auto answer = co_await std::move(call);
    if (!answer) {
      all = false;  // logged by the channel; the tick sends again
      continue;
    }
    size_t settled = 0;
    for (const auto& rm : answer->body.markers) {
      if (rm.producer_id() != e.v.producer_id) continue;
      for (const auto& rt : rm.topics) {
        for (const auto& rp : rt.partitions) {
          model::topic_partition k{rt.name, rp.partition_index};
          if (std::find(partitions.begin(), partitions.end(), k) == partitions.end()) continue;
          if (marker_settled(rp.error_code)) {
            if (e.markers_sent.insert(k).second) ++settled;
            if (rp.error_code != error_code::none) {
              log::warn("coord", "{} on broker {}: marker skipped: {}", k.describe(), broker(),
                        protocol::error_name(rp.error_code));
            }
          } else {
            log::info("coord", "{} on broker {}: marker not written: {}; retried", k.describe(),
                      broker(), protocol::error_name(rp.error_code));
          }
        }
      }
    }
    if (settled < partitions.size()) all = false;
  }
  co_return all;
}

net::awaitable<txn_coordinator::shard_markers> txn_coordinator::write_markers_on(
    txn_coordinator* self, model::producer_id pid, model::producer_epoch epoch,
    cluster::txn_result result, int32_t coordinator_epoch,
    const std::vector<model::topic_partition>& partitions) {
  shard_markers out;
  for (const auto& k : partitions) {
    auto p = self->_partitions.find_leader(k.topic, k.partition);
    if (!p) {
      // Not open or not led here (yet): the tick tries again.
      out.ok = false;
      out.errors.push_back(error_code::not_leader_or_follower);
      continue;
    }
    auto o = p->write_marker_now(pid, epoch, result, coordinator_epoch);
    out.errors.push_back(o.error);
    if (o.error == error_code::invalid_producer_epoch) {
      // A newer epoch of this producer ended the transaction here already.
      log::warn("coord", "{}: marker skipped: {}", k.describe(), o.message);
      continue;
    }
    if (o.error != error_code::none) {
      log::warn("coord", "{}: marker not written: {} {}", k.describe(),
                protocol::error_name(o.error), o.message);
      out.ok = false;
      continue;
    }
    p->request_flush();
    // Visible from now on, as the marker is to fetches: the transaction's offsets too.
    if (k.topic == offsets_topic && self->_groups) {
      self->_groups->txn_marker_written(k.partition, pid, result);
    }
    out.written.push_back({k, std::move(p), std::move(o)});
  }
  co_return out;
}

net::awaitable<std::vector<error_code>> txn_coordinator::write_markers_for(
    model::producer_id producer, model::producer_epoch epoch, cluster::txn_result result,
    int32_t coordinator_epoch, std::vector<model::topic_partition> partitions) {
  std::vector<error_code> out(partitions.size(), error_code::unknown_topic_or_partition);
  auto image = _partitions.image();
  std::vector<size_t> known;  // indices of the partitions that exist
  std::vector<unsigned> shard_of;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const auto& k = partitions[i];
    const cluster::topic_info* t = image ? image->find_topic(k.topic) : nullptr;
    if (!t || k.partition() < 0 || k.partition() >= t->partition_count) continue;
    known.push_back(i);
    shard_of.push_back(_partitions.shard_of(t->id, k.partition));
  }
  if (known.empty()) co_return out;
  net::shard_split split =
      net::split_by_shard(known.size(), [&shard_of](size_t i) { return shard_of[i]; });
  std::vector<std::vector<model::topic_partition>> lists;
  for (const auto& items : split.items) {
    auto& l = lists.emplace_back();
    for (size_t i : items) l.push_back(partitions[known[i]]);
  }
  auto per_shard = co_await net::on_shards<std::vector<error_code>>(
      _shards, split.shards, [this, producer, epoch, result, coordinator_epoch, &lists](size_t i) {
        return write_durable_markers_on(this, producer, epoch, result, coordinator_epoch, lists[i]);
      });
  auto errors = split.gather(std::move(per_shard), known.size());
  for (size_t i = 0; i < known.size(); ++i) out[known[i]] = errors[i];
  co_return out;
}

net::awaitable<std::vector<error_code>> txn_coordinator::write_durable_markers_on(
    txn_coordinator* self, model::producer_id producer, model::producer_epoch epoch,
    cluster::txn_result result, int32_t coordinator_epoch,
    const std::vector<model::topic_partition>& partitions) {
  shard_markers m =
      co_await write_markers_on(self, producer, epoch, result, coordinator_epoch, partitions);
  std::vector<error_code> durable = co_await marker_errors_on(m.written);
  // The written markers are, in order, the partitions whose write answered none.
  size_t next = 0;
  for (auto& e : m.errors) {
    if (e == error_code::none && next < durable.size()) e = durable[next++];
  }
  co_return m.errors;
}

net::awaitable<bool> txn_coordinator::markers_durable(marker_round& round) {
  if (round.shards.empty()) co_return round.ok;
  auto done = co_await net::on_shards<int>(
      _shards, round.shards, [&round](size_t i) { return markers_durable_on(round.pending[i]); });
  bool ok = round.ok;
  for (int d : done) ok = ok && d;
  co_return ok;
}

net::awaitable<int> txn_coordinator::markers_durable_on(std::vector<marker_written>& written) {
  auto errors = co_await marker_errors_on(written);
  for (error_code e : errors) {
    if (e != error_code::none) co_return 0;
  }
  co_return 1;
}

net::awaitable<std::vector<error_code>> txn_coordinator::marker_errors_on(
    std::vector<marker_written>& written) {
  std::vector<error_code> out;
  for (auto& w : written) {
    auto task = w.partition->durable(std::move(w.outcome));
    cluster::append_outcome d = co_await std::move(task);
    if (d.error == error_code::none) {
      auto commit = w.partition->committed(
          std::move(d), std::chrono::steady_clock::now() + marker_commit_wait_max);
      d = co_await std::move(commit);
    }
    if (d.error != error_code::none) {
      log::warn("coord", "{}: marker not committed: {}", w.key.describe(),
                protocol::error_name(d.error));
    }
    out.push_back(d.error);
  }
  co_return out;
}

void txn_coordinator::grant_partitions(const std::vector<model::topic_partition>& partitions,
                                       model::producer_id producer, model::producer_epoch epoch) {
  auto image = _partitions.image();
  for (const auto& k : partitions) {
    const cluster::topic_info* t = image ? image->find_topic(k.topic) : nullptr;
    if (!t || k.partition() < 0 || k.partition() >= t->partition_count) continue;
    const unsigned s = _partitions.shard_of(t->id, k.partition);
    // The partition manager, not `this`: a test may replace the coordinator meanwhile.
    auto grant = [&pm = _partitions, k, producer, epoch] {
      if (auto p = pm.find_shared(k.topic, k.partition)) p->grant_txn(producer, epoch);
    };
    // Markers reach a partition from this shard too, and after the grant: posted in order,
    // or both run here in order, so a marker always revokes the grant before it.
    if (_shards.shard(s).get_executor().running_in_this_thread()) {
      grant();
    } else {
      asio::post(_shards.shard(s), grant);
    }
  }
}

net::awaitable<bool> txn_coordinator::complete(partition_state& ps, std::shared_ptr<entry> e) {
  VLTAVA_ASSERT(is_prepare(e->v.status), "only a prepared transaction completes");
  auto round = co_await write_markers(ps, *e, decision_of(e->v.status));
  co_return co_await finish(ps, std::move(e), std::move(round));
}

net::awaitable<bool> txn_coordinator::finish(partition_state& ps, std::shared_ptr<entry> e,
                                             marker_round round) {
  const bool commit = decision_of(e->v.status) == cluster::txn_result::commit;
  // Complete* only after every marker is on disk: a Complete record that outlived a lost
  // marker would leave that partition's transaction open for ever.
  if (!co_await markers_durable(round)) {
    e->retry_at_ms = now_ms() + _config.marker_retry_ms;
    co_return false;
  }
  txn_value v = e->v;
  v.status = commit ? txn_status::complete_commit : txn_status::complete_abort;
  v.partitions.clear();
  v.last_update_ms = now_ms();
  // Not waited for on disk: lost, the Prepare record brings the markers back after a restart.
  auto task = write_state(ps, e->id, v, cluster::acks_mode::leader);
  if (co_await std::move(task) != error_code::none) {
    e->retry_at_ms = now_ms() + _config.marker_retry_ms;
    co_return false;
  }
  e->v = std::move(v);
  e->markers_sent.clear();
  co_return true;
}

net::awaitable<error_code> txn_coordinator::fence_and_abort(partition_state& ps,
                                                            std::shared_ptr<entry> e) {
  txn_value v = e->v;
  // As Kafka's prepareFenceProducerEpoch: the old epoch's producer can do nothing more.
  if (v.producer_epoch < epoch_max) ++v.producer_epoch;
  v.status = txn_status::prepare_abort;
  v.last_update_ms = now_ms();
  e->ending = true;
  auto task = write_state(ps, e->id, v, cluster::acks_mode::all);
  error_code w = co_await std::move(task);
  e->ending = false;
  if (w != error_code::none) co_return w;
  e->v = std::move(v);
  e->markers_sent.clear();
  e->last_epoch = -1;
  auto done = complete(ps, e);
  co_return co_await std::move(done) ? error_code::none : error_code::concurrent_transactions;
}

net::awaitable<init_pid_result> txn_coordinator::init_producer_id(std::string id,
                                                                  int32_t timeout_ms,
                                                                  model::producer_id producer,
                                                                  model::producer_epoch epoch) {
  init_pid_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  if (timeout_ms <= 0 || timeout_ms > _config.max_timeout_ms) {
    unavailable.error = error_code::invalid_transaction_timeout;
    co_return unavailable;
  }
  co_return co_await _coordinated->on_owner<init_pid_result>(
      id, unavailable, [this, &id, timeout_ms, producer, epoch](owner at) {
        return init_producer_id_on_owner(at, id, timeout_ms, producer, epoch);
      });
}

net::awaitable<init_pid_result> txn_coordinator::init_producer_id_on_owner(
    owner at, const std::string& id, int32_t timeout_ms, model::producer_id producer,
    model::producer_epoch epoch) {
  init_pid_result r;
  partition_state* ps = at.partition;
  if (!ps) {
    r.error = at.error;
    co_return r;
  }
  bool still_busy = false;
  std::shared_ptr<entry> e = co_await idle_entry(*ps, id, still_busy);
  if (!ps->log) {
    r.error = error_code::not_coordinator;  // the partition was lost meanwhile
    co_return r;
  }
  if (still_busy) {
    r.error = error_code::concurrent_transactions;
    co_return r;
  }
  const bool asks_bump = producer != model::producer_id(-1);
  if (e && asks_bump) {
    if (producer() == e->v.producer_id && epoch() == e->last_epoch && e->last_epoch >= 0 &&
        e->v.status == txn_status::empty) {
      // A retry of the bump we answered already (its response was lost).
      r.producer_id = model::producer_id(e->v.producer_id);
      r.producer_epoch = model::producer_epoch(e->v.producer_epoch);
      co_return r;
    }
    if (check_producer(e->v, producer, epoch) != error_code::none) {
      r.error = error_code::producer_fenced;
      co_return r;
    }
  } else if (!e && asks_bump) {
    r.error = error_code::producer_fenced;  // as Kafka: not the producer it remembers
    co_return r;
  }
  if (e && (is_prepare(e->v.status) || e->v.status == txn_status::dead ||
            e->v.status == txn_status::prepare_epoch_fence)) {
    r.error = error_code::concurrent_transactions;  // markers in flight: retry shortly
    co_return r;
  }
  const bool fresh = !e;
  if (fresh) {
    e = std::make_shared<entry>();
    e->id = id;
    ps->txns[id] = e;
  }
  e->busy = true;
  if (!fresh && e->v.status == txn_status::ongoing) {
    // A new instance of the producer: the old one's transaction is aborted first and
    // its epoch fenced (Kafka answers CONCURRENT_TRANSACTIONS and lets the client retry;
    // finishing the abort here saves that round trip).
    auto task = fence_and_abort(*ps, e);
    if (error_code a = co_await std::move(task); a != error_code::none) {
      e->release();
      r.error = error_code::concurrent_transactions;
      co_return r;
    }
  }
  co_return co_await bump_epoch(*ps, std::move(e), timeout_ms, fresh);
}

net::awaitable<init_pid_result> txn_coordinator::bump_epoch(partition_state& ps,
                                                            std::shared_ptr<entry> e,
                                                            int32_t timeout_ms, bool fresh) {
  init_pid_result r;
  auto release = [&] {
    e->release();
    if (fresh) {
      auto again = ps.txns.find(e->id);
      if (again != ps.txns.end() && again->second == e) ps.txns.erase(again);
    }
  };
  txn_value v = e->v;
  const int16_t old_epoch = v.producer_epoch;
  if (fresh || v.producer_epoch >= epoch_max - 1) {
    // A new id: the first InitProducerId, or the epoch is exhausted.
    auto alloc = _metadata.allocate_producer_id();
    cluster::producer_id_result a = co_await std::move(alloc);
    if (!a.ok()) {
      log::warn("coord", "InitProducerId {}: {}", e->id, a.message.value_or("no producer id"));
      release();
      r.error = error_code::coordinator_not_available;
      co_return r;
    }
    v.producer_id = a.id();
    v.producer_epoch = 0;
  } else {
    ++v.producer_epoch;
  }
  v.timeout_ms = timeout_ms;
  v.status = txn_status::empty;
  v.partitions.clear();
  v.start_ms = -1;
  v.last_update_ms = now_ms();
  auto task = write_state(ps, e->id, v, cluster::acks_mode::all);
  if (error_code w = co_await std::move(task); w != error_code::none) {
    release();
    r.error = w;
    co_return r;
  }
  e->last_epoch = v.producer_id == e->v.producer_id && !fresh ? old_epoch : -1;
  e->v = std::move(v);
  e->release();
  r.producer_id = model::producer_id(e->v.producer_id);
  r.producer_epoch = model::producer_epoch(e->v.producer_epoch);
  co_return r;
}

net::awaitable<error_code> txn_coordinator::add_partitions(
    std::string id, model::producer_id producer, model::producer_epoch epoch,
    std::vector<model::topic_partition> partitions) {
  co_return co_await _coordinated->on_owner<error_code>(
      id, error_code::coordinator_not_available,
      [this, &id, producer, epoch, &partitions](owner at) {
        return add_partitions_on_owner(at, id, producer, epoch, partitions);
      });
}

net::awaitable<error_code> txn_coordinator::add_partitions_on_owner(
    owner at, const std::string& id, model::producer_id producer, model::producer_epoch epoch,
    const std::vector<model::topic_partition>& partitions) {
  partition_state* ps = at.partition;
  if (!ps) co_return at.error;
  auto [e, refused] = co_await idle_entry_of(*ps, id, producer, epoch);
  if (!e) co_return refused;
  if (is_prepare(e->v.status)) co_return error_code::concurrent_transactions;
  if (!is_done(e->v.status) && e->v.status != txn_status::ongoing) {
    co_return error_code::invalid_txn_state;
  }
  txn_value v = e->v;
  if (v.status != txn_status::ongoing) {
    v.partitions.clear();
    v.start_ms = now_ms();
  }
  const size_t before = v.partitions.size();
  for (const auto& k : partitions) v.partitions.insert(k);
  if (v.status == txn_status::ongoing && v.partitions.size() == before) {
    co_return error_code::none;  // all there already: nothing to write
  }
  v.status = txn_status::ongoing;
  v.last_update_ms = now_ms();
  e->busy = true;
  auto task = write_state(*ps, id, v, cluster::acks_mode::all);
  error_code w = co_await std::move(task);
  if (w == error_code::none) {
    e->v = std::move(v);
    grant_partitions(partitions, producer, epoch);
  }
  e->release();
  co_return w;
}

net::awaitable<error_code> txn_coordinator::verify_partition(std::string id,
                                                             model::producer_id producer,
                                                             model::producer_epoch epoch,
                                                             model::topic_partition partition) {
  co_return co_await _coordinated->on_owner<error_code>(
      id, error_code::coordinator_not_available, [&id, producer, epoch, &partition](owner at) {
        return verify_partition_on_owner(at, id, producer, epoch, partition);
      });
}

net::awaitable<error_code> txn_coordinator::verify_partition_on_owner(
    owner at, const std::string& id, model::producer_id producer, model::producer_epoch epoch,
    const model::topic_partition& partition) {
  partition_state* ps = at.partition;
  if (!ps) co_return at.error;
  auto confirmed = [&partition](const entry& e) {
    return !e.ending && e.v.status == txn_status::ongoing && e.v.partitions.contains(partition);
  };
  // The common case answers at once, even while an AddPartitionsToTxn for other
  // partitions is being written (the producer registers partitions as it meets them).
  auto it = ps->txns.find(id);
  if (it != ps->txns.end() && check_producer(it->second->v, producer, epoch) == error_code::none &&
      confirmed(*it->second)) {
    co_return error_code::none;
  }
  // Else an operation in flight may be adding this very partition: wait for it.
  auto [e, refused] = co_await idle_entry_of(*ps, id, producer, epoch);
  if (!e) co_return refused;
  co_return confirmed(*e) ? error_code::none : error_code::invalid_txn_state;
}

namespace {

// Kafka's table (TransactionCoordinator.endTransaction) for an EndTxn that finds the
// transaction not Ongoing: a retried EndTxn of a finished transaction succeeds; the opposite
// decision, or none to make, is INVALID_TXN_STATE.
error_code end_txn_answer(txn_status status, cluster::txn_result result) {
  const bool commit = result == cluster::txn_result::commit;
  switch (status) {
    case txn_status::complete_commit:
      return commit ? error_code::none : error_code::invalid_txn_state;
    case txn_status::complete_abort:
      return commit ? error_code::invalid_txn_state : error_code::none;
    case txn_status::prepare_commit:
      return commit ? error_code::concurrent_transactions : error_code::invalid_txn_state;
    case txn_status::prepare_abort:
      return commit ? error_code::invalid_txn_state : error_code::concurrent_transactions;
    default:
      return error_code::invalid_txn_state;
  }
}

}  // namespace

net::awaitable<error_code> txn_coordinator::end_txn(std::string id, model::producer_id producer,
                                                    model::producer_epoch epoch,
                                                    cluster::txn_result result) {
  co_return co_await _coordinated->on_owner<error_code>(
      id, error_code::coordinator_not_available, [this, &id, producer, epoch, result](owner at) {
        return end_txn_on_owner(at, id, producer, epoch, result);
      });
}

net::awaitable<error_code> txn_coordinator::end_txn_on_owner(owner at, const std::string& id,
                                                             model::producer_id producer,
                                                             model::producer_epoch epoch,
                                                             cluster::txn_result result) {
  partition_state* ps = at.partition;
  if (!ps) co_return at.error;
  auto [e, refused] = co_await idle_entry_of(*ps, id, producer, epoch);
  if (!e) co_return refused;
  if (e->v.status != txn_status::ongoing) co_return end_txn_answer(e->v.status, result);
  txn_value v = e->v;
  v.status = result == cluster::txn_result::commit ? txn_status::prepare_commit
                                                   : txn_status::prepare_abort;
  v.last_update_ms = now_ms();
  e->busy = true;
  e->ending = true;
  auto task = write_state(*ps, id, v, cluster::acks_mode::all);
  error_code w = co_await std::move(task);
  e->ending = false;
  if (w != error_code::none) {
    e->release();
    co_return w;
  }
  e->v = std::move(v);
  e->markers_sent.clear();
  // The decision is durable: whatever happens to the markers now, the answer is yes (a
  // marker that cannot be written yet is retried by the tick, as after a crash). As
  // Kafka, the answer does not wait for the markers to reach the disk; unlike Kafka, it
  // waits for them to be written, so a client that commits and then reads sees its
  // transaction. The entry stays busy until Complete* is written: the producer's next
  // request waits for that (idle_entry) instead of bouncing off CONCURRENT_TRANSACTIONS.
  auto round = co_await write_markers(*ps, *e, result);
  _coordinated->begin_work(at.shard);
  asio::co_spawn(co_await asio::this_coro::executor,
                 finish_in_background(this, at.shard, ps, e, std::move(round)), asio::detached);
  co_return error_code::none;
}

net::awaitable<void> txn_coordinator::finish_in_background(txn_coordinator* self, unsigned shard,
                                                           partition_state* ps,
                                                           std::shared_ptr<entry> e,
                                                           marker_round round) {
  co_await self->finish(*ps, e, std::move(round));
  e->release();
  self->_coordinated->end_work(shard);
}

namespace {

described_txn describe_entry(const std::string& id, const txn_value& v) {
  described_txn d;
  d.transactional_id = id;
  d.status = v.status;
  d.timeout_ms = v.timeout_ms;
  d.start_ms = v.start_ms;
  d.producer_id = model::producer_id(v.producer_id);
  d.producer_epoch = model::producer_epoch(v.producer_epoch);
  d.partitions = v.partitions;
  return d;
}

bool passes(const list_txn_filter& filter, const txn_value& v, int64_t now_ms) {
  if (!filter.states.empty() &&
      std::find(filter.states.begin(), filter.states.end(), v.status) == filter.states.end()) {
    return false;
  }
  if (!filter.producer_ids.empty() &&
      std::find(filter.producer_ids.begin(), filter.producer_ids.end(),
                model::producer_id(v.producer_id)) == filter.producer_ids.end()) {
    return false;
  }
  return filter.min_duration_ms < 0 ||
         (v.start_ms >= 0 && now_ms - v.start_ms >= filter.min_duration_ms);
}

}  // namespace

net::awaitable<described_txn> txn_coordinator::describe(std::string id) {
  described_txn unavailable;
  unavailable.transactional_id = id;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await _coordinated->on_owner<described_txn>(id, unavailable, [&id](owner at) {
    described_txn d;
    d.transactional_id = id;
    if (!at.partition) {
      d.error = at.error;
      return d;
    }
    auto it = at.partition->txns.find(id);
    if (it == at.partition->txns.end()) {
      d.error = error_code::transactional_id_not_found;
      return d;
    }
    return describe_entry(id, it->second->v);
  });
}

net::awaitable<std::vector<described_txn>> txn_coordinator::list(list_txn_filter filter) {
  const int64_t now = now_ms();
  auto per_shard = co_await net::on_every_shard<std::vector<described_txn>>(
      _shards, [this, &filter, now](unsigned shard) { return list_on(this, shard, filter, now); });
  std::vector<described_txn> all;
  for (auto& v : per_shard) {
    for (auto& d : v) all.push_back(std::move(d));
  }
  co_return all;
}

net::awaitable<std::vector<described_txn>> txn_coordinator::list_on(txn_coordinator* self,
                                                                    unsigned shard,
                                                                    const list_txn_filter& filter,
                                                                    int64_t now_ms) {
  std::vector<described_txn> out;
  for (partition_state* ps : self->_coordinated->loaded_on(shard)) {
    for (auto& [id, e] : ps->txns) {
      if (passes(filter, e->v, now_ms)) out.push_back(describe_entry(id, e->v));
    }
  }
  co_return out;
}

net::awaitable<void> txn_coordinator::tick(unsigned shard) {
  shard_state& st = *_state[shard];
  const int64_t now = now_ms();
  const bool check_timeouts = now >= st.next_abort_check_ms;
  if (check_timeouts) st.next_abort_check_ms = now + _config.abort_check_interval_ms;
  const bool check_expiry = now >= st.next_expiration_check_ms;
  if (check_expiry) st.next_expiration_check_ms = now + _config.expiration_check_interval_ms;
  // Collected first: the work below awaits, and the maps may change meanwhile.
  std::vector<entry_ref> to_complete, to_abort, to_expire;
  for (partition_state* ps : _coordinated->loaded_on(shard)) {
    for (auto& [id, e] : ps->txns) {
      if (e->busy) continue;
      const txn_value& v = e->v;
      if (is_prepare(v.status) && now >= e->retry_at_ms) {
        to_complete.emplace_back(ps, e);
      } else if (check_timeouts && v.status == txn_status::ongoing && v.start_ms >= 0 &&
                 now - v.start_ms > v.timeout_ms) {
        to_abort.emplace_back(ps, e);
      } else if (check_expiry && is_done(v.status) &&
                 now - v.last_update_ms >= _config.id_expiration_ms) {
        to_expire.emplace_back(ps, e);
      }
    }
  }
  co_await complete_prepared(shard, to_complete);
  co_await abort_timed_out(shard, to_abort);
  co_await expire_ids(shard, to_expire, now);
}

net::awaitable<void> txn_coordinator::complete_prepared(unsigned shard,
                                                        const std::vector<entry_ref>& todo) {
  for (const auto& [ps, e] : todo) {
    if (e->busy || _coordinated->stopped(shard)) continue;
    e->busy = true;
    auto task = complete(*ps, e);
    co_await std::move(task);
    e->release();
  }
}

net::awaitable<void> txn_coordinator::abort_timed_out(unsigned shard,
                                                      const std::vector<entry_ref>& todo) {
  for (const auto& [ps, e] : todo) {
    if (e->busy || _coordinated->stopped(shard) || e->v.status != txn_status::ongoing) continue;
    log::info("coord", "transaction of {} (producer {} epoch {}) timed out after {} ms: aborted",
              e->id, e->v.producer_id, e->v.producer_epoch, e->v.timeout_ms);
    e->busy = true;
    auto task = fence_and_abort(*ps, e);
    co_await std::move(task);
    e->release();
  }
}

net::awaitable<void> txn_coordinator::expire_ids(unsigned shard, const std::vector<entry_ref>& todo,
                                                 int64_t now_ms) {
  for (const auto& [ps, e] : todo) {
    if (e->busy || _coordinated->stopped(shard) || !is_done(e->v.status)) continue;
    std::shared_ptr<cluster::partition> log = ps->log;
    if (!log || log->closed()) continue;
    record_list records;
    records.emplace_back(encode_txn_key(e->id), std::nullopt);
    auto batch = build_coordinator_batch(records, now_ms);
    e->busy = true;
    auto outcome = co_await log->append(std::span<std::byte>(batch), cluster::acks_mode::all);
    e->release();
    if (outcome.error != error_code::none) continue;
    auto it = ps->txns.find(e->id);
    if (it != ps->txns.end() && it->second == e) ps->txns.erase(it);
  }
}

void txn_coordinator::start() {
  _coordinated->start();
}

void txn_coordinator::stop() {
  _coordinated->stop();
}

}  // namespace vltava::coord
