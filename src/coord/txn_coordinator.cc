#include "coord/txn_coordinator.h"

#include <chrono>
#include <future>
#include <limits>
#include <map>
#include <utility>

#include "base/log.h"
#include "coord/coordinator_batch.h"
#include "coord/group_coordinator.h"
#include "coord/group_key.h"
#include "model/record.h"
#include "model/record_batch_header.h"
#include "net/shard_calls.h"

namespace vltava::coord {
namespace {

constexpr uint64_t replay_chunk_bytes = 1024 * 1024;
constexpr size_t replay_batch_max_bytes = 64 * 1024 * 1024;
constexpr int16_t epoch_max = std::numeric_limits<int16_t>::max();

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

bool replay_batches(txn_replay& st, std::span<const std::byte> batches, int64_t& next) {
  while (!batches.empty()) {
    auto h = model::parse_header(batches);
    if (!h || h->size_bytes() > batches.size()) return false;
    auto batch = batches.subspan(0, h->size_bytes());
    batches = batches.subspan(h->size_bytes());
    next = h->last_offset()() + 1;
    if (h->is_control()) continue;
    auto section = model::batch_records(batch, *h, replay_batch_max_bytes);
    if (!section) return false;
    model::record_view records(section->bytes(), h->record_count);
    for (;;) {
      auto r = records.next();
      if (!r) return false;
      if (!r->has_value()) break;
      ++st.records;
      const auto& rec = **r;
      auto id = rec.key ? decode_txn_key(*rec.key)
                        : result<std::string, std::string>(fail(std::string("no key")));
      if (!id) {
        ++st.skipped;
        st.last_error = id.error();
        continue;
      }
      if (!rec.value) {
        st.txns.erase(*id);
        continue;
      }
      auto v = decode_txn_value(*rec.value);
      if (!v) {
        ++st.skipped;
        st.last_error = v.error();
        continue;
      }
      st.txns[*id] = std::move(*v);
    }
  }
  return true;
}

}  // namespace

txn_config txn_config::from(const config::config_set& c) {
  txn_config out;
  out.partitions = static_cast<int32_t>(c.get_int("transaction.state.log.num.partitions"));
  out.segment_bytes = static_cast<int32_t>(c.get_int("transaction.state.log.segment.bytes"));
  out.max_timeout_ms = static_cast<int32_t>(c.get_int("transaction.max.timeout.ms"));
  out.abort_check_interval_ms =
      c.get_int("transaction.abort.timed.out.transaction.cleanup.interval.ms");
  out.id_expiration_ms = c.get_int("transactional.id.expiration.ms");
  out.expiration_check_interval_ms =
      c.get_int("transaction.remove.expired.transaction.cleanup.interval.ms");
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

struct txn_coordinator::partition_state {
  int32_t index = 0;
  std::shared_ptr<cluster::partition> log;
  std::map<std::string, std::shared_ptr<entry>, std::less<>> txns;
};

struct txn_coordinator::shard_state {
  explicit shard_state(unsigned s) : shard(s) {}
  unsigned shard;
  std::map<int32_t, std::unique_ptr<partition_state>> partitions;  // never erased
  std::unique_ptr<asio::steady_timer> timer;
  bool stopped = false;
  int64_t next_abort_check_ms = 0;
  int64_t next_expiration_check_ms = 0;
  // Work running on its own (a tick, an EndTxn's completion): stop() waits for it, since it
  // uses the coordinator.
  size_t running = 0;
  std::function<void()> on_idle;  // set by stop() while work runs

  void begin_work() { ++running; }
  void end_work() {
    if (--running == 0 && on_idle) std::exchange(on_idle, nullptr)();
  }
};

namespace {

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
    auto timer =
        std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
    e->waiting.push_back(timer);
    std::error_code ec;
    co_await timer->async_wait(asio::redirect_error(net::use_awaitable, ec));
  }
}

// Kafka's checks before any transactional request on an existing id.
error_code check_producer(const txn_value& v, int64_t producer_id, int16_t producer_epoch) {
  if (producer_id != v.producer_id) return error_code::invalid_producer_id_mapping;
  if (producer_epoch != v.producer_epoch) return error_code::producer_fenced;
  return error_code::none;
}

// The prologue of AddPartitionsToTxn, EndTxn and a partition's verification: the idle entry of
// `id`, held by the requesting producer. Else the error: INVALID_PRODUCER_ID_MAPPING without
// an entry, check_producer's, or CONCURRENT_TRANSACTIONS when it stayed busy past the wait.
struct producer_entry {
  std::shared_ptr<txn_coordinator::entry> entry;
  error_code error = error_code::none;
};

net::awaitable<producer_entry> idle_entry_of(txn_coordinator::partition_state& ps,
                                             const std::string& id, int64_t producer_id,
                                             int16_t producer_epoch) {
  bool still_busy = false;
  std::shared_ptr<txn_coordinator::entry> e = co_await idle_entry(ps, id, still_busy);
  if (!e) co_return producer_entry{nullptr, error_code::invalid_producer_id_mapping};
  if (error_code c = check_producer(e->v, producer_id, producer_epoch); c != error_code::none) {
    co_return producer_entry{nullptr, c};
  }
  if (still_busy) co_return producer_entry{nullptr, error_code::concurrent_transactions};
  co_return producer_entry{std::move(e)};
}

}  // namespace

