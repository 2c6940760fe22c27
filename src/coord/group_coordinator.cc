#include "coord/group_coordinator.h"

#include <chrono>
#include <random>

#include "base/log.h"
#include "coord/coordinator_batch.h"
#include "coord/replay.h"
#include "net/shard_calls.h"
#include "protocol/generated/consumer_protocol_assignment.h"
#include "protocol/generated/consumer_protocol_subscription.h"
#include "protocol/writer.h"

namespace vltava::coord {
namespace {

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A deferred answer (JoinGroup, SyncGroup) on one shard: the group's callback fills it, the
// waiting request wakes. Both happen on the shard that owns the group.
template <typename T>
class reply {
 public:
  explicit reply(asio::any_io_executor ex) : _timer(std::move(ex)) {}
  void set(T v) {
    _value = std::move(v);
    _timer.cancel();
  }
  net::awaitable<T> wait() {
    while (!_value) {
      _timer.expires_at(asio::steady_timer::time_point::max());
      std::error_code ec;
      co_await _timer.async_wait(asio::redirect_error(net::use_awaitable, ec));
    }
    co_return std::move(*_value);
  }

 private:
  asio::steady_timer _timer;
  std::optional<T> _value;
};

std::string random_uuid(std::mt19937_64& rng) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 32; ++i) {
    uint64_t& src = i < 16 ? a : b;
    out += hex[src & 0xF];
    src >>= 4;
    if (i == 7 || i == 11 || i == 15 || i == 19) out += '-';
  }
  return out;
}

// Kafka names its assignors by class in group.consumer.assignors; members name them short.
std::string short_assignor_name(const std::string& configured) {
  if (configured.ends_with(".UniformAssignor")) return std::string(uniform_assignor);
  if (configured.ends_with(".RangeAssignor")) return std::string(range_assignor);
  return configured;
}

}  // namespace

coordinator_config coordinator_config::from(const config::config_set& c) {
  coordinator_config out;
  namespace keys = config::broker_keys;
  out.groups.min_session_timeout_ms = c.get(keys::group_min_session_timeout_ms);
  out.groups.max_session_timeout_ms = c.get(keys::group_max_session_timeout_ms);
  out.groups.max_size = c.get(keys::group_max_size);
  out.groups.initial_rebalance_delay_ms = c.get(keys::group_initial_rebalance_delay_ms);
  out.offsets_partitions = c.get(keys::offsets_topic_num_partitions);
  out.offsets_segment_bytes = c.get(keys::offsets_topic_segment_bytes);
  out.offsets_replication_factor = c.get(keys::offsets_topic_replication_factor);
  out.offset_metadata_max_bytes = c.get(keys::offset_metadata_max_bytes);
  out.offsets_retention_ms = int64_t{c.get(keys::offsets_retention_minutes)} * config::minute_ms;
  out.retention_check_interval_ms = c.get(keys::offsets_retention_check_interval_ms);
  out.consumer_groups.session_timeout_ms = c.get(keys::group_consumer_session_timeout_ms);
  out.consumer_groups.heartbeat_interval_ms = c.get(keys::group_consumer_heartbeat_interval_ms);
  out.consumer_groups.max_size = c.get(keys::group_consumer_max_size);
  out.consumer_groups.assignors.clear();
  for (const auto& a : c.get(keys::group_consumer_assignors)) {
    // Only the assignors this broker has; none known leaves the default (uniform).
    std::string name = short_assignor_name(a);
    if (is_known_assignor(name)) out.consumer_groups.assignors.push_back(std::move(name));
  }
  if (out.consumer_groups.assignors.empty()) {
    out.consumer_groups.assignors.emplace_back(uniform_assignor);
  }
  return out;
}

struct group_coordinator::partition_state : coordinated_partition {
  std::map<std::string, std::unique_ptr<group>, std::less<>> groups;
  // Classic groups taken over by the consumer protocol since their last record: their classic
  // group metadata gets a tombstone with the consumer group's first records.
  std::set<std::string> converted;
};

struct group_coordinator::shard_state {
  explicit shard_state(unsigned s) : rng(std::random_device{}() + s) {
    ids = [this](std::string_view client_id) {
      return std::string(client_id) + "-" + random_uuid(rng);
    };
  }
  std::mt19937_64 rng;
  member_id_source ids;
  bool draining = false;  // stop_waiters: JoinGroup/SyncGroup answer NOT_COORDINATOR
  int64_t next_retention_check_ms = 0;
};

