#include "coord/group_coordinator.h"

#include <chrono>
#include <future>
#include <random>

#include "base/log.h"
#include "coord/coordinator_batch.h"
#include "coord/replay.h"
#include "net/shard_calls.h"

namespace vltava::coord {
namespace {

constexpr uint64_t replay_chunk_bytes = 1024 * 1024;


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

}  // namespace

coordinator_config coordinator_config::from(const config::config_set& c) {
  coordinator_config out;
  out.groups.min_session_timeout_ms = static_cast<int32_t>(c.get_int("group.min.session.timeout.ms"));
  out.groups.max_session_timeout_ms = static_cast<int32_t>(c.get_int("group.max.session.timeout.ms"));
  out.groups.max_size = static_cast<int32_t>(c.get_int("group.max.size"));
  out.groups.initial_rebalance_delay_ms =
      static_cast<int32_t>(c.get_int("group.initial.rebalance.delay.ms"));
  out.offsets_partitions = static_cast<int32_t>(c.get_int("offsets.topic.num.partitions"));
  out.offsets_segment_bytes = static_cast<int32_t>(c.get_int("offsets.topic.segment.bytes"));
  out.offset_metadata_max_bytes = static_cast<int32_t>(c.get_int("offset.metadata.max.bytes"));
  out.offsets_retention_ms = c.get_int("offsets.retention.minutes") * 60'000;
  out.retention_check_interval_ms = c.get_int("offsets.retention.check.interval.ms");
  return out;
}

struct group_coordinator::partition_state {
  int32_t index = 0;
  std::shared_ptr<cluster::partition> log;
  std::map<std::string, std::unique_ptr<group>, std::less<>> groups;
};

struct group_coordinator::shard_state {
  explicit shard_state(unsigned s) : shard(s), rng(std::random_device{}() + s) {
    ids = [this](std::string_view client_id) {
      return std::string(client_id) + "-" + random_uuid(rng);
    };
  }
  unsigned shard;
  // Never erased (requests waiting on an append hold references); reloaded in place.
  std::map<int32_t, std::unique_ptr<partition_state>> partitions;
  std::mt19937_64 rng;
  member_id_source ids;
  std::unique_ptr<asio::steady_timer> timer;
  bool draining = false;
  bool stopped = false;
  int64_t next_retention_check_ms = 0;
};

group_coordinator::group_coordinator(net::shard_pool& shards,
                                     cluster::partition_manager& partitions,
                                     cluster::metadata_store& metadata, coordinator_config config,
                                     clock_fn clock)
    : _shards(shards),
      _partitions(partitions),
      _metadata(metadata),
      _config(config),
      _clock(clock ? std::move(clock) : clock_fn(&system_now_ms)) {
  for (unsigned s = 0; s < shards.size(); ++s) _state.push_back(std::make_shared<shard_state>(s));
}

group_coordinator::~group_coordinator() = default;

std::optional<int32_t> group_coordinator::partition_of(std::string_view group_id) const {
  auto image = _partitions.image();
  const cluster::topic_info* t = image ? image->find_topic(offsets_topic) : nullptr;
  if (!t || t->partition_count <= 0) return std::nullopt;
  return partition_for_group(group_id, t->partition_count);
}

net::awaitable<error_code> group_coordinator::ensure_offsets_topic() {
  auto image = _partitions.image();
  if (image && image->find_topic(offsets_topic)) co_return error_code::none;
  cluster::create_topic_request req;
  req.name = std::string(offsets_topic);
  req.num_partitions = _config.offsets_partitions;
  req.replication_factor = 1;
  req.configs.emplace_back("cleanup.policy", "compact");
  req.configs.emplace_back("segment.bytes", std::to_string(_config.offsets_segment_bytes));
  auto created = co_await _metadata.create_topic(std::move(req));
  if (!created.ok() && created.error != error_code::topic_already_exists) {
    log::warn("coord", "cannot create {}: {}", offsets_topic,
              created.message.value_or(std::string(protocol::error_name(created.error))));
    co_return error_code::coordinator_not_available;
  }
  auto latest = _metadata.image();
  co_await _partitions.apply_image_async(latest);
  co_return error_code::none;
}

group_coordinator::partition_state* group_coordinator::load(shard_state& st, int32_t p,
                                                            error_code& error) {
  auto log = _partitions.find_shared(offsets_topic, model::partition_id(p));
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
  // First use of this partition (or it was reopened): rebuild its groups from its records.
  for (auto& [_, g] : ps.groups) g->mark_dead();
  ps.groups.clear();
  ps.log = log;
  replay_state rs;
  int64_t pos = log->log_start_offset()();
  const int64_t end = log->high_watermark()();
  while (pos < end) {
    auto bytes = log->read_bytes(model::offset(pos), replay_chunk_bytes);
    if (!bytes) {
      log::error("coord", "{}-{}: cannot read at offset {}: {}", offsets_topic, p, pos,
                 bytes.error().message);
      ps.log.reset();
      error = error_code::coordinator_not_available;
      return nullptr;
    }
    int64_t next = pos;
    bool ok = apply_batches(rs, *bytes, next);
    if (!ok || next <= pos) {
      log::error("coord", "{}-{}: unreadable batch near offset {}; replay stops there",
                 offsets_topic, p, pos);
      break;
    }
    pos = next;
  }
  if (rs.skipped > 0) {
    log::warn("coord", "{}-{}: {} of {} records skipped (last: {})", offsets_topic, p,
              rs.skipped, rs.records, rs.last_error);
  }
  for (auto& [id, rg] : rs.groups) {
    if (!rg.metadata && rg.offsets.empty() && rg.pending.empty()) continue;
    auto g = std::make_unique<group>(id, _config.groups, st.ids);
    if (rg.metadata) g->restore(*rg.metadata);
    g->offsets() = std::move(rg.offsets);
    g->pending_txn_offsets() = std::move(rg.pending);
    ps.groups.emplace(id, std::move(g));
  }
  if (!ps.groups.empty()) {
    log::info("coord", "{}-{}: loaded {} groups from {} records", offsets_topic, p,
              ps.groups.size(), rs.records);
  }
  return &ps;
}

template <typename T, typename Fn>
net::awaitable<T> group_coordinator::on_owner(const std::string& group_id, T unavailable,
                                              Fn fn) {
  auto image = _partitions.image();
  const cluster::topic_info* topic = image ? image->find_topic(offsets_topic) : nullptr;
  if (!topic) {
    // A client that skipped FindCoordinator (or raced its creation): Kafka would say
    // NOT_COORDINATOR until the topic exists; creating it here saves that client a round trip.
    error_code created = co_await ensure_offsets_topic();
    if (created != error_code::none) co_return unavailable;
    image = _partitions.image();
    topic = image ? image->find_topic(offsets_topic) : nullptr;
  }
  if (!topic || topic->partition_count <= 0) co_return unavailable;
  const int32_t p = partition_for_group(group_id, topic->partition_count);
  const unsigned shard = _partitions.shard_of(topic->id, model::partition_id(p));
  std::vector<unsigned> shards{shard};
  auto results = co_await net::on_shards<T>(
      _shards, shards, [this, &fn, p, shard](size_t) -> net::awaitable<T> {
        shard_state& st = *_state[shard];
        error_code e = error_code::none;
        partition_state* ps = load(st, p, e);
        co_return co_await fn(st, ps, e);
      });
  co_return std::move(results[0]);
}

net::awaitable<error_code> group_coordinator::append(partition_state& ps,
                                                     std::vector<std::byte> batch,
                                                     cluster::append_origin origin) {
  std::shared_ptr<cluster::partition> log = ps.log;
  if (!log || log->closed()) co_return error_code::not_coordinator;
  auto outcome =
      co_await log->append(std::span<std::byte>(batch), cluster::acks_mode::all, origin);
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
      log::warn("coord", "{}-{}: append failed: {} {}", offsets_topic, ps.index,
                protocol::error_name(outcome.error), outcome.message);
      co_return error_code::coordinator_not_available;
  }
}

