#pragma once

// The partitions of a coordinator's internal topic (__consumer_offsets, __transaction_state),
// written once for every coordinator (Redpanda's coordinator_ntp_mapper plus its partition
// loading): creating the topic, mapping a key to its partition (Kafka's hashCode rule), keeping
// each partition's state on the shard that owns the partition, rebuilding that state from the
// partition's records, running a request on the owner shard, and each shard's tick.
//
// Leadership is two calls: gained(p) rebuilds p's state from its records (requests meanwhile
// answer COORDINATOR_LOAD_IN_PROGRESS); lost(p) drops it (waiters and later requests answer
// NOT_COORDINATOR). The metadata image drives them: each shard follows the image the partition
// manager published (at start, at every tick and before each request) and, for every partition
// it owns whose leadership the image changed since the last one it followed, gains it when
// this node now leads it (or leads it in a new leader epoch) and loses it otherwise. Explicit
// calls (tests, an operator) hold until the image changes that partition's leadership again.
// A single node leads every partition: it gains them all.
//
// A partition's state object lives as long as this object (lost() empties it in place): a
// request suspended on an append keeps a valid pointer and finds it emptied (log null).

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "cluster/metadata_store.h"
#include "cluster/partition_manager.h"
#include "model/fundamental.h"
#include "model/record.h"
#include "model/record_batch_header.h"
#include "model/topic_partition.h"
#include "net/asio.h"
#include "net/shard_calls.h"
#include "net/shard_pool.h"
#include "protocol/error_code.h"

namespace vltava::coord {

using protocol::error_code;

// A coordinator's internal topic as it is created.
struct internal_topic_spec {
  std::string_view name;
  int32_t partitions = 50;
  int32_t segment_bytes = 104857600;
  // At most this many replicas: fewer when fewer brokers are registered (a single node, a
  // cluster still starting), as the issue asks and Kafka's `*.replication.factor` docs
  // suggest for small clusters.
  int16_t replication_factor = 1;
  int32_t min_insync_replicas = 1;
};

// Where a key is coordinated.
struct key_owner {
  model::partition_id partition;
  unsigned shard = 0;
};

// Whether this node coordinates a partition. `unknown`: never said (not led).
enum class leadership { unknown, leader, not_leader };

// What an image says of this node and one partition of the topic.
struct image_leadership {
  bool led = false;
  model::leader_epoch epoch{-1};
  bool operator==(const image_leadership&) const = default;
};

// What every coordinator keeps per partition; a coordinator's state derives from it.
struct coordinated_partition {
  model::partition_id id;
  std::shared_ptr<cluster::partition> log;  // set while the state is loaded
  leadership led = leadership::unknown;
  // What the last image this shard followed said (nullopt: none yet).
  std::optional<image_leadership> image_said;
};

// A coordinator's records read back, handed out one by one.
struct batch_visitor {
  // Each record of a data batch, with its batch's header.
  std::function<void(const model::record_batch_header&, const model::record&)> record;
  // Each control batch (transaction markers), whole.
  std::function<void(const model::record_batch_header&, std::span<const std::byte>)> control;
};
// Walks whole record batches as read from a log, each decompressed to at most 64 MiB (the
// coordinators write small uncompressed ones). The offset after the last batch, or nullopt when
// the bytes are not whole valid batches.
std::optional<model::offset> walk_batches(std::span<const std::byte> batches,
                                          const batch_visitor& visit);

// Reads `log` from its start to its log end (not the high watermark: a new leader's lags what
// it holds) in chunks and hands each to `apply`, which returns the offset after the last whole
// batch it applied (nullopt: bytes that are not whole valid batches; the replay stops there,
// logged). none, or COORDINATOR_NOT_AVAILABLE when the
// log cannot be read.
// `tp` names the partition in log lines.
using batch_sink = std::function<std::optional<model::offset>(std::span<const std::byte>)>;
error_code replay_log(cluster::partition& log, const model::topic_partition& tp, batch_sink apply);

// The topic side, independent of the coordinator's state type.
class internal_topic {
 public:
  // Everything referenced must outlive this object.
  internal_topic(cluster::partition_manager& partitions, cluster::metadata_store& metadata,
                 internal_topic_spec spec);