group_coordinator::group_coordinator(net::shard_pool& shards,
                                     cluster::partition_manager& partitions,
                                     cluster::metadata_store& metadata, coordinator_config config,
                                     clock_fn clock)
    : _shards(shards),
      _partitions(partitions),
      _config(config),
      _clock(clock ? std::move(clock) : clock_fn(&system_now_ms)) {
  const int64_t first_retention_check_ms = now_ms() + _config.retention_check_interval_ms;
  for (unsigned s = 0; s < shards.size(); ++s) {
    _state.push_back(std::make_unique<shard_state>(s));
    _state.back()->next_retention_check_ms = first_retention_check_ms;
  }
  coordinator_partitions<partition_state>::callbacks calls;
  calls.replay = [this](unsigned shard, partition_state& ps, cluster::partition& log) {
    return replay(shard, ps, log);
  };
  calls.drop = [this](partition_state& ps) { drop(ps); };
  calls.tick = [this](unsigned shard) { return tick(shard); };
  calls.tick_interval = std::chrono::milliseconds(_config.tick_ms);
  // A commit acknowledged once two replicas hold it (when there are two), as Vltava's
  // transaction log; Kafka leaves __consumer_offsets at the broker's min.insync.replicas.
  internal_topic_spec spec{offsets_topic, _config.offsets_partitions, _config.offsets_segment_bytes,
                           static_cast<int16_t>(_config.offsets_replication_factor), 2};
  _coordinated = std::make_unique<coordinator_partitions<partition_state>>(
      shards, partitions, metadata, spec, std::move(calls));
}

group_coordinator::~group_coordinator() = default;

std::optional<model::partition_id> group_coordinator::partition_of(
    std::string_view group_id) const {
  return _coordinated->topic().partition_of(group_id);
}

net::awaitable<error_code> group_coordinator::ensure_offsets_topic() {
  return _coordinated->topic().ensure_created();
}

net::awaitable<error_code> group_coordinator::partition_gained(model::partition_id p) {
  return _coordinated->gain(p);
}

net::awaitable<void> group_coordinator::partition_lost(model::partition_id p) {
  return _coordinated->lose(p);
}

namespace {

topic_catalog catalog_of(const cluster::image_ptr& image) {
  topic_catalog out;
  if (!image) return out;
  for (const auto& [name, t] : image->topics) {
    out.emplace(name, catalog_topic{t.id, t.partition_count, t.internal});
  }
  return out;
}

}  // namespace

std::unique_ptr<consumer_group> group_coordinator::restore_consumer_group(
    const std::string& id, const replayed_consumer_group& rc, const topic_catalog& topics) {
  auto c = std::make_unique<consumer_group>(id, _config.consumer_groups);
  c->restore_epochs(*rc.group_epoch, rc.assignment_epoch.value_or(0));
  const int64_t now = now_ms();
  for (const auto& [member_id, meta] : rc.members) {
    auto cur = rc.current.find(member_id);
    c->restore_member(
        from_records(member_id, meta, cur == rc.current.end() ? nullptr : &cur->second), now);
  }
  for (const auto& [member_id, t] : rc.targets) {
    if (rc.members.contains(member_id)) c->restore_target(member_id, t);
  }
  c->restore_subscription_metadata(topics);
  return c;
}

error_code group_coordinator::replay(unsigned shard, partition_state& ps, cluster::partition& log) {
  replay_state rs;
  const model::topic_partition tp{std::string(offsets_topic), ps.id};
  error_code e = replay_log(
      log, tp, [&rs](std::span<const std::byte> batches) { return apply_batches(rs, batches); });
  if (e != error_code::none) return e;
  if (rs.skipped > 0) {
    log::warn("coord", "{}: {} of {} records skipped (last: {})", tp.describe(), rs.skipped,
              rs.records, rs.last_error);
  }
  const topic_catalog topics = catalog_of(_partitions.image());
  for (auto& [id, rg] : rs.groups) {
    const bool consumer = rg.consumer && rg.consumer->group_epoch;
    if (!rg.metadata && rg.offsets.empty() && rg.pending.empty() && !consumer) continue;
    auto g = std::make_unique<group>(id, _config.groups, _state[shard]->ids);
    if (rg.metadata) g->restore(*rg.metadata);
    if (consumer) {
      g->set_consumer(restore_consumer_group(id, *rg.consumer, topics));
    }
    g->offsets() = std::move(rg.offsets);
    g->pending_txn_offsets() = std::move(rg.pending);
    ps.groups.emplace(id, std::move(g));
  }
  if (!ps.groups.empty()) {
    log::info("coord", "{}: loaded {} groups from {} records", tp.describe(), ps.groups.size(),
              rs.records);
  }
  return error_code::none;
}

void group_coordinator::drop(partition_state& ps) {
  for (auto& [_, g] : ps.groups) {
    g->fail_waiters(error_code::not_coordinator);
    g->mark_dead();
  }
  ps.groups.clear();
}