void group_coordinator::persist_group(partition_state& ps, group& g) {
  if (!g.take_dirty() || !ps.log) return;
  record_list records;
  records.emplace_back(encode_key(group_key{g.id()}), encode_value(g.to_record()));
  auto batch = build_coordinator_batch(records, now_ms());
  // Clients never wait for this record (a lost one only means a restarted broker starts the
  // group one generation back); offsets, which they do wait for, are written in line.
  asio::co_spawn(
      _shards.shard(_partitions.shard_of(ps.log->topic_id(), model::partition_id(ps.index))),
      [log = ps.log, batch = std::move(batch), index = ps.index]() mutable
      -> net::awaitable<void> {
        auto outcome = co_await log->append(std::span<std::byte>(batch), cluster::acks_mode::all);
        if (outcome.error != error_code::none) {
          log::warn("coord", "{}-{}: group metadata not written: {}", offsets_topic, index,
                    protocol::error_name(outcome.error));
        }
      },
      asio::detached);
}

net::awaitable<join_result> group_coordinator::join(std::string group_id, join_request req) {
  join_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.member_id = req.member_id;
  co_return co_await on_owner<join_result>(
      group_id, unavailable,
      [this, &group_id, &req](shard_state& st, partition_state* ps,
                              error_code e) -> net::awaitable<join_result> {
        join_result r;
        r.member_id = req.member_id;
        if (!ps || st.draining) {
          r.error = ps ? error_code::not_coordinator : e;
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
        auto executor = co_await asio::this_coro::executor;
        auto slot = std::make_shared<reply<join_result>>(executor);
        g.join(std::move(req), now_ms(), [slot](join_result jr) { slot->set(std::move(jr)); });
        persist_group(*ps, g);
        if (created && g.member_count() == 0 && g.pending_count() == 0 && g.offsets().empty()) {
          ps->groups.erase(it);  // a refused first join leaves nothing behind
        }
        co_return co_await slot->wait();
      });
}

net::awaitable<sync_result> group_coordinator::sync(std::string group_id, sync_request req) {
  sync_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await on_owner<sync_result>(
      group_id, unavailable,
      [this, &group_id, &req](shard_state& st, partition_state* ps,
                              error_code e) -> net::awaitable<sync_result> {
        sync_result r;
        if (!ps || st.draining) {
          r.error = ps ? error_code::not_coordinator : e;
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
      });
}

net::awaitable<error_code> group_coordinator::heartbeat(std::string group_id,
                                                        std::string member_id,
                                                        std::optional<std::string> instance,
                                                        int32_t generation) {
  co_return co_await on_owner<error_code>(
      group_id, error_code::coordinator_not_available,
      [&](shard_state&, partition_state* ps, error_code e) -> net::awaitable<error_code> {
        if (!ps) co_return e;
        auto it = ps->groups.find(group_id);
        if (it == ps->groups.end()) co_return error_code::unknown_member_id;
        error_code r = it->second->heartbeat(member_id, instance, generation, now_ms());
        persist_group(*ps, *it->second);
        co_return r;
      });
}

net::awaitable<leave_result> group_coordinator::leave(
    std::string group_id, std::vector<std::pair<std::string, std::optional<std::string>>> members) {
  leave_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.members.assign(members.size(), error_code::coordinator_not_available);
  co_return co_await on_owner<leave_result>(
      group_id, unavailable,
      [&](shard_state&, partition_state* ps, error_code e) -> net::awaitable<leave_result> {
        leave_result r;
        if (!ps) {
          r.error = e;
          r.members.assign(members.size(), e);
          co_return r;
        }
        auto it = ps->groups.find(group_id);
        if (it == ps->groups.end()) {
          r.members.assign(members.size(), error_code::unknown_member_id);
          co_return r;
        }
        int64_t now = now_ms();
        for (const auto& [id, instance] : members) {
          r.members.push_back(it->second->leave(id, instance, now));
        }
        persist_group(*ps, *it->second);
        co_return r;
      });
}

net::awaitable<std::vector<error_code>> group_coordinator::commit(commit_request req) {
  const size_t n = req.partitions.size();
  std::vector<error_code> out(n, error_code::none);
  auto image = _partitions.image();
  for (size_t i = 0; i < n; ++i) {
    const auto& p = req.partitions[i];
    const cluster::topic_info* t = image ? image->find_topic(p.topic) : nullptr;
    if (!t || p.partition < 0 || p.partition >= t->partition_count) {
      out[i] = error_code::unknown_topic_or_partition;
    } else if (p.metadata &&
               p.metadata->size() > static_cast<size_t>(_config.offset_metadata_max_bytes)) {
      out[i] = error_code::offset_metadata_too_large;
    }
  }
  std::string group_id = req.group_id;
  co_return co_await on_owner<std::vector<error_code>>(
      group_id, std::vector<error_code>(n, error_code::coordinator_not_available),
      [&](shard_state& st, partition_state* ps,
          error_code e) -> net::awaitable<std::vector<error_code>> {
        if (!ps) co_return std::vector<error_code>(n, e);
        int64_t now = now_ms();
        auto it = ps->groups.find(group_id);
        bool created = false;
        if (it == ps->groups.end()) {
          if (req.generation_id >= 0) {
            co_return std::vector<error_code>(n, error_code::illegal_generation);
          }
          it = ps->groups.emplace(group_id, std::make_unique<group>(group_id, _config.groups, st.ids))
                   .first;
          created = true;
        }
        const bool transactional = req.producer_id >= 0;
        error_code ge = transactional
                            ? it->second->validate_txn_commit(req.generation_id, req.member_id,
                                                              req.group_instance_id)
                            : it->second->validate_commit(req.generation_id, req.member_id,
                                                          req.group_instance_id, now);
        if (ge != error_code::none) {
          if (created) ps->groups.erase(it);
          co_return std::vector<error_code>(n, ge);
        }
        record_list records;
        std::vector<std::pair<partition_key, offset_value>> values;
        for (size_t i = 0; i < n; ++i) {
          if (out[i] != error_code::none) continue;
          const auto& p = req.partitions[i];
          offset_value v;
          v.offset = p.offset;
          v.leader_epoch = p.leader_epoch;
          v.metadata = p.metadata.value_or("");
          v.commit_timestamp_ms = now;
          records.emplace_back(encode_key(offset_key{group_id, p.topic, p.partition}),
                               encode_value(v));
          values.emplace_back(partition_key{p.topic, p.partition}, std::move(v));
        }
        if (records.empty()) {
          if (created && it->second->offsets().empty()) ps->groups.erase(it);
          co_return out;
        }
        model::batch_options options;
        if (transactional) {
          // As Kafka's group coordinator: the producer's own id and epoch, trusted sequence.
          options.producer = model::producer_id(req.producer_id);
          options.epoch = model::producer_epoch(req.producer_epoch);
          options.base_sequence = model::sequence(0);
          options.transactional = model::is_transactional::yes;
        }
        auto task = append(*ps, build_coordinator_batch(records, now, options),
                           transactional ? cluster::append_origin::coordinator
                                         : cluster::append_origin::client);
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
          auto& target = transactional ? again->second->pending_txn_offsets()[req.producer_id]
                                       : again->second->offsets();
          for (auto& [k, v] : values) target[k] = std::move(v);
        }
        co_return out;
      });
}

void group_coordinator::txn_marker_written(int32_t partition, int64_t producer_id,
                                           bool commit) {
  for (auto& st : _state) {
    if (!_shards.shard(st->shard).get_executor().running_in_this_thread()) continue;
    auto it = st->partitions.find(partition);
    if (it == st->partitions.end()) return;
    for (auto& [_, g] : it->second->groups) g->complete_txn(producer_id, commit);
    return;
  }
  VLTAVA_ASSERT(false, "txn_marker_written runs on a shard thread");
}

net::awaitable<fetch_offsets_result> group_coordinator::fetch_offsets(
    std::string group_id, std::optional<std::vector<partition_key>> partitions,
    bool require_stable) {
  fetch_offsets_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await on_owner<fetch_offsets_result>(
      group_id, unavailable,
      [&](shard_state&, partition_state* ps,
          error_code e) -> net::awaitable<fetch_offsets_result> {
        fetch_offsets_result r;
        if (!ps) {
          r.error = e;
          co_return r;
        }
        auto it = ps->groups.find(group_id);
        const group* g = it == ps->groups.end() ? nullptr : it->second.get();
        const std::map<partition_key, offset_value>* offsets = g ? &g->offsets() : nullptr;
        auto answer = [g, require_stable](const partition_key& k, const offset_value* v) {
          fetched_offset f;
          f.topic = k.first;
          f.partition = k.second;
          if (require_stable && g && g->has_pending_txn_offset(k)) {
            f.error = error_code::unstable_offset_commit;
          } else if (v) {
            f.offset = v->offset;
            f.leader_epoch = v->leader_epoch;
            f.metadata = v->metadata;
          }
          return f;
        };
        if (!partitions) {
          if (offsets) {
            for (const auto& [k, v] : *offsets) r.offsets.push_back(answer(k, &v));
          }
          co_return r;
        }
        for (const auto& k : *partitions) {
          const offset_value* v = nullptr;
          if (offsets) {
            auto o = offsets->find(k);
            if (o != offsets->end()) v = &o->second;
          }
          r.offsets.push_back(answer(k, v));
        }
        co_return r;
      });
}

net::awaitable<std::vector<listed_group>> group_coordinator::list_groups() {
  std::vector<unsigned> all;
  for (unsigned s = 0; s < _shards.size(); ++s) all.push_back(s);
  auto image = _partitions.image();
  const cluster::topic_info* topic = image ? image->find_topic(offsets_topic) : nullptr;
  if (!topic) co_return std::vector<listed_group>{};
  const protocol::uuid topic_id = topic->id;
  const int32_t count = topic->partition_count;
  auto per_shard = co_await net::on_shards<std::vector<listed_group>>(
      _shards, all, [&](size_t i) -> net::awaitable<std::vector<listed_group>> {
        shard_state& st = *_state[all[i]];
        std::vector<listed_group> out;
        for (int32_t p = 0; p < count; ++p) {
          if (_partitions.shard_of(topic_id, model::partition_id(p)) != st.shard) continue;
          error_code e = error_code::none;
          partition_state* ps = load(st, p, e);
          if (!ps) continue;
          for (const auto& [id, g] : ps->groups) {
            if (g->state() == group_state::dead) continue;
            out.push_back({id, g->protocol_type(), g->state()});
          }
        }
        co_return out;
      });
  std::vector<listed_group> out;
  for (auto& v : per_shard) {
    for (auto& g : v) out.push_back(std::move(g));
  }
  co_return out;
}

net::awaitable<described_group> group_coordinator::describe(std::string group_id) {
  described_group unavailable;
  unavailable.error = error_code::coordinator_not_available;
  unavailable.group_id = group_id;
  co_return co_await on_owner<described_group>(
      group_id, unavailable,
      [&](shard_state&, partition_state* ps, error_code e) -> net::awaitable<described_group> {
        described_group d;
        d.group_id = group_id;
        if (!ps) {
          d.error = e;
          co_return d;
        }
        auto it = ps->groups.find(group_id);
        if (it == ps->groups.end()) co_return d;  // Kafka: state Dead, no error
        const group& g = *it->second;
        d.state = g.state();
        d.protocol_type = g.protocol_type();
        if (g.state() == group_state::stable && g.protocol_name()) d.protocol = *g.protocol_name();
        d.members = g.describe_members();
        co_return d;
      });
}

void group_coordinator::remove_group(partition_state& ps, const std::string& group_id,
                                     record_list& records) {
  auto it = ps.groups.find(group_id);
  if (it == ps.groups.end()) return;
  for (const auto& [k, _] : it->second->offsets()) {
    records.emplace_back(encode_key(offset_key{group_id, k.first, k.second}), std::nullopt);
  }
  records.emplace_back(encode_key(group_key{group_id}), std::nullopt);
  it->second->mark_dead();
  ps.groups.erase(it);
}

net::awaitable<error_code> group_coordinator::delete_group(std::string group_id) {
  co_return co_await on_owner<error_code>(
      group_id, error_code::coordinator_not_available,
      [&](shard_state&, partition_state* ps, error_code e) -> net::awaitable<error_code> {
        if (!ps) co_return e;
        auto it = ps->groups.find(group_id);
        if (it == ps->groups.end() || it->second->state() == group_state::dead) {
          co_return error_code::group_id_not_found;
        }
        if (it->second->state() != group_state::empty) co_return error_code::non_empty_group;
        record_list records;
        remove_group(*ps, group_id, records);
        co_return co_await append(*ps, build_coordinator_batch(records, now_ms()));
      });
}

net::awaitable<delete_offsets_result> group_coordinator::delete_offsets(
    std::string group_id, std::vector<partition_key> partitions) {
  delete_offsets_result unavailable;
  unavailable.error = error_code::coordinator_not_available;
  co_return co_await on_owner<delete_offsets_result>(
      group_id, unavailable,
      [&](shard_state&, partition_state* ps,
          error_code e) -> net::awaitable<delete_offsets_result> {
        delete_offsets_result r;
        if (!ps) {
          r.error = e;
          co_return r;
        }
        auto it = ps->groups.find(group_id);
        if (it == ps->groups.end() || it->second->state() == group_state::dead) {
          r.error = error_code::group_id_not_found;
          co_return r;
        }
        group& g = *it->second;
        std::set<std::string> subscribed;
        if (g.state() != group_state::empty) {
          if (g.protocol_type() != "consumer") {
            r.error = error_code::non_empty_group;
            co_return r;
          }
          subscribed = g.subscribed_topics();
        }
        record_list records;
        for (const auto& k : partitions) {
          if (subscribed.contains(k.first)) {
            r.partitions.push_back(error_code::group_subscribed_to_topic);
            continue;
          }
          r.partitions.push_back(error_code::none);
          if (g.offsets().erase(k) > 0) {
            records.emplace_back(encode_key(offset_key{group_id, k.first, k.second}),
                                 std::nullopt);
          }
        }
        if (!records.empty()) {
          error_code we = co_await append(*ps, build_coordinator_batch(records, now_ms()));
          if (we != error_code::none) r.error = we;
        }
        co_return r;
      });
}

void group_coordinator::expire_offsets(shard_state& st, int64_t now_ms) {
  const int64_t retention = _config.offsets_retention_ms;
  for (auto& [p, ps] : st.partitions) {
    if (!ps->log) continue;
    record_list records;
    std::vector<std::string> dead;
    for (auto& [id, g] : ps->groups) {
      const bool empty = g->state() == group_state::empty;
      std::set<std::string> subscribed;
      if (!empty) {
        if (g->protocol_type() != "consumer") continue;
        subscribed = g->subscribed_topics();
      }
      auto& offsets = g->offsets();
      for (auto o = offsets.begin(); o != offsets.end();) {
        // KIP-211: an empty group's offsets expire `retention` after it became empty; a live
        // consumer group's only for topics it no longer subscribes to.
        int64_t base = o->second.commit_timestamp_ms;
        if (empty && !g->protocol_type().empty() && g->state_timestamp_ms() >= 0) {
          base = g->state_timestamp_ms();
        }
        bool expire = (empty || !subscribed.contains(o->first.first)) && now_ms - base >= retention;
        if (o->second.expire_timestamp_ms >= 0) expire = now_ms >= o->second.expire_timestamp_ms;
        if (!expire) {
          ++o;
          continue;
        }
        records.emplace_back(encode_key(offset_key{id, o->first.first, o->first.second}),
                             std::nullopt);
        o = offsets.erase(o);
      }
      if (empty && offsets.empty() && g->pending_count() == 0 &&
          g->pending_txn_offsets().empty()) {
        dead.push_back(id);
      }
    }
    for (const auto& id : dead) remove_group(*ps, id, records);
    if (records.empty()) continue;
    log::info("coord", "{}-{}: {} expired offsets and groups removed", offsets_topic, p,
              records.size());
    asio::co_spawn(
        _shards.shard(st.shard),
        [this, ps = ps.get(), batch = build_coordinator_batch(records, now_ms)]() mutable
        -> net::awaitable<void> { co_await append(*ps, std::move(batch)); },
        asio::detached);
  }
}

net::awaitable<void> group_coordinator::deadline_loop(group_coordinator* self,
                                                      std::shared_ptr<shard_state> st) {
  while (!st->stopped) {
    st->timer->expires_after(std::chrono::milliseconds(self->_config.tick_ms));
    std::error_code ec;
    co_await st->timer->async_wait(asio::redirect_error(net::use_awaitable, ec));
    if (st->stopped) break;
    int64_t now = self->now_ms();
    for (auto& [_, ps] : st->partitions) {
      for (auto& [id, g] : ps->groups) {
        g->tick(now);
        self->persist_group(*ps, *g);
      }
    }
    if (now >= st->next_retention_check_ms) {
      st->next_retention_check_ms = now + self->_config.retention_check_interval_ms;
      self->expire_offsets(*st, now);
    }
  }
}

void group_coordinator::start() {
  std::vector<std::future<void>> done;
  for (auto& stp : _state) {
    std::shared_ptr<shard_state> st = stp;
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(_shards.shard(st->shard), [this, st, promise] {
      st->timer = std::make_unique<asio::steady_timer>(_shards.shard(st->shard));
      st->next_retention_check_ms = now_ms() + _config.retention_check_interval_ms;
      auto image = _partitions.image();
      if (const auto* t = image ? image->find_topic(offsets_topic) : nullptr) {
        for (int32_t p = 0; p < t->partition_count; ++p) {
          if (_partitions.shard_of(t->id, model::partition_id(p)) != st->shard) continue;
          error_code e = error_code::none;
          load(*st, p, e);
        }
      }
      asio::co_spawn(_shards.shard(st->shard), deadline_loop(this, st), asio::detached);
      promise->set_value();
    });
  }
  for (auto& f : done) f.get();
}

void group_coordinator::stop_waiters() {
  std::vector<std::future<void>> done;
  for (auto& st : _state) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(_shards.shard(st->shard), [st, promise] {
      st->draining = true;
      for (auto& [_, ps] : st->partitions) {
        for (auto& [id, g] : ps->groups) g->fail_waiters(error_code::not_coordinator);
      }
      promise->set_value();
    });
  }
  for (auto& f : done) f.get();
}

void group_coordinator::stop() {
  std::vector<std::future<void>> done;
  for (auto& st : _state) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(_shards.shard(st->shard), [st, promise] {
      st->stopped = true;
      st->draining = true;
      if (st->timer) st->timer->cancel();
      for (auto& [_, ps] : st->partitions) {
        for (auto& [id, g] : ps->groups) g->fail_waiters(error_code::not_coordinator);
      }
      promise->set_value();
    });
  }
  for (auto& f : done) f.get();
}

}  // namespace vltava::coord
