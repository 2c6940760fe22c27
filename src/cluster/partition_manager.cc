#include "cluster/partition_manager.h"

#include <filesystem>

#include "base/log.h"
#include "cluster/metadata_store.h"
#include "cluster/partition_leadership.h"
#include "config/topic_configs.h"
#include "net/shard_calls.h"

namespace vltava::cluster {

namespace {

constexpr std::string_view module = "cluster";
constexpr auto housekeeping_interval = std::chrono::seconds(1);

// FNV-1a over the topic id and the partition index: stable across restarts and builds.
uint64_t stable_hash(const protocol::uuid& id, int32_t p) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint8_t b) {
    h ^= b;
    h *= 1099511628211ULL;
  };
  for (auto b : id.bytes) mix(static_cast<uint8_t>(b));
  for (int i = 0; i < 4; ++i) mix(static_cast<uint8_t>(static_cast<uint32_t>(p) >> (8 * i)));
  return h;
}

std::string partition_dir(const std::string& data_dir, const std::string& topic, int32_t p) {
  return data_dir + "/" + topic + "-" + std::to_string(p);
}

partition_settings topic_settings(const config::config_set& broker, const topic_info& t) {
  std::vector<std::pair<std::string, std::string>> overrides(t.config_overrides.begin(),
                                                             t.config_overrides.end());
  auto cfg = config::topic_config(broker, overrides);
  if (!cfg) {
    log::warn(module, "topic {}: invalid config ({}); using broker defaults", t.name, cfg.error());
    cfg = config::topic_config(broker, {});
    VLTAVA_ASSERT(cfg.has_value(), "broker defaults make a valid topic config");
  }
  partition_settings s = settings_from(cfg.value());
  // A broker-wide setting with no topic-level name in Kafka.
  s.producer_id_expiration_ms = broker.get(config::broker_keys::producer_id_expiration_ms);
  s.replica_lag_time_max_ms = broker.get(config::broker_keys::replica_lag_time_max_ms);
  return s;
}

}  // namespace

partition_manager::partition_manager(net::shard_pool& shards, storage::file_io& io,
                                     storage::flusher& flusher, std::string data_dir,
                                     const config::config_set& broker_config)
    : _shards(shards),
      _io(io),
      _flusher(flusher),
      _data_dir(std::move(data_dir)),
      _broker_config(broker_config),
      _node(broker_config.get(config::broker_keys::node_id)),
      _cleaner(broker_config.get(config::broker_keys::log_cleaner_enable),
               broker_config.get(config::broker_keys::log_cleaner_threads)) {
  for (unsigned i = 0; i < _shards.size(); ++i) {
    auto st = std::make_shared<shard_state>();
    st->housekeeping = std::make_unique<asio::steady_timer>(_shards.shard(i));
    st->context = &_shards.shard(i);
    st->cleaner = &_cleaner;
    st->cleaner_backoff =
        std::chrono::milliseconds(broker_config.get(config::broker_keys::log_cleaner_backoff_ms));
    _state.push_back(st);
    // The loop holds the state, so it may end after the manager is gone.
    asio::co_spawn(_shards.shard(i), housekeeping_loop(st), asio::detached);
  }
}

// The shards must still run: stop() posts the closing of every log to them.
partition_manager::~partition_manager() {
  stop();
}

unsigned partition_manager::shard_of(const protocol::uuid& topic_id, model::partition_id p) const {
  return static_cast<unsigned>(stable_hash(topic_id, p()) % _shards.size());
}

unsigned partition_manager::this_shard(const char* what) const {
  auto shard = net::current_shard(_shards);
  VLTAVA_ASSERT(shard.has_value(), what);
  return *shard;
}

image_ptr partition_manager::image() const {
  std::lock_guard g(_image_mu);
  return _image;
}

void partition_manager::publish(const image_ptr& image) {
  std::lock_guard g(_image_mu);
  if (!_image || _image->version <= image->version) _image = image;
}

void partition_manager::apply_image(image_ptr image) {
  VLTAVA_ASSERT(image != nullptr, "apply_image needs an image");
  auto remaining = std::make_shared<std::atomic<unsigned>>(_shards.size());
  for (unsigned i = 0; i < _shards.size(); ++i) {
    asio::post(_shards.shard(i), [this, i, image, remaining] {
      apply_on_shard(i, image);
      if (remaining->fetch_sub(1) == 1) publish(image);
    });
  }
}