net::awaitable<error_code> group_coordinator::append(partition_state& ps,
                                                     std::vector<std::byte> batch,
                                                     cluster::append_origin origin) {
  std::shared_ptr<cluster::partition> log = ps.log;
  if (!log || log->closed()) co_return error_code::not_coordinator;
  auto outcome = co_await log->append(std::span<std::byte>(batch), cluster::acks_mode::all, origin);
  switch (outcome.error) {
    case error_code::none:
      co_return error_code::none;
    case error_code::invalid_producer_epoch:
      co_return error_code::producer_fenced;  // a newer instance of the transactional producer
    case error_code::message_too_large:
    case error_code::record_list_too_large:
    case error_code::invalid_fetch_size:
      co_return error_code::invalid_commit_offset_size;
    case error_code::not_leader_or_follower:
      co_return error_code::not_coordinator;
    default:
      log::warn("coord", "{}-{}: append failed: {} {}", offsets_topic, ps.id(),
                protocol::error_name(outcome.error), outcome.message);
      co_return error_code::coordinator_not_available;
  }
}

namespace {

// Group metadata written in the background (persist_group).
net::awaitable<void> append_group_metadata(std::shared_ptr<cluster::partition> log,
                                           std::vector<std::byte> batch, model::partition_id p) {
  auto outcome = co_await log->append(std::span<std::byte>(batch), cluster::acks_mode::all);
  if (outcome.error != error_code::none) {
    log::warn("coord", "{}-{}: group metadata not written: {}", offsets_topic, p(),
              protocol::error_name(outcome.error));
  }
}

}  // namespace

namespace {

// Every record of a consumer group as it is now, and tombstones for its members removed since
// the last write (compaction keeps the newest per key).
void consumer_group_records(consumer_group& c, record_list& records) {
  const std::string& id = c.id();
  using k = consumer_record;
  for (const auto& gone : c.take_removed()) {
    for (auto t : {k::member_metadata, k::target_member, k::current_assignment}) {
      records.emplace_back(encode_key(consumer_group_key{t, id, gone}), std::nullopt);
    }
  }
  for (const auto& [member_id, m] : c.members()) {
    records.emplace_back(encode_key(consumer_group_key{k::member_metadata, id, member_id}),
                         encode_value(to_record(m)));
  }
  records.emplace_back(encode_key(consumer_group_key{k::group_metadata, id, {}}),
                       encode_epoch_value(c.group_epoch()));
  for (const auto& [member_id, t] : c.target()) {
    records.emplace_back(encode_key(consumer_group_key{k::target_member, id, member_id}),
                         encode_target_value(t));
  }
  records.emplace_back(encode_key(consumer_group_key{k::target_metadata, id, {}}),
                       encode_epoch_value(c.assignment_epoch()));
  for (const auto& [member_id, m] : c.members()) {
    records.emplace_back(encode_key(consumer_group_key{k::current_assignment, id, member_id}),
                         encode_value(to_assignment_record(m)));
  }
}

// The group-level tombstones Kafka writes when a consumer group goes away.
void consumer_group_tombstones(const std::string& id, record_list& records) {
  using k = consumer_record;
  for (auto t : {k::target_metadata, k::partition_metadata, k::group_metadata}) {
    records.emplace_back(encode_key(consumer_group_key{t, id, {}}), std::nullopt);
  }
}

}  // namespace

void group_coordinator::persist_group(partition_state& ps, group& g) {
  if (!g.take_dirty() || !ps.log) return;
  record_list records;
  records.emplace_back(encode_key(group_key{g.id()}), encode_value(g.to_record()));
  auto batch = build_coordinator_batch(records, now_ms());
  // Clients never wait for this record (a lost one only means a restarted broker starts the
  // group one generation back); offsets, which they do wait for, are written in line.
  asio::co_spawn(_shards.shard(_partitions.shard_of(ps.log->topic_id(), ps.id)),
                 append_group_metadata(ps.log, std::move(batch), ps.id), asio::detached);
}

net::awaitable<join_result> group_coordinator::join(std::string group_id, join_request req) {
  join_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.member_id = req.member_id;
  co_return co_await _coordinated->on_owner<join_result>(
      group_id, unavailable,
      [this, &group_id, &req](owner at) { return join_on_owner(at, group_id, req); });
}

net::awaitable<join_result> group_coordinator::join_on_owner(owner at, const std::string& group_id,
                                                             join_request& req) {
  join_result r;
  r.member_id = req.member_id;
  partition_state* ps = at.partition;
  shard_state& st = *_state[at.shard];
  if (!ps || st.draining) {
    r.error = ps ? error_code::not_coordinator : at.error;
    co_return r;
  }
  auto it = ps->groups.find(group_id);
  bool created = false;
  if (it == ps->groups.end()) {
    if (!req.member_id.empty()) {
      r.error = error_code::unknown_member_id;
      co_return r;
    }
    it = ps->groups.emplace(group_id, std::make_unique<group>(group_id, _config.groups, st.ids))
             .first;
    created = true;
  }
  group& g = *it->second;
  if (g.consumer()) {
    // KIP-848: a consumer group with members does not take classic members (no migration);
    // an empty one turns back into a classic group.
    if (!g.consumer()->members().empty()) {
      r.error = error_code::inconsistent_group_protocol;
      co_return r;
    }
    g.set_consumer(nullptr);
    if (ps->log) {
      record_list records;
      consumer_group_tombstones(group_id, records);
      asio::co_spawn(
          _shards.shard(at.shard),
          append_group_metadata(ps->log, build_coordinator_batch(records, now_ms()), ps->id),
          asio::detached);
    }
  }
  auto executor = co_await asio::this_coro::executor;
  auto slot = std::make_shared<reply<join_result>>(executor);
  g.join(std::move(req), now_ms(), [slot](join_result jr) { slot->set(std::move(jr)); });
  persist_group(*ps, g);
  if (created && g.member_count() == 0 && g.pending_count() == 0 && g.offsets().empty()) {
    ps->groups.erase(it);  // a refused first join leaves nothing behind
  }
  co_return co_await slot->wait();
}