struct txn_coordinator::marker_round {
  struct written {
    partition_key key;
    std::shared_ptr<cluster::partition> partition;
    cluster::append_outcome outcome;
  };
  bool ok = true;  // every marker written (or not needed)
  std::vector<unsigned> shards;
  std::vector<std::vector<written>> pending;  // [i]: written on shards[i], not yet durable
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
  for (unsigned s = 0; s < shards.size(); ++s) _state.push_back(std::make_shared<shard_state>(s));
}

txn_coordinator::~txn_coordinator() = default;

net::awaitable<error_code> txn_coordinator::ensure_topic() {
  auto image = _partitions.image();
  if (image && image->find_topic(transaction_topic)) co_return error_code::none;
  cluster::create_topic_request req;
  req.name = std::string(transaction_topic);
  req.num_partitions = _config.partitions;
  req.replication_factor = 1;
  req.configs.emplace_back("cleanup.policy", "compact");
  req.configs.emplace_back("segment.bytes", std::to_string(_config.segment_bytes));
  auto created = co_await _metadata.create_topic(std::move(req));
  if (!created.ok() && created.error != error_code::topic_already_exists) {
    log::warn("coord", "cannot create {}: {}", transaction_topic,
              created.message.value_or(std::string(protocol::error_name(created.error))));
    co_return error_code::coordinator_not_available;
  }
  auto latest = _metadata.image();
  co_await _partitions.apply_image_async(latest);
  co_return error_code::none;
}

txn_coordinator::partition_state* txn_coordinator::load(shard_state& st, int32_t p,
                                                        error_code& error) {
  auto log = _partitions.find_shared(transaction_topic, model::partition_id(p));
  auto& slot = st.partitions[p];
  if (!slot) {
    slot = std::make_unique<partition_state>();
    slot->index = p;
  }
  partition_state& ps = *slot;
  if (!log) {
    error = error_code::coordinator_load_in_progress;
    return nullptr;
  }
  if (ps.log == log) return &ps;
  ps.log = log;
  txn_replay rs;
  int64_t pos = log->log_start_offset()();
  const int64_t end = log->high_watermark()();
  while (pos < end) {
    auto bytes = log->read_bytes(model::offset(pos), replay_chunk_bytes);
    if (!bytes) {
      log::error("coord", "{}-{}: cannot read at offset {}: {}", transaction_topic, p, pos,
                 bytes.error().message);
      ps.log.reset();
      error = error_code::coordinator_not_available;
      return nullptr;
    }
    int64_t next = pos;
    if (!replay_batches(rs, *bytes, next) || next <= pos) {
      log::error("coord", "{}-{}: unreadable batch near offset {}; replay stops there",
                 transaction_topic, p, pos);
      break;
    }
    pos = next;
  }
  if (rs.skipped > 0) {
    log::warn("coord", "{}-{}: {} of {} records skipped (last: {})", transaction_topic, p,
              rs.skipped, rs.records, rs.last_error);
  }
  // Entries busy with an operation keep their object (the operation holds it); others are
  // replaced by what the log says.
  ps.txns.clear();
  size_t unfinished = 0;
  for (auto& [id, v] : rs.txns) {
    auto e = std::make_shared<entry>();
    e->id = id;
    e->v = std::move(v);
    if (is_prepare(e->v.status)) ++unfinished;
    ps.txns.emplace(id, std::move(e));
  }
  if (!ps.txns.empty()) {
    log::info("coord", "{}-{}: loaded {} transactional ids ({} to complete) from {} records",
              transaction_topic, p, ps.txns.size(), unfinished, rs.records);
  }
  return &ps;
}

