#pragma once

// Test support (cluster and kafka tests): a node's data path on a temporary directory with
// real posix I/O, a started shard pool, a flusher and a partition manager.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cluster/partition_manager.h"
#include "config/broker_configs.h"
#include "model/record_batch_builder.h"
#include "net/shard_calls.h"

namespace vltava::cluster::testing {

struct topic_spec {
  std::string name;
  int32_t partitions = 1;
  std::map<std::string, std::string, std::less<>> overrides = {};
};

inline protocol::uuid make_uuid(uint8_t seed) {
  protocol::uuid u;
  for (size_t i = 0; i < u.bytes.size(); ++i) u.bytes[i] = std::byte(seed * 7 + i + 1);
  return u;
}

class test_node {
 public:
  // `broker_sets`: broker configs (name, value) the node starts with.
  explicit test_node(unsigned shard_count = 2,
                     const std::vector<std::pair<std::string, std::string>>& broker_sets = {})
      : _dir(make_dir()), shards(shard_count), flusher(io), broker(config::broker_config_defs()) {
    for (const auto& [k, v] : broker_sets) {
      auto set = broker.set(k, v, config::config_source::static_broker_config);
      VLTAVA_ASSERT(set.has_value(), "test_node: a broker config the test sets must be valid");
    }
    shards.start();
    manager = std::make_unique<partition_manager>(shards, io, flusher, _dir, broker);
  }
  ~test_node() {
    manager->stop();
    manager.reset();
    flusher.drain();
    shards.stop();
    shards.join();
    std::error_code ec;
    std::filesystem::remove_all(_dir, ec);
  }

  const std::string& dir() const { return _dir; }

  // An image holding `topics`, ids derived from their position; version increases per call.
  image_ptr image(const std::vector<topic_spec>& topics) {
    auto img = std::make_shared<metadata_image>();
    img->version = ++_version;
    img->cluster_id = "test-cluster";
    uint8_t seed = 1;
    for (const auto& t : topics) {
      topic_info info;
      info.name = t.name;
      info.id = make_uuid(seed++);
      info.partition_count = t.partitions;
      info.config_overrides = t.overrides;
      img->topics.emplace(t.name, std::move(info));
    }
    return img;
  }

  // Runs `a` on `shard` and waits for its result; from the test's thread, never a shard's.
  template <typename T>
  T run(unsigned shard, net::awaitable<T> a) {
    VLTAVA_ASSERT(!net::current_shard(shards), "test_node::run blocks: not from a shard");
    return asio::co_spawn(shards.shard(shard), std::move(a), asio::use_future).get();
  }
  // Runs `fn` (a plain function) on `shard` and waits for its result.
  template <typename F>
  auto call(unsigned shard, F fn) {
    return run(shard, invoke(std::move(fn)));
  }
  // Runs `fn` (a plain function) on the shard owning (topic, p), given that partition.
  template <typename F>
  auto on_owner(const std::string& topic, int32_t p, F fn) {
    return call(owner(topic, p), [this, &topic, p, &fn] {
      return fn(manager->find(topic, model::partition_id(p)));
    });
  }
  // Appends `batches` to (topic, p) on its owner and waits for the outcome.
  append_outcome append(const std::string& topic, int32_t p, std::vector<std::byte> batches,
                        acks_mode acks) {
    return run(owner(topic, p), append_here(manager.get(), topic, p, std::move(batches), acks));
  }
  unsigned owner(const std::string& topic, int32_t p) {
    auto img = manager->image();
    return manager->shard_of(img->find_topic(topic)->id, model::partition_id(p));
  }

 private:
  template <typename F>
  static net::awaitable<std::invoke_result_t<F&>> invoke(F fn) {
    co_return fn();
  }
  static net::awaitable<append_outcome> append_here(partition_manager* manager, std::string topic,
                                                    int32_t p, std::vector<std::byte> batches,
                                                    acks_mode acks) {
    auto part = manager->find_shared(topic, model::partition_id(p));
    VLTAVA_ASSERT(part != nullptr, "test_node::append: the partition is hosted by its owner");
    co_return co_await part->append(batches, acks);
  }

  static std::string make_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp ? tmp : "/tmp";
    std::random_device rd;
    std::string d = base + "/vltava-cluster-test-" + std::to_string(rd()) + std::to_string(rd());
    std::filesystem::create_directories(d);
    return d;
  }

  std::string _dir;
  int64_t _version = 0;

 public:
  net::shard_pool shards;
  storage::posix_io io;
  storage::flusher flusher;
  config::config_set broker;
  std::unique_ptr<partition_manager> manager;
};

// A three-broker cluster around a test node (node.id 1 by default): brokers 1 and 2 live, 3
// fenced; assign() places a partition.
inline void add_three_brokers(metadata_image& img) {
  for (int32_t id = 1; id <= 3; ++id) {
    broker_info b;
    b.id = model::node_id(id);
    b.endpoints.push_back({"PLAINTEXT", "broker" + std::to_string(id), uint16_t(9090 + id)});
    b.fenced = id == 3;
    img.brokers.push_back(std::move(b));
  }
}
// Gives every partition of `topic` the single-node default first when it has none.
inline void assign(metadata_image& img, const std::string& topic, int32_t p,
                   std::vector<int32_t> replicas, int32_t leader, int32_t epoch = 0) {
  auto& t = img.topics.at(topic);
  if (t.partitions.empty()) {
    partition_assignment a;
    a.replicas = a.isr = {model::node_id(1)};
    a.leader = model::node_id(1);
    t.partitions.assign(static_cast<size_t>(t.partition_count), a);
  }
  auto& a = t.partitions.at(static_cast<size_t>(p));
  a.replicas.clear();
  for (int32_t r : replicas) a.replicas.emplace_back(r);
  a.isr = a.replicas;
  a.leader = model::node_id(leader);
  a.leader_epoch = model::leader_epoch(epoch);
}

// A batch of `n` records "k<i>"/"v<i>" with timestamps ts0, ts0+1, ...
inline std::vector<std::byte> batch(int n, int64_t ts0,
                                    model::compression codec = model::compression::none) {
  model::batch_options o;
  o.codec = codec;
  model::record_batch_builder b(o);
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(i), v = "v" + std::to_string(i) + "-payload";
    b.add(model::timestamp_ms(ts0 + i), std::as_bytes(std::span(k)), std::as_bytes(std::span(v)));
  }
  return b.build().value();
}

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vltava::cluster::testing