net::awaitable<sync_result> group_coordinator::sync(std::string group_id, sync_request req) {
  sync_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await _coordinated->on_owner<sync_result>(
      group_id, unavailable,
      [this, &group_id, &req](owner at) { return sync_on_owner(at, group_id, req); });
}

net::awaitable<sync_result> group_coordinator::sync_on_owner(owner at, const std::string& group_id,
                                                             sync_request& req) {
  sync_result r;
  partition_state* ps = at.partition;
  if (!ps || _state[at.shard]->draining) {
    r.error = ps ? error_code::not_coordinator : at.error;
    co_return r;
  }
  auto it = ps->groups.find(group_id);
  if (it == ps->groups.end()) {
    r.error = error_code::unknown_member_id;
    co_return r;
  }
  group& g = *it->second;
  auto executor = co_await asio::this_coro::executor;
  auto slot = std::make_shared<reply<sync_result>>(executor);
  g.sync(std::move(req), now_ms(), [slot](sync_result sr) { slot->set(std::move(sr)); });
  persist_group(*ps, g);
  co_return co_await slot->wait();
}

net::awaitable<error_code> group_coordinator::heartbeat(std::string group_id, std::string member_id,
                                                        std::optional<std::string> instance,
                                                        int32_t generation) {
  co_return co_await _coordinated->on_owner<error_code>(
      group_id, error_code::coordinator_not_available, [&](owner at) {
        partition_state* ps = at.partition;
        if (!ps) return at.error;
        auto it = ps->groups.find(group_id);
        if (it == ps->groups.end()) return error_code::unknown_member_id;
        error_code r = it->second->heartbeat(member_id, instance, generation, now_ms());
        persist_group(*ps, *it->second);
        return r;
      });
}

net::awaitable<leave_result> group_coordinator::leave(
    std::string group_id, std::vector<std::pair<std::string, std::optional<std::string>>> members) {
  leave_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.members.assign(members.size(), error_code::coordinator_not_available);
  co_return co_await _coordinated->on_owner<leave_result>(group_id, unavailable, [&](owner at) {
    leave_result r;
    partition_state* ps = at.partition;
    if (!ps) {
      r.error = at.error;
      r.members.assign(members.size(), at.error);
      return r;
    }
    auto it = ps->groups.find(group_id);
    if (it == ps->groups.end()) {
      r.members.assign(members.size(), error_code::unknown_member_id);
      return r;
    }
    int64_t now = now_ms();
    for (const auto& [id, instance] : members) {
      r.members.push_back(it->second->leave(id, instance, now));
    }
    persist_group(*ps, *it->second);
    return r;
  });
}

namespace {

// The answers a commit has before its group is looked at: unknown partitions and oversized
// metadata are refused one by one.
std::vector<error_code> check_commit(const commit_request& req, const cluster::image_ptr& image,
                                     int32_t metadata_max_bytes) {
  std::vector<error_code> out(req.partitions.size(), error_code::none);
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& p = req.partitions[i];
    const cluster::topic_info* t = image ? image->find_topic(p.topic) : nullptr;
    if (!t || p.partition() < 0 || p.partition() >= t->partition_count) {
      out[i] = error_code::unknown_topic_or_partition;
    } else if (p.metadata && p.metadata->size() > static_cast<size_t>(metadata_max_bytes)) {
      out[i] = error_code::offset_metadata_too_large;
    }
  }
  return out;
}

bool is_transactional(const commit_request& req) {
  return req.producer_id >= model::producer_id(0);
}

}  // namespace

net::awaitable<std::vector<error_code>> group_coordinator::commit(commit_request req) {
  std::vector<error_code> checked =
      check_commit(req, _partitions.image(), _config.offset_metadata_max_bytes);
  co_return co_await _coordinated->on_owner<std::vector<error_code>>(
      req.group_id, std::vector<error_code>(checked.size(), error_code::coordinator_not_available),
      [this, &req, &checked](owner at) { return commit_on_owner(at, req, std::move(checked)); });
}