template <typename T, typename Fn>
net::awaitable<T> txn_coordinator::on_owner(const std::string& id, T unavailable, Fn fn) {
  auto image = _partitions.image();
  const cluster::topic_info* topic = image ? image->find_topic(transaction_topic) : nullptr;
  if (!topic) {
    error_code created = co_await ensure_topic();
    if (created != error_code::none) co_return unavailable;
    image = _partitions.image();
    topic = image ? image->find_topic(transaction_topic) : nullptr;
  }
  if (!topic || topic->partition_count <= 0) co_return unavailable;
  const int32_t p = partition_for_group(id, topic->partition_count);
  const unsigned shard = _partitions.shard_of(topic->id, model::partition_id(p));
  std::vector<unsigned> shards{shard};
  auto results = co_await net::on_shards<T>(
      _shards, shards, [this, &fn, p, shard](size_t) -> net::awaitable<T> {
        shard_state& st = *_state[shard];
        error_code e = error_code::none;
        partition_state* ps = st.stopped ? nullptr : load(st, p, e);
        if (st.stopped) e = error_code::not_coordinator;
        co_return co_await fn(st, ps, e);
      });
  co_return std::move(results[0]);
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
            ps.index, id, protocol::error_name(outcome.error), outcome.message);
  co_return error_code::coordinator_not_available;
}

net::awaitable<txn_coordinator::marker_round> txn_coordinator::write_markers(
    const txn_value& v, bool commit) {
  marker_round round;
  auto image = _partitions.image();
  // The partitions of each shard get their markers together and wait for one group commit.
  std::map<unsigned, std::vector<partition_key>> by_shard;
  for (const auto& k : v.partitions) {
    const cluster::topic_info* t = image ? image->find_topic(k.first) : nullptr;
    if (!t || k.second < 0 || k.second >= t->partition_count) {
      // As Kafka: a deleted topic's partitions need no marker.
      log::info("coord", "transaction of producer {}: {}-{} no longer exists; no marker",
                v.producer_id, k.first, k.second);
      continue;
    }
    by_shard[_partitions.shard_of(t->id, model::partition_id(k.second))].push_back(k);
  }
  if (by_shard.empty()) co_return round;
  std::vector<std::vector<partition_key>> lists;
  for (auto& [s, l] : by_shard) {
    round.shards.push_back(s);
    lists.push_back(std::move(l));
  }
  const auto pid = model::producer_id(v.producer_id);
  const auto epoch = model::producer_epoch(v.producer_epoch);
  const auto result = commit ? cluster::txn_result::commit : cluster::txn_result::abort;
  using shard_written = std::pair<bool, std::vector<marker_round::written>>;
  auto per_shard = co_await net::on_shards<shard_written>(
      _shards, round.shards, [&](size_t i) -> net::awaitable<shard_written> {
        shard_written out{true, {}};
        for (const auto& k : lists[i]) {
          auto p = _partitions.find_shared(k.first, model::partition_id(k.second));
          if (!p) {
            out.first = false;  // not open here (yet): the tick tries again
            continue;
          }
          auto o = p->write_marker_now(pid, epoch, result, p->leader_epoch()());
          if (o.error == error_code::invalid_producer_epoch) {
            // A newer epoch of this producer ended the transaction here already.
            log::warn("coord", "{}-{}: marker skipped: {}", k.first, k.second, o.message);
            continue;
          }
          if (o.error != error_code::none) {
            log::warn("coord", "{}-{}: marker not written: {} {}", k.first, k.second,
                      protocol::error_name(o.error), o.message);
            out.first = false;
            continue;
          }
          p->request_flush();
          // Visible from now on, as the marker is to fetches: the transaction's offsets too.
          if (k.first == offsets_topic && _groups) {
            _groups->txn_marker_written(k.second, v.producer_id, commit);
          }
          out.second.push_back({k, std::move(p), std::move(o)});
        }
        co_return out;
      });
  for (auto& [ok, written] : per_shard) {
    round.ok = round.ok && ok;
    round.pending.push_back(std::move(written));
  }
  co_return round;
}