  const internal_topic_spec& spec() const { return _spec; }
  // Creates the topic when it does not exist and waits until this node hosts its partitions.
  // none, or COORDINATOR_NOT_AVAILABLE.
  net::awaitable<error_code> ensure_created();
  // The partition coordinating `key` (abs(hashCode(key)) % partitions), or nullopt while the
  // topic does not exist.
  std::optional<model::partition_id> partition_of(std::string_view key) const;
  // The partition and shard coordinating `key`. A missing topic is created first: a client
  // that skipped FindCoordinator (or raced its creation) would otherwise get NOT_COORDINATOR
  // until it exists. nullopt when it cannot be.
  net::awaitable<std::optional<key_owner>> locate(std::string_view key);
  // The topic's partitions owned by `shard` that this node leads in the published image.
  std::vector<model::partition_id> hosted_on(unsigned shard) const;
  // The image the partition manager published (its partitions are open), nullptr before one.
  cluster::image_ptr image() const;
  // This node's leadership of each of the topic's partitions owned by `shard`, per `image`
  // (none while the topic is not in it).
  std::vector<std::pair<model::partition_id, image_leadership>> leadership_on(
      const cluster::metadata_image& image, unsigned shard) const;
  std::shared_ptr<cluster::partition> find(model::partition_id p) const;
  // The shard owning `p`, or nullopt while the topic does not exist.
  std::optional<unsigned> shard_of(model::partition_id p) const;

 private:
  cluster::partition_manager& _partitions;
  cluster::metadata_store& _metadata;
  internal_topic_spec _spec;
};

// A request running on the shard that owns its key's partition: the partition's state, or
// null with the error to answer.
template <typename Partition>
struct at_owner {
  unsigned shard = 0;
  Partition* partition = nullptr;
  error_code error = error_code::none;
};

// `Partition`: the coordinator's state of one partition, derived from coordinated_partition
// (checked where it is complete: the coordinators declare it in their headers and define it in
// their .cc).
template <typename Partition>
class coordinator_partitions {
 public:
  struct callbacks {
    // Rebuilds `p` (emptied) from `log`'s records, on the owner shard `shard`. none, or the
    // error requests get (the load is tried again at the next request).
    std::function<error_code(unsigned shard, Partition& p, cluster::partition& log)> replay;
    // `p` is no longer coordinated here (or is about to be rebuilt): answer its waiters
    // NOT_COORDINATOR and empty it.
    std::function<void(Partition& p)> drop;
    // Each shard's periodic work (deadlines, retries, expiry), every `tick_interval`.
    std::function<net::awaitable<void>(unsigned shard)> tick;
    std::chrono::milliseconds tick_interval{50};
  };

  // Everything referenced must outlive this object.
  coordinator_partitions(net::shard_pool& shards, cluster::partition_manager& partitions,
                         cluster::metadata_store& metadata, internal_topic_spec spec,
                         callbacks calls)
      : _pool(shards), _topic(partitions, metadata, spec), _calls(std::move(calls)) {
    static_assert(std::derived_from<Partition, coordinated_partition>);
    for (unsigned s = 0; s < shards.size(); ++s) _shards.push_back(std::make_unique<shard>());
  }
  coordinator_partitions(const coordinator_partitions&) = delete;
  coordinator_partitions& operator=(const coordinator_partitions&) = delete;

  internal_topic& topic() { return _topic; }
  const internal_topic& topic() const { return _topic; }

  // This node now coordinates `p`: its state is rebuilt from its records. On p's owner shard.
  // none, COORDINATOR_LOAD_IN_PROGRESS while the partition is not open here yet (the load is
  // retried at the next request), or the replay's error.
  error_code gained(unsigned shard_id, model::partition_id p) {
    Partition& ps = slot(shard_id, p);
    ps.led = leadership::leader;
    if (ps.log) forget(ps);
    return load(shard_id, ps);
  }
  // This node no longer coordinates `p`: its state is dropped, its waiters and the requests
  // that follow answer NOT_COORDINATOR. On p's owner shard.
  void lost(unsigned shard_id, model::partition_id p) {
    Partition& ps = slot(shard_id, p);
    ps.led = leadership::not_leader;
    forget(ps);
  }