net::awaitable<std::vector<error_code>> group_coordinator::commit_on_owner(
    owner at, const commit_request& req, std::vector<error_code> out) {
  const size_t n = req.partitions.size();
  partition_state* ps = at.partition;
  if (!ps) co_return std::vector<error_code>(n, at.error);
  const std::string& group_id = req.group_id;
  const int64_t now = now_ms();
  auto it = ps->groups.find(group_id);
  bool created = false;
  if (it == ps->groups.end()) {
    if (req.generation_id >= 0)
      co_return std::vector<error_code>(n, error_code::illegal_generation);
    it = ps->groups
             .emplace(group_id,
                      std::make_unique<group>(group_id, _config.groups, _state[at.shard]->ids))
             .first;
    created = true;
  }
  const bool transactional = is_transactional(req);
  error_code ge = transactional ? it->second->validate_txn_commit(req.generation_id, req.member_id,
                                                                  req.group_instance_id)
                                : it->second->validate_commit(req.generation_id, req.member_id,
                                                              req.group_instance_id, now);
  if (ge != error_code::none) {
    if (created) ps->groups.erase(it);
    co_return std::vector<error_code>(n, ge);
  }
  record_list records;
  std::vector<std::pair<model::topic_partition, offset_value>> values;
  for (size_t i = 0; i < n; ++i) {
    if (out[i] != error_code::none) continue;
    const auto& p = req.partitions[i];
    offset_value v;
    v.offset = p.offset();
    v.leader_epoch = p.leader_epoch();
    v.metadata = p.metadata.value_or("");
    v.commit_timestamp_ms = now;
    records.emplace_back(encode_key(offset_key{group_id, p.topic, p.partition()}), encode_value(v));
    values.emplace_back(model::topic_partition{p.topic, p.partition}, std::move(v));
  }
  if (records.empty()) {
    if (created && it->second->offsets().empty()) ps->groups.erase(it);
    co_return out;
  }
  model::batch_options options;
  if (transactional) {
    // As Kafka's group coordinator: the producer's own id and epoch, trusted sequence.
    options.producer = req.producer_id;
    options.epoch = req.producer_epoch;
    options.base_sequence = model::sequence(0);
    options.transactional = model::is_transactional::yes;
  }
  auto task =
      append(*ps, build_coordinator_batch(records, now, options),
             transactional ? cluster::append_origin::coordinator : cluster::append_origin::client);
  error_code we = co_await std::move(task);
  auto again = ps->groups.find(group_id);  // the group may have gone meanwhile
  if (we != error_code::none) {
    for (auto& o : out) {
      if (o == error_code::none) o = we;
    }
    if (created && again != ps->groups.end() && again->second->offsets().empty() &&
        again->second->member_count() == 0) {
      ps->groups.erase(again);
    }
    co_return out;
  }
  if (again != ps->groups.end()) {
    auto& target = transactional ? again->second->pending_txn_offsets()[req.producer_id()]
                                 : again->second->offsets();
    for (auto& [k, v] : values) target[k] = std::move(v);
  }
  co_return out;
}

void group_coordinator::txn_marker_written(model::partition_id partition,
                                           model::producer_id producer,
                                           cluster::txn_result result) {
  std::optional<unsigned> shard = net::current_shard(_shards);
  VLTAVA_ASSERT(shard.has_value(), "txn_marker_written runs on a shard thread");
  partition_state* ps = _coordinated->find(*shard, partition);
  if (!ps) return;
  for (auto& [_, g] : ps->groups) {
    g->complete_txn(producer(), result == cluster::txn_result::commit);
  }
}

namespace {

fetched_offset fetched(const group* g, const model::topic_partition& k, const offset_value* v,
                       require_stable stable) {
  fetched_offset f;
  f.topic = k.topic;
  f.partition = k.partition;
  if (stable == require_stable::yes && g && g->has_pending_txn_offset(k)) {
    f.error = error_code::unstable_offset_commit;
  } else if (v) {
    f.offset = model::offset(v->offset);
    f.leader_epoch = model::leader_epoch(v->leader_epoch);
    f.metadata = v->metadata;
  }
  return f;
}

fetch_offsets_result fetch_from(const group* g,
                                const std::optional<std::vector<model::topic_partition>>& wanted,
                                require_stable stable) {
  fetch_offsets_result r;
  const std::map<model::topic_partition, offset_value>* offsets = g ? &g->offsets() : nullptr;
  if (!wanted) {
    if (offsets) {
      for (const auto& [k, v] : *offsets) r.offsets.push_back(fetched(g, k, &v, stable));
    }
    return r;
  }
  for (const auto& k : *wanted) {
    const offset_value* v = nullptr;
    if (offsets) {
      auto o = offsets->find(k);
      if (o != offsets->end()) v = &o->second;
    }
    r.offsets.push_back(fetched(g, k, v, stable));
  }
  return r;
}

}  // namespace