net::awaitable<bool> txn_coordinator::markers_durable(marker_round& round) {
  if (round.shards.empty()) co_return round.ok;
  auto done = co_await net::on_shards<int>(
      _shards, round.shards, [&](size_t i) -> net::awaitable<int> {
        bool ok = true;
        for (auto& w : round.pending[i]) {
          auto task = w.partition->durable(std::move(w.outcome));
          cluster::append_outcome d = co_await std::move(task);
          if (d.error != error_code::none) {
            log::warn("coord", "{}-{}: marker not durable: {}", w.key.first, w.key.second,
                      protocol::error_name(d.error));
            ok = false;
          }
        }
        co_return ok ? 1 : 0;
      });
  bool ok = round.ok;
  for (int d : done) ok = ok && d;
  co_return ok;
}

void txn_coordinator::grant_partitions(const std::vector<partition_key>& partitions,
                                       int64_t producer_id, int16_t producer_epoch) {
  auto image = _partitions.image();
  for (const auto& k : partitions) {
    const cluster::topic_info* t = image ? image->find_topic(k.first) : nullptr;
    if (!t || k.second < 0 || k.second >= t->partition_count) continue;
    const unsigned s = _partitions.shard_of(t->id, model::partition_id(k.second));
    // The partition manager, not `this`: a test may replace the coordinator meanwhile.
    auto grant = [&pm = _partitions, k, producer_id, producer_epoch] {
      if (auto p = pm.find_shared(k.first, model::partition_id(k.second))) {
        p->grant_txn(model::producer_id(producer_id), model::producer_epoch(producer_epoch));
      }
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
  auto round = co_await write_markers(e->v, e->v.status == txn_status::prepare_commit);
  co_return co_await finish(ps, std::move(e), std::move(round));
}

net::awaitable<bool> txn_coordinator::finish(partition_state& ps, std::shared_ptr<entry> e,
                                             marker_round round) {
  const bool commit = e->v.status == txn_status::prepare_commit;
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
  e->last_epoch = -1;
  auto done = complete(ps, e);
  co_return co_await std::move(done) ? error_code::none : error_code::concurrent_transactions;
}

net::awaitable<init_pid_result> txn_coordinator::init_producer_id(std::string id,
                                                                  int32_t timeout_ms,
                                                                  int64_t producer_id,
                                                                  int16_t producer_epoch) {
  init_pid_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  if (timeout_ms <= 0 || timeout_ms > _config.max_timeout_ms) {
    unavailable.error = error_code::invalid_transaction_timeout;
    co_return unavailable;
  }
  co_return co_await on_owner<init_pid_result>(
      id, unavailable,
      [&](shard_state&, partition_state* ps, error_code err) -> net::awaitable<init_pid_result> {
        init_pid_result r;
        if (!ps) {
          r.error = err;
          co_return r;
        }
        bool still_busy = false;
        std::shared_ptr<entry> e = co_await idle_entry(*ps, id, still_busy);
        if (still_busy) {
          r.error = error_code::concurrent_transactions;
          co_return r;
        }
        if (e && producer_id != -1) {
          if (producer_id == e->v.producer_id && producer_epoch == e->last_epoch &&
              e->last_epoch >= 0 && e->v.status == txn_status::empty) {
            // A retry of the bump we answered already (its response was lost).
            r.producer_id = e->v.producer_id;
            r.producer_epoch = e->v.producer_epoch;
            co_return r;
          }
          if (producer_id != e->v.producer_id || producer_epoch != e->v.producer_epoch) {
            r.error = error_code::producer_fenced;
            co_return r;
          }
        } else if (!e && producer_id != -1) {
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
        auto release = [&] {
          e->release();
          if (fresh) {
            auto again = ps->txns.find(id);
            if (again != ps->txns.end() && again->second == e) ps->txns.erase(again);
          }
        };
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
        txn_value v = e->v;
        const int16_t old_epoch = v.producer_epoch;
        if (fresh || v.producer_epoch >= epoch_max - 1) {
          // A new id: the first InitProducerId, or the epoch is exhausted.
          auto alloc = _metadata.allocate_producer_id();
          cluster::producer_id_result a = co_await std::move(alloc);
          if (!a.ok()) {
            log::warn("coord", "InitProducerId {}: {}", id, a.message.value_or("no producer id"));
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
        auto task = write_state(*ps, id, v, cluster::acks_mode::all);
        if (error_code w = co_await std::move(task); w != error_code::none) {
          release();
          r.error = w;
          co_return r;
        }
        e->last_epoch = v.producer_id == e->v.producer_id && !fresh ? old_epoch : -1;
        e->v = std::move(v);
        e->release();
        r.producer_id = e->v.producer_id;
        r.producer_epoch = e->v.producer_epoch;
        co_return r;
      });
}

net::awaitable<error_code> txn_coordinator::add_partitions(std::string id, int64_t producer_id,
                                                           int16_t producer_epoch,
                                                           std::vector<partition_key> partitions) {
  co_return co_await on_owner<error_code>(
      id, error_code::coordinator_not_available,
      [&](shard_state&, partition_state* ps, error_code err) -> net::awaitable<error_code> {
        if (!ps) co_return err;
        auto [e, refused] = co_await idle_entry_of(*ps, id, producer_id, producer_epoch);
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
          grant_partitions(partitions, e->v.producer_id, e->v.producer_epoch);
        }
        e->release();
        co_return w;
      });
}

net::awaitable<error_code> txn_coordinator::verify_partition(std::string id, int64_t producer_id,
                                                             int16_t producer_epoch,
                                                             partition_key partition) {
  co_return co_await on_owner<error_code>(
      id, error_code::coordinator_not_available,
      [&](shard_state&, partition_state* ps, error_code err) -> net::awaitable<error_code> {
        if (!ps) co_return err;
        auto confirmed = [&](const entry& e) {
          return !e.ending && e.v.status == txn_status::ongoing &&
                 e.v.partitions.contains(partition);
        };
        // The common case answers at once, even while an AddPartitionsToTxn for other
        // partitions is being written (the producer registers partitions as it meets them).
        auto it = ps->txns.find(id);
        if (it != ps->txns.end() && check_producer(it->second->v, producer_id, producer_epoch) ==
                                        error_code::none &&
            confirmed(*it->second)) {
          co_return error_code::none;
        }
        // Else an operation in flight may be adding this very partition: wait for it.
        auto [e, refused] = co_await idle_entry_of(*ps, id, producer_id, producer_epoch);
        if (!e) co_return refused;
        co_return confirmed(*e) ? error_code::none : error_code::invalid_txn_state;
      });
}

net::awaitable<error_code> txn_coordinator::end_txn(std::string id, int64_t producer_id,
                                                    int16_t producer_epoch, bool commit) {
  co_return co_await on_owner<error_code>(
      id, error_code::coordinator_not_available,
      [&](shard_state& st, partition_state* ps, error_code err) -> net::awaitable<error_code> {
        if (!ps) co_return err;
        auto [e, refused] = co_await idle_entry_of(*ps, id, producer_id, producer_epoch);
        if (!e) co_return refused;
        // Kafka's table (TransactionCoordinator.endTransaction): a retried EndTxn of a finished
        // transaction succeeds; the opposite decision, or none to make, is INVALID_TXN_STATE.
        switch (e->v.status) {
          case txn_status::ongoing:
            break;
          case txn_status::complete_commit:
            co_return commit ? error_code::none : error_code::invalid_txn_state;
          case txn_status::complete_abort:
            co_return commit ? error_code::invalid_txn_state : error_code::none;
          case txn_status::prepare_commit:
            co_return commit ? error_code::concurrent_transactions
                             : error_code::invalid_txn_state;
          case txn_status::prepare_abort:
            co_return commit ? error_code::invalid_txn_state
                             : error_code::concurrent_transactions;
          default:
            co_return error_code::invalid_txn_state;
        }
        txn_value v = e->v;
        v.status = commit ? txn_status::prepare_commit : txn_status::prepare_abort;
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
        // The decision is durable: whatever happens to the markers now, the answer is yes (a
        // marker that cannot be written yet is retried by the tick, as after a crash). As
        // Kafka, the answer does not wait for the markers to reach the disk; unlike Kafka, it
        // waits for them to be written, so a client that commits and then reads sees its
        // transaction. The entry stays busy until Complete* is written: the producer's next
        // request waits for that (idle_entry) instead of bouncing off CONCURRENT_TRANSACTIONS.
        auto round = co_await write_markers(e->v, commit);
        std::shared_ptr<shard_state> home = _state[st.shard];
        home->begin_work();
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [](txn_coordinator* self, std::shared_ptr<shard_state> home, partition_state* ps,
               std::shared_ptr<entry> e, marker_round round) -> net::awaitable<void> {
              co_await self->finish(*ps, e, std::move(round));
              e->release();
              home->end_work();
            }(this, home, ps, e, std::move(round)),
            asio::detached);
        co_return error_code::none;
      });
}

namespace {

described_txn describe_entry(const std::string& id, const txn_value& v) {
  described_txn d;
  d.transactional_id = id;
  d.status = v.status;
  d.timeout_ms = v.timeout_ms;
  d.start_ms = v.start_ms;
  d.producer_id = v.producer_id;
  d.producer_epoch = v.producer_epoch;
  d.partitions = v.partitions;
  return d;
}

}  // namespace

net::awaitable<described_txn> txn_coordinator::describe(std::string id) {
  described_txn unavailable;
  unavailable.transactional_id = id;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await on_owner<described_txn>(
      id, unavailable,
      [&](shard_state&, partition_state* ps, error_code err) -> net::awaitable<described_txn> {
        described_txn d;
        d.transactional_id = id;
        if (!ps) {
          d.error = err;
          co_return d;
        }
        auto it = ps->txns.find(id);
        if (it == ps->txns.end()) {
          d.error = error_code::transactional_id_not_found;
          co_return d;
        }
        co_return describe_entry(id, it->second->v);
      });
}

net::awaitable<std::vector<described_txn>> txn_coordinator::list(list_txn_filter filter) {
  std::vector<unsigned> shards;
  for (unsigned s = 0; s < _shards.size(); ++s) shards.push_back(s);
  const int64_t now = now_ms();
  auto per_shard = co_await net::on_shards<std::vector<described_txn>>(
      _shards, shards, [&](size_t i) -> net::awaitable<std::vector<described_txn>> {
        std::vector<described_txn> out;
        shard_state& st = *_state[shards[i]];
        for (auto& [_, ps] : st.partitions) {
          if (!ps->log) continue;
          for (auto& [id, e] : ps->txns) {
            const txn_value& v = e->v;
            if (!filter.states.empty() &&
                std::find(filter.states.begin(), filter.states.end(), v.status) ==
                    filter.states.end()) {
              continue;
            }
            if (!filter.producer_ids.empty() &&
                std::find(filter.producer_ids.begin(), filter.producer_ids.end(),
                          v.producer_id) == filter.producer_ids.end()) {
              continue;
            }
            if (filter.min_duration_ms >= 0 &&
                (v.start_ms < 0 || now - v.start_ms < filter.min_duration_ms)) {
              continue;
            }
            out.push_back(describe_entry(id, v));
          }
        }
        co_return out;
      });
  std::vector<described_txn> all;
  for (auto& v : per_shard) {
    for (auto& d : v) all.push_back(std::move(d));
  }
  co_return all;
}

net::awaitable<void> txn_coordinator::tick(std::shared_ptr<shard_state> st) {
  const int64_t now = now_ms();
  const bool check_timeouts = now >= st->next_abort_check_ms;
  if (check_timeouts) st->next_abort_check_ms = now + _config.abort_check_interval_ms;
  const bool check_expiry = now >= st->next_expiration_check_ms;
  if (check_expiry) st->next_expiration_check_ms = now + _config.expiration_check_interval_ms;
  // Collected first: the work below awaits, and the maps may change meanwhile.
  std::vector<std::pair<partition_state*, std::shared_ptr<entry>>> to_complete, to_abort,
      to_expire;
  for (auto& [_, ps] : st->partitions) {
    if (!ps->log) continue;
    for (auto& [id, e] : ps->txns) {
      if (e->busy) continue;
      const txn_value& v = e->v;
      if (is_prepare(v.status) && now >= e->retry_at_ms) {
        to_complete.emplace_back(ps.get(), e);
      } else if (check_timeouts && v.status == txn_status::ongoing && v.start_ms >= 0 &&
                 now - v.start_ms > v.timeout_ms) {
        to_abort.emplace_back(ps.get(), e);
      } else if (check_expiry && is_done(v.status) &&
                 now - v.last_update_ms >= _config.id_expiration_ms) {
        to_expire.emplace_back(ps.get(), e);
      }
    }
  }
  for (auto& [ps, e] : to_complete) {
    if (e->busy || st->stopped) continue;
    e->busy = true;
    auto task = complete(*ps, e);
    co_await std::move(task);
    e->release();
  }
  for (auto& [ps, e] : to_abort) {
    if (e->busy || st->stopped || e->v.status != txn_status::ongoing) continue;
    log::info("coord", "transaction of {} (producer {} epoch {}) timed out after {} ms: aborted",
              e->id, e->v.producer_id, e->v.producer_epoch, e->v.timeout_ms);
    e->busy = true;
    auto task = fence_and_abort(*ps, e);
    co_await std::move(task);
    e->release();
  }
  for (auto& [ps, e] : to_expire) {
    if (e->busy || st->stopped || !is_done(e->v.status)) continue;
    std::shared_ptr<cluster::partition> log = ps->log;
    if (!log || log->closed()) continue;
    record_list records;
    records.emplace_back(encode_txn_key(e->id), std::nullopt);
    auto batch = build_coordinator_batch(records, now);
    e->busy = true;
    auto outcome = co_await log->append(std::span<std::byte>(batch), cluster::acks_mode::all);
    e->release();
    if (outcome.error != error_code::none) continue;
    auto it = ps->txns.find(e->id);
    if (it != ps->txns.end() && it->second == e) ps->txns.erase(it);
  }
}

net::awaitable<void> txn_coordinator::tick_loop(txn_coordinator* self,
                                                std::shared_ptr<shard_state> st) {
  while (!st->stopped) {
    st->timer->expires_after(std::chrono::milliseconds(
        std::min(self->_config.marker_retry_ms, self->_config.abort_check_interval_ms)));
    std::error_code ec;
    co_await st->timer->async_wait(asio::redirect_error(net::use_awaitable, ec));
    if (st->stopped) break;
    st->begin_work();
    co_await self->tick(st);
    st->end_work();
  }
}

void txn_coordinator::start() {
  std::vector<std::future<void>> done;
  for (auto& stp : _state) {
    std::shared_ptr<shard_state> st = stp;
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(_shards.shard(st->shard), [this, st, promise] {
      st->timer = std::make_unique<asio::steady_timer>(_shards.shard(st->shard));
      const int64_t now = now_ms();
      st->next_abort_check_ms = now + _config.abort_check_interval_ms;
      st->next_expiration_check_ms = now + _config.expiration_check_interval_ms;
      auto image = _partitions.image();
      if (const auto* t = image ? image->find_topic(transaction_topic) : nullptr) {
        for (int32_t p = 0; p < t->partition_count; ++p) {
          if (_partitions.shard_of(t->id, model::partition_id(p)) != st->shard) continue;
          error_code e = error_code::none;
          load(*st, p, e);
        }
      }
      asio::co_spawn(_shards.shard(st->shard), tick_loop(this, st), asio::detached);
      promise->set_value();
    });
  }
  for (auto& f : done) f.get();
}

void txn_coordinator::stop() {
  std::vector<std::future<void>> done;
  for (auto& st : _state) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(_shards.shard(st->shard), [st, promise] {
      st->stopped = true;
      if (st->timer) st->timer->cancel();
      if (st->running == 0) {
        promise->set_value();
      } else {
        st->on_idle = [promise] { promise->set_value(); };
      }
    });
  }
  for (auto& f : done) f.get();
}

}  // namespace vltava::coord