  // The same from any thread of a shard: each runs on p's owner shard (the cluster's calls).
  net::awaitable<error_code> gain(model::partition_id p) {
    std::optional<unsigned> s = _topic.shard_of(p);
    if (!s) co_return error_code::coordinator_not_available;
    co_return co_await net::on_shard<error_code>(
        _pool, *s, [this, s, p] { return on_owner_shard(this, *s, p, leadership::leader); });
  }
  net::awaitable<void> lose(model::partition_id p) {
    std::optional<unsigned> s = _topic.shard_of(p);
    if (!s) co_return;
    co_await net::on_shard<error_code>(
        _pool, *s, [this, s, p] { return on_owner_shard(this, *s, p, leadership::not_leader); });
  }

  // Runs fn(at_owner) on the shard owning `key`'s partition (after loading it when needed) and
  // resumes on the caller's shard. `unavailable` answers when the topic cannot be had. `fn`
  // answers T there, or returns the coroutine that will (it must not capture: coroutine
  // lambdas take what they need as parameters).
  template <typename T, typename Fn>
  requires std::is_invocable_r_v<T, Fn&, at_owner<Partition>> ||
      std::is_invocable_r_v<net::awaitable<T>, Fn&, at_owner<Partition>>
          net::awaitable<T> on_owner(std::string_view key, T unavailable, Fn fn) {
    std::optional<key_owner> owner = co_await _topic.locate(key);
    if (!owner) co_return unavailable;
    co_return co_await net::on_shard<T>(
        _pool, owner->shard, [this, &fn, owner = *owner] { return serve<T>(owner, fn); });
  }

  // On shard `shard_id`: the state of `p` ready for a request, or null with the error (see
  // at_owner). Loads p at first use, or again when its log was reopened.
  Partition* access(unsigned shard_id, model::partition_id p, error_code& error) {
    shard& s = *_shards[shard_id];
    if (s.stopped) {
      error = error_code::not_coordinator;
      return nullptr;
    }
    follow_image(shard_id);
    Partition& ps = slot(shard_id, p);
    if (ps.led != leadership::leader) {  // led elsewhere, by nobody, or not in the image yet
      error = error_code::not_coordinator;
      return nullptr;
    }
    if (!ps.log || ps.log != _topic.find(p)) {
      if (ps.log) forget(ps);
      error = load(shard_id, ps);
    }
    return ps.log ? &ps : nullptr;
  }
  // On shard `shard_id`: the state of `p` if this shard ever had it (loaded or not).
  Partition* find(unsigned shard_id, model::partition_id p) {
    auto& parts = _shards[shard_id]->partitions;
    auto it = parts.find(p);
    return it == parts.end() ? nullptr : it->second.get();
  }
  // On shard `shard_id`: every partition state loaded there.
  std::vector<Partition*> loaded_on(unsigned shard_id) {
    std::vector<Partition*> out;
    for (auto& [_, ps] : _shards[shard_id]->partitions) {
      if (ps->log) out.push_back(ps.get());
    }
    return out;
  }
  // On shard `shard_id`: every partition hosted there, loaded when needed (listing calls).
  std::vector<Partition*> access_hosted(unsigned shard_id) {
    std::vector<Partition*> out;
    for (model::partition_id p : _topic.hosted_on(shard_id)) {
      error_code e = error_code::none;
      if (Partition* ps = access(shard_id, p, e)) out.push_back(ps);
    }
    return out;
  }

  // Work running on its own on a shard (a tick, a completion in the background): stop() waits
  // for it, since it uses the coordinator.
  void begin_work(unsigned shard_id) { ++_shards[shard_id]->running; }
  void end_work(unsigned shard_id) {
    shard& s = *_shards[shard_id];
    VLTAVA_ASSERT(s.running > 0, "end_work after begin_work");
    if (--s.running == 0 && s.on_idle) std::exchange(s.on_idle, nullptr)();
  }
  bool stopped(unsigned shard_id) const { return _shards[shard_id]->stopped; }

  // Gains the partitions hosted on each shard and starts each shard's tick. Blocking; not from
  // a shard thread.
  void start() {
    net::run_on_every_shard_and_wait(_pool, [this](unsigned s) {
      _shards[s]->timer = std::make_unique<asio::steady_timer>(_pool.shard(s));
      follow_image(s);
      access_hosted(s);
      // The loop counts as work until it has left (tick_loop's end_work): stop() must not
      // return, and the coordinator go, while the loop can still resume on its timer.
      begin_work(s);
      asio::co_spawn(_pool.shard(s), tick_loop(this, s), asio::detached);
    });
  }
  // Stops the ticks and waits for the work running on its own; requests from now on answer
  // NOT_COORDINATOR. Blocking; not from a shard thread; before the partitions stop.
  void stop() {
    std::vector<std::future<void>> idle(_shards.size());
    net::run_on_every_shard_and_wait(_pool, [this, &idle](unsigned s) { idle[s] = stop_on(s); });
    for (auto& f : idle) f.get();
  }

