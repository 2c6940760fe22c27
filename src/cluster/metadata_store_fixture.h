#pragma once

// Test support: a node's metadata store over a real directory with its shards running, the
// node registered and unfenced with its own controller.

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/metadata_store.h"
#include "cluster/self_registration.h"
#include "config/broker_configs.h"
#include "net/shard_pool.h"
#include "storage/file_io.h"
#include "storage/flusher.h"

namespace vltava::cluster::testing {

inline config::config_set broker_config(std::vector<std::string> overrides = {}) {
  auto loaded = config::load_broker_config("", "test", overrides);
  EXPECT_TRUE(loaded.has_value());
  return std::move(loaded).value().values;
}

// A node's metadata store over a real directory, with its shards running.
class store_fixture {
 public:
  explicit store_fixture(const std::string& dir, storage::file_io& io,
                         std::vector<std::string> overrides = {})
      : _config(broker_config(std::move(overrides))), _flusher(io), _shards(2) {
    _shards.start();
    auto s = metadata_store::open(io, _flusher, _shards, dir, model::node_id(1), _config);
    if (!s) {
      _error = s.error();
      return;
    }
    _store = std::move(s).value();
    auto registered = register_and_unfence(*_store, _shards, model::node_id(1),
                                           {broker_endpoint{"PLAINTEXT", "127.0.0.1", 9092}});
    if (!registered.ok()) _error = "registration: " + registered.message.value_or("?");
  }
  ~store_fixture() {
    _shards.stop();
    _shards.join();
  }

  metadata_store& store() { return *_store; }
  bool ok() const { return _store != nullptr && _error.empty(); }
  net::shard_pool& shards() { return _shards; }
  const std::string& error() const { return _error; }

  // Runs `fn` (returning an awaitable) on shard 1 and waits for its result.
  template <typename Fn>
  auto run(Fn fn) {
    return asio::co_spawn(_shards.shard(1), std::move(fn), asio::use_future).get();
  }

 private:
  config::config_set _config;
  storage::flusher _flusher;
  net::shard_pool _shards;
  std::unique_ptr<metadata_store> _store;
  std::string _error;
};

inline create_topic_request topic(
    std::string name, int32_t partitions = -1,
    std::vector<std::pair<std::string, std::optional<std::string>>> cfg = {}) {
  create_topic_request r;
  r.name = std::move(name);
  r.num_partitions = partitions;
  r.configs = std::move(cfg);
  return r;
}

}  // namespace vltava::cluster::testing