void partition_manager::apply_image_and_wait(image_ptr image) {
  net::run_on_every_shard_and_wait(
      _shards, [this, &image](unsigned shard) { apply_on_shard(shard, image); });
  publish(image);
}

net::awaitable<bool> partition_manager::apply_here(partition_manager* self, unsigned shard,
                                                   image_ptr image) {
  self->apply_on_shard(shard, image);
  co_return true;
}

net::awaitable<void> partition_manager::apply_image_async(image_ptr image) {
  co_await net::on_every_shard<bool>(
      _shards, [this, &image](unsigned shard) { return apply_here(this, shard, image); });
  publish(image);
}

void partition_manager::apply_on_shard(unsigned shard, const image_ptr& image) {
  auto& st = *_state[shard];
  if (st.stopped || image->version < st.applied_version) return;
  st.applied_version = image->version;
  st.applied = image;
  const auto broker = effective_broker_config(_broker_config, *image);
  // Partitions of topics gone (or recreated under a new id) close and lose their directory.
  std::vector<std::pair<std::string, int32_t>> gone;
  for (const auto& [key, part] : st.partitions) {
    const topic_info* t = image->find_topic(key.first);
    if (!t || t->id != part->topic_id() || key.second >= t->partition_count) gone.push_back(key);
  }
  for (const auto& [topic, p] : gone) close_partition(shard, topic, p, directory::remove);
  // Partitions this node is no longer a replica of close but keep their log: Kafka deletes a
  // replica's log only on StopReplica with deletion (a topic deleted, a reassignment done),
  // which here is the topic leaving the image above. A replica that comes back reopens it.
  std::vector<std::pair<std::string, int32_t>> dropped;
  for (const auto& [key, part] : st.partitions) {
    const topic_info* t = image->find_topic(key.first);
    if (!is_replica(assignment_of(*t, key.second, _node), _node)) dropped.push_back(key);
  }
  for (const auto& [topic, p] : dropped) close_partition(shard, topic, p, directory::keep);
  for (const auto& [name, t] : image->topics) {
    std::optional<partition_settings> settings;
    for (int32_t p = 0; p < t.partition_count; ++p) {
      if (shard_of(t.id, model::partition_id(p)) != shard) continue;
      if (!is_replica(assignment_of(t, p, _node), _node)) continue;
      if (!settings) settings = topic_settings(broker, t);
      auto it = st.partitions.find(std::pair<std::string_view, int32_t>(name, p));
      if (it == st.partitions.end()) {
        open_partition(shard, t, p, *settings);
        it = st.partitions.find(std::pair<std::string_view, int32_t>(name, p));
        if (it != st.partitions.end()) {
          it->second->apply_assignment(assignment_of(t, p, _node), _node);
        }
      } else {
        // Produce-path settings and the log's own (segments, retention, flush, compaction)
        // apply at once.
        it->second->set_settings(*settings);
        if (auto r = it->second->log().set_config(settings->log); !r) {
          log::warn(module, "{}-{}: config not applied: {}", name, p, r.error().message);
        }
        it->second->apply_assignment(assignment_of(t, p, _node), _node);
      }
    }
  }
}

void partition_manager::open_partition(unsigned shard, const topic_info& t, int32_t p,
                                       const partition_settings& settings) {
  // Opening a new, empty log is quick; recovery of existing logs happens at start-up
  // (apply_image_and_wait), before any client connects.
  std::string dir = partition_dir(_data_dir, t.name, p);
  auto l = storage::log::open(_io, _flusher, dir,
                              model::topic_partition{t.name, model::partition_id(p)}, settings.log);
  if (!l) {
    log::error(module, "cannot open {}-{}: {}", t.name, p, l.error().message);
    return;
  }
  const auto& rec = (*l)->recovery();
  if (rec.truncation) log::warn(module, "{}", *rec.truncation);
  auto part =
      std::make_shared<partition>(_shards.shard(shard), t.id, std::move(l.value()), settings);
  _state[shard]->partitions.emplace(std::make_pair(t.name, p), std::move(part));
}