 private:
  struct shard {
    // Never erased (see the header comment); emptied in place by lost().
    std::map<model::partition_id, std::unique_ptr<Partition>> partitions;
    int64_t image_version = -1;  // of the last image followed
    std::unique_ptr<asio::steady_timer> timer;
    bool stopped = false;
    size_t running = 0;
    std::function<void()> on_idle;  // set by stop() while work runs
  };

  Partition& slot(unsigned shard_id, model::partition_id p) {
    auto& ps = _shards[shard_id]->partitions[p];
    if (!ps) {
      ps = std::make_unique<Partition>();
      ps->id = p;
    }
    return *ps;
  }
  // On shard `shard_id`: gains and loses its partitions as the newest published image says,
  // for those whose leadership (or leader epoch) changed since the image followed last.
  void follow_image(unsigned shard_id) {
    shard& s = *_shards[shard_id];
    cluster::image_ptr image = _topic.image();
    if (s.stopped || !image || image->version == s.image_version) return;
    s.image_version = image->version;
    for (const auto& [p, now] : _topic.leadership_on(*image, shard_id)) {
      Partition& ps = slot(shard_id, p);
      if (ps.image_said == now) continue;
      ps.image_said = now;
      if (now.led) {
        // COORDINATOR_LOAD_IN_PROGRESS (log not open) is retried by the next request.
        (void)gained(shard_id, p);
      } else if (ps.led == leadership::leader) {
        lost(shard_id, p);
      } else {
        ps.led = leadership::not_leader;
      }
    }
  }
  void forget(Partition& ps) {
    _calls.drop(ps);
    ps.log.reset();
  }
  error_code load(unsigned shard_id, Partition& ps) {
    auto log = _topic.find(ps.id);
    if (!log) return error_code::coordinator_load_in_progress;
    error_code e = _calls.replay(shard_id, ps, *log);
    if (e == error_code::none) ps.log = std::move(log);
    return e;
  }

  template <typename T, typename Fn>
  net::awaitable<T> serve(key_owner owner, Fn& fn) {
    at_owner<Partition> at{owner.shard, nullptr, error_code::none};
    at.partition = access(owner.shard, owner.partition, at.error);
    if constexpr (std::is_invocable_r_v<net::awaitable<T>, Fn&, at_owner<Partition>>) {
      co_return co_await fn(at);
    } else {
      co_return fn(at);
    }
  }

  static net::awaitable<error_code> on_owner_shard(coordinator_partitions* self, unsigned s,
                                                   model::partition_id p, leadership now) {
    if (now == leadership::leader) co_return self->gained(s, p);
    self->lost(s, p);
    co_return error_code::none;
  }

  static net::awaitable<void> tick_loop(coordinator_partitions* self, unsigned shard_id) {
    shard& s = *self->_shards[shard_id];
    while (!s.stopped) {
      s.timer->expires_after(self->_calls.tick_interval);
      std::error_code ec;
      co_await s.timer->async_wait(asio::redirect_error(net::use_awaitable, ec));
      if (s.stopped) break;
      self->follow_image(shard_id);
      self->begin_work(shard_id);
      co_await self->_calls.tick(shard_id);
      self->end_work(shard_id);
    }
    self->end_work(shard_id);  // the loop's own, from start(); nothing of self is touched after
  }

  std::future<void> stop_on(unsigned shard_id) {
    shard& s = *_shards[shard_id];
    s.stopped = true;
    if (s.timer) s.timer->cancel();
    auto idle = std::make_shared<std::promise<void>>();
    if (s.running == 0) {
      idle->set_value();
    } else {
      s.on_idle = [idle] { idle->set_value(); };
    }
    return idle->get_future();
  }

  net::shard_pool& _pool;
  internal_topic _topic;
  callbacks _calls;
  std::vector<std::unique_ptr<shard>> _shards;  // [shard], each touched on its shard only
};

}  // namespace vltava::coord