net::awaitable<fetch_offsets_result> group_coordinator::fetch_offsets(
    std::string group_id, std::optional<std::vector<model::topic_partition>> partitions,
    require_stable stable) {
  fetch_offsets_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await _coordinated->on_owner<fetch_offsets_result>(
      group_id, unavailable, [&](owner at) {
        if (!at.partition) {
          fetch_offsets_result r;
          r.error = at.error;
          return r;
        }
        auto it = at.partition->groups.find(group_id);
        const group* g = it == at.partition->groups.end() ? nullptr : it->second.get();
        return fetch_from(g, partitions, stable);
      });
}

net::awaitable<std::vector<listed_group>> group_coordinator::list_groups() {
  auto per_shard = co_await net::on_every_shard<std::vector<listed_group>>(
      _shards, [this](unsigned shard) { return groups_on(this, shard); });
  std::vector<listed_group> out;
  for (auto& v : per_shard) {
    for (auto& g : v) out.push_back(std::move(g));
  }
  co_return out;
}

net::awaitable<std::vector<listed_group>> group_coordinator::groups_on(group_coordinator* self,
                                                                       unsigned shard) {
  std::vector<listed_group> out;
  for (partition_state* ps : self->_coordinated->access_hosted(shard)) {
    for (const auto& [id, g] : ps->groups) {
      if (g->state() == group_state::dead) continue;
      out.push_back({id, g->protocol_type(), g->state(), std::string(g->state_text()),
                     std::string(g->group_type())});
    }
  }
  co_return out;
}

namespace {

// DescribeGroups of a consumer group (as Kafka 4.0): protocol type "consumer", the assignor as
// the protocol, each member's subscription and assignment in the classic consumer protocol's
// bytes (version 0), so classic admin clients show them.
void describe_consumer_members(const consumer_group& c, const topic_catalog& topics,
                               described_group& d) {
  d.protocol = c.assignor();
  std::map<protocol::uuid, std::string, uuid_less> names;
  for (const auto& [name, t] : topics) names[t.id] = name;
  for (const auto& [id, m] : c.members()) {
    member_summary s;
    s.member_id = id;
    s.group_instance_id = m.instance_id;
    s.client_id = m.client_id;
    s.client_host = m.client_host;
    protocol::consumer_protocol_subscription sub;
    sub.topics = m.subscribed_topic_names;
    protocol::writer ws;
    ws.write_fixed(int16_t{0});
    sub.encode(ws, 0);
    s.metadata = std::move(ws).take();
    protocol::consumer_protocol_assignment a;
    for (const auto& [t, ps] : m.assigned) {
      auto n = names.find(t);
      if (n == names.end()) continue;
      auto& tp = a.assigned_partitions.emplace_back();
      tp.topic = n->second;
      tp.partitions.assign(ps.begin(), ps.end());
    }
    protocol::writer wa;
    wa.write_fixed(int16_t{0});
    a.encode(wa, 0);
    s.assignment = std::move(wa).take();
    d.members.push_back(std::move(s));
  }
}

}  // namespace

net::awaitable<described_group> group_coordinator::describe(std::string group_id) {
  described_group unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.group_id = group_id;
  co_return co_await _coordinated->on_owner<described_group>(group_id, unavailable, [&](owner at) {
    described_group d;
    d.group_id = group_id;
    if (!at.partition) {
      d.error = at.error;
      return d;
    }
    auto it = at.partition->groups.find(group_id);
    if (it == at.partition->groups.end()) return d;  // Kafka: state Dead, no error
    const group& g = *it->second;
    d.state = g.state();
    d.state_text = std::string(g.state_text());
    d.protocol_type = g.protocol_type();
    if (const consumer_group* c = g.consumer()) {
      describe_consumer_members(*c, catalog_of(_partitions.image()), d);
      return d;
    }
    if (g.state() == group_state::stable && g.protocol_name()) d.protocol = *g.protocol_name();
    d.members = g.describe_members();
    return d;
  });
}

void group_coordinator::remove_group(partition_state& ps, const std::string& group_id,
                                     record_list& records) {
  auto it = ps.groups.find(group_id);
  if (it == ps.groups.end()) return;
  for (const auto& [k, _] : it->second->offsets()) {
    records.emplace_back(encode_key(offset_key{group_id, k.topic, k.partition()}), std::nullopt);
  }
  records.emplace_back(encode_key(group_key{group_id}), std::nullopt);
  if (consumer_group* c = it->second->consumer()) {
    c->take_removed();
    consumer_group_tombstones(group_id, records);
  }
  it->second->mark_dead();
  ps.groups.erase(it);
}

net::awaitable<error_code> group_coordinator::delete_group(std::string group_id) {
  co_return co_await _coordinated->on_owner<error_code>(
      group_id, error_code::coordinator_not_available,
      [this, &group_id](owner at) { return delete_group_on_owner(at, group_id); });
}