void partition_manager::close_partition(unsigned shard, const std::string& topic, int32_t p,
                                        directory dir) {
  auto& parts = _state[shard]->partitions;
  auto it = parts.find(std::make_pair(topic, p));
  if (it == parts.end()) return;
  auto part = std::move(it->second);
  parts.erase(it);
  std::string path = part->log().dir();
  if (auto r = part->close(); !r) {
    log::warn(module, "closing {}-{}: {}", topic, p, r.error().message);
  }
  if (dir == directory::remove) {
    // Readers that still hold ranges keep their descriptors; the names go now.
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) log::warn(module, "removing {}: {}", path, ec.message());
  }
}

partition* partition_manager::find(std::string_view topic, model::partition_id p) {
  return find_shared(topic, p).get();
}

std::shared_ptr<partition> partition_manager::find_shared(std::string_view topic,
                                                          model::partition_id p) {
  auto& parts = _state[this_shard("partition_manager::find runs on a shard")]->partitions;
  auto it = parts.find(std::pair<std::string_view, int32_t>(topic, p()));
  return it == parts.end() ? nullptr : it->second;
}

std::shared_ptr<partition> partition_manager::find_leader(std::string_view topic,
                                                          model::partition_id p) {
  const auto& st = *_state[this_shard("partition_manager::find_leader runs on a shard")];
  if (!st.applied) return nullptr;
  const topic_info* t = st.applied->find_topic(topic);
  if (route_partition(t, p(), _node).error != protocol::error_code::none) return nullptr;
  auto it = st.partitions.find(std::pair<std::string_view, int32_t>(topic, p()));
  return it == st.partitions.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::shared_ptr<partition>>> partition_manager::hosted_here() {
  const unsigned shard = this_shard("partition_manager::hosted_here runs on a shard");
  std::vector<std::pair<std::string, std::shared_ptr<partition>>> out;
  for (const auto& [key, part] : _state[shard]->partitions) out.emplace_back(key.first, part);
  return out;
}

net::awaitable<void> partition_manager::housekeeping_loop(std::shared_ptr<shard_state> state) {
  auto& st = *state;
  while (!st.stopped) {
    st.housekeeping->expires_after(housekeeping_interval);
    std::error_code ec;
    co_await st.housekeeping->async_wait(asio::redirect_error(net::use_awaitable, ec));
    if (st.stopped) break;
    for (auto& [key, part] : st.partitions) {
      if (auto r = part->log().housekeeping(); !r) {
        log::warn(module, "housekeeping {}-{}: {}", key.first, key.second, r.error().message);
      }
      // A proposal stays pending until answered: none is made before the sink is set.
      if (!st.isr_sink) continue;
      if (auto change = part->isr_change_due()) {
        st.isr_sink(isr_change{key.first, part->topic_id(), model::partition_id(key.second),
                               part->leader_epoch(), std::move(*change)});
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (st.cleaner->enabled() && now >= st.next_cleaning) {
      st.next_cleaning = now + st.cleaner_backoff;
      for (auto& [key, part] : st.partitions) {
        st.cleaner->offer(part, *st.context, key.first + "-" + std::to_string(key.second));
      }
    }
  }
}

void partition_manager::set_isr_sink(std::function<void(isr_change)> sink) {
  net::run_on_every_shard_and_wait(
      _shards, [this, &sink](unsigned shard) { _state[shard]->isr_sink = sink; });
}

void partition_manager::isr_change_failed(const protocol::uuid& topic_id, model::partition_id p) {
  const unsigned shard = shard_of(topic_id, p);
  asio::post(_shards.shard(shard), [st = _state[shard], topic_id, p] {
    for (auto& [key, part] : st->partitions) {
      if (key.second == p() && part->topic_id() == topic_id) part->isr_change_failed();
    }
  });
}

void partition_manager::stop() {
  if (_stopped) return;
  _stopped = true;
  VLTAVA_ASSERT(!net::current_shard(_shards), "partition_manager::stop blocks: not from a shard");
  // Before the logs close: a pass running now still posts its swap, which runs before the
  // closing posted below (or finds its partition closed and discards the .cleaned files).
  _cleaner.stop();
  net::run_on_every_shard_and_wait(_shards, [this](unsigned shard) { stop_on_shard(shard); });
}

void partition_manager::stop_on_shard(unsigned shard) {
  auto& st = *_state[shard];
  st.stopped = true;
  st.housekeeping->cancel();
  std::vector<std::pair<std::string, int32_t>> keys;
  for (const auto& [key, _] : st.partitions) keys.push_back(key);
  for (const auto& [topic, p] : keys) close_partition(shard, topic, p, directory::keep);
}

}  // namespace vltava::cluster