net::awaitable<error_code> group_coordinator::delete_group_on_owner(owner at,
                                                                    const std::string& group_id) {
  partition_state* ps = at.partition;
  if (!ps) co_return at.error;
  auto it = ps->groups.find(group_id);
  if (it == ps->groups.end() || it->second->state() == group_state::dead) {
    co_return error_code::group_id_not_found;
  }
  if (!it->second->without_members()) co_return error_code::non_empty_group;
  record_list records;
  remove_group(*ps, group_id, records);
  co_return co_await append(*ps, build_coordinator_batch(records, now_ms()));
}

net::awaitable<delete_offsets_result> group_coordinator::delete_offsets(
    std::string group_id, std::vector<model::topic_partition> partitions) {
  delete_offsets_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await _coordinated->on_owner<delete_offsets_result>(
      group_id, unavailable, [this, &group_id, &partitions](owner at) {
        return delete_offsets_on_owner(at, group_id, partitions);
      });
}

net::awaitable<delete_offsets_result> group_coordinator::delete_offsets_on_owner(
    owner at, const std::string& group_id, const std::vector<model::topic_partition>& parts) {
  delete_offsets_result r;
  partition_state* ps = at.partition;
  if (!ps) {
    r.error = at.error;
    co_return r;
  }
  auto it = ps->groups.find(group_id);
  if (it == ps->groups.end() || it->second->state() == group_state::dead) {
    r.error = error_code::group_id_not_found;
    co_return r;
  }
  group& g = *it->second;
  std::set<std::string> subscribed;
  if (!g.without_members()) {
    if (g.protocol_type() != "consumer") {
      r.error = error_code::non_empty_group;
      co_return r;
    }
    subscribed = g.subscribed_topics();
  }
  record_list records;
  for (const auto& k : parts) {
    if (subscribed.contains(k.topic)) {
      r.partitions.push_back(error_code::group_subscribed_to_topic);
      continue;
    }
    r.partitions.push_back(error_code::none);
    if (g.offsets().erase(k) > 0) {
      records.emplace_back(encode_key(offset_key{group_id, k.topic, k.partition()}), std::nullopt);
    }
  }
  if (!records.empty()) {
    error_code we = co_await append(*ps, build_coordinator_batch(records, now_ms()));
    if (we != error_code::none) r.error = we;
  }
  co_return r;
}

namespace {

// KIP-211: an empty group's offsets expire `retention_ms` after it became empty; a live
// consumer group's only for topics it no longer subscribes to. Tombstones for the expired ones
// go to `records`.
void expire_group_offsets(group& g, int64_t now_ms, int64_t retention_ms, record_list& records) {
  const bool empty = g.without_members();
  std::set<std::string> subscribed;
  if (!empty) {
    if (g.protocol_type() != "consumer") return;
    subscribed = g.subscribed_topics();
  }
  auto& offsets = g.offsets();
  for (auto o = offsets.begin(); o != offsets.end();) {
    int64_t base = o->second.commit_timestamp_ms;
    if (empty && !g.protocol_type().empty() && g.state_timestamp_ms() >= 0) {
      base = g.state_timestamp_ms();
    }
    bool expire = (empty || !subscribed.contains(o->first.topic)) && now_ms - base >= retention_ms;
    if (o->second.expire_timestamp_ms >= 0) expire = now_ms >= o->second.expire_timestamp_ms;
    if (!expire) {
      ++o;
      continue;
    }
    records.emplace_back(encode_key(offset_key{g.id(), o->first.topic, o->first.partition()}),
                         std::nullopt);
    o = offsets.erase(o);
  }
}

}  // namespace

void group_coordinator::expire_offsets(unsigned shard, int64_t now_ms) {
  for (partition_state* ps : _coordinated->loaded_on(shard)) {
    record_list records;
    std::vector<std::string> dead;
    for (auto& [id, g] : ps->groups) {
      expire_group_offsets(*g, now_ms, _config.offsets_retention_ms, records);
      if (g->without_members() && g->offsets().empty() && g->pending_count() == 0 &&
          g->pending_txn_offsets().empty()) {
        dead.push_back(id);
      }
    }
    for (const auto& id : dead) remove_group(*ps, id, records);
    if (records.empty()) continue;
    log::info("coord", "{}-{}: {} expired offsets and groups removed", offsets_topic, ps->id(),
              records.size());
    asio::co_spawn(_shards.shard(shard), append(*ps, build_coordinator_batch(records, now_ms)),
                   asio::detached);
  }
}

net::awaitable<void> group_coordinator::tick(unsigned shard) {
  const int64_t now = now_ms();
  for (partition_state* ps : _coordinated->loaded_on(shard)) {
    for (auto& [id, g] : ps->groups) {
      if (consumer_group* c = g->consumer()) {
        if (c->tick(now) > 0) log::info("coord", "group {}: members' sessions expired", id);
        persist_consumer_group(*ps, *g);
        continue;
      }
      g->tick(now);
      persist_group(*ps, *g);
    }
  }
  shard_state& st = *_state[shard];
  if (now >= st.next_retention_check_ms) {
    st.next_retention_check_ms = now + _config.retention_check_interval_ms;
    expire_offsets(shard, now);
  }
  co_return;
}

// KIP-848 ---------------------------------------------------------------------------------

void group_coordinator::persist_consumer_group(partition_state& ps, group& g) {
  consumer_group* c = g.consumer();
  if (!c || !c->take_dirty() || !ps.log) return;
  record_list records;
  // A classic group taken over: its classic metadata record goes.
  if (ps.converted.erase(g.id()) > 0) {
    records.emplace_back(encode_key(group_key{g.id()}), std::nullopt);
  }
  consumer_group_records(*c, records);
  auto batch = build_coordinator_batch(records, now_ms());
  asio::co_spawn(_shards.shard(_partitions.shard_of(ps.log->topic_id(), ps.id)),
                 append_group_metadata(ps.log, std::move(batch), ps.id), asio::detached);
}

net::awaitable<consumer_heartbeat_result> group_coordinator::consumer_group_heartbeat(
    std::string group_id, consumer_heartbeat hb) {
  consumer_heartbeat_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.member_id = hb.member_id;
  co_return co_await _coordinated->on_owner<consumer_heartbeat_result>(
      group_id, unavailable,
      [this, &group_id, &hb](owner at) { return consumer_heartbeat_on_owner(at, group_id, hb); });
}

consumer_heartbeat_result group_coordinator::consumer_heartbeat_on_owner(
    owner at, const std::string& group_id, const consumer_heartbeat& hb) {
  consumer_heartbeat_result r;
  r.member_id = hb.member_id;
  partition_state* ps = at.partition;
  if (!ps) {
    r.error = at.error;
    return r;
  }
  auto it = ps->groups.find(group_id);
  if (it == ps->groups.end()) {
    if (hb.member_epoch != 0) {
      r.error = error_code::group_id_not_found;  // Kafka: only epoch 0 creates the group
      r.message = "Consumer group " + group_id + " not found.";
      return r;
    }
    it = ps->groups
             .emplace(group_id,
                      std::make_unique<group>(group_id, _config.groups, _state[at.shard]->ids))
             .first;
  }
  group& g = *it->second;
  if (!g.consumer()) {
    if (!g.without_members() || g.state() == group_state::dead) {
      r.error = error_code::group_id_not_found;
      r.message = "Group " + group_id + " is not a consumer group.";
      return r;
    }
    // KIP-848: an empty classic group (offsets only) is taken over by the consumer protocol.
    g.set_consumer(std::make_unique<consumer_group>(group_id, _config.consumer_groups));
    ps->converted.insert(group_id);
  }
  shard_state& st = *_state[at.shard];
  const std::string new_id = random_uuid(st.rng);
  r = g.consumer()->heartbeat(hb, catalog_of(_partitions.image()), now_ms(), new_id);
  persist_consumer_group(*ps, g);
  if (g.consumer()->members().empty() && g.offsets().empty() && g.pending_txn_offsets().empty() &&
      hb.member_epoch == 0) {
    ps->groups.erase(it);  // a refused first join leaves nothing behind
  }
  return r;
}

net::awaitable<described_consumer_group> group_coordinator::describe_consumer_group(
    std::string group_id) {
  described_consumer_group unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.group_id = group_id;
  co_return co_await _coordinated->on_owner<described_consumer_group>(
      group_id, unavailable, [&](owner at) {
        described_consumer_group d;
        d.group_id = group_id;
        if (!at.partition) {
          d.error = at.error;
          return d;
        }
        auto it = at.partition->groups.find(group_id);
        if (it == at.partition->groups.end() || it->second->state() == group_state::dead) {
          d.error = error_code::group_id_not_found;
          d.message = "Group " + group_id + " not found.";
          return d;
        }
        const consumer_group* c = it->second->consumer();
        if (!c) {
          d.error = error_code::group_id_not_found;
          d.message = "Group " + group_id + " is not a consumer group.";
          return d;
        }
        d.state = std::string(state_name(c->state()));
        d.group_epoch = c->group_epoch();
        d.assignment_epoch = c->assignment_epoch();
        d.assignor = c->assignor();
        for (const auto& [_, m] : c->members()) d.members.push_back(m);
        d.targets = c->target();
        for (const auto& [name, t] : catalog_of(_partitions.image())) d.topic_names[t.id] = name;
        return d;
      });
}

void group_coordinator::start() {
  _coordinated->start();
}

void group_coordinator::drain(unsigned shard) {
  _state[shard]->draining = true;
  for (partition_state* ps : _coordinated->loaded_on(shard)) {
    for (auto& [id, g] : ps->groups) g->fail_waiters(error_code::not_coordinator);
  }
}

void group_coordinator::stop_waiters() {
  net::run_on_every_shard_and_wait(_shards, [this](unsigned shard) { drain(shard); });
}

void group_coordinator::stop() {
  stop_waiters();
  _coordinated->stop();
}

}  // namespace vltava::coord
