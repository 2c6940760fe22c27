#pragma once

// Test support for coordinator handler tests: a node with a metadata store, partitions, a group
// coordinator and a transaction coordinator over a temporary directory (two shards), and a call
// that runs a request through the registered handler: encode → handler_fn → decode.

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "cluster/metadata_store.h"
#include "cluster/partition_manager.h"
#include "cluster/self_registration.h"
#include "config/broker_configs.h"
#include "coord/group_coordinator.h"
#include "coord/txn_coordinator.h"
#include "kafka/handlers/find_coordinator.h"
#include "kafka/server/handler.h"
#include "protocol/api_table.h"
#include "storage/fault_io.h"
#include "storage/test_util.h"

namespace vltava::kafka::testing {

using protocol::error_code;

class coordinator_node {
 public:
  // `clock`: the transaction coordinator's (system time when empty); `overrides`: broker
  // configs on top of three partitions for each coordinator topic and no rebalance delay.
  explicit coordinator_node(coord::txn_coordinator::clock_fn clock = {},
                            std::vector<std::string> overrides = {})
      : _config(load(with_defaults(std::move(overrides)))),
        _clock(std::move(clock)),
        _flusher(_io),
        _shards(2) {
    _shards.start();
    auto s = cluster::metadata_store::open(_io, _flusher, _shards, _dir.path(), model::node_id(1),
                                           _config);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error());
    EXPECT_TRUE(cluster::testing::register_and_unfence(
                    **s, _shards, model::node_id(1),
                    {cluster::broker_endpoint{"PLAINTEXT", "127.0.0.1", 9092}})
                    .ok());
    _store = std::move(s).value();
    _partitions =
        std::make_unique<cluster::partition_manager>(_shards, _io, _flusher, _dir.path(), _config);
    _partitions->apply_image_and_wait(_store->image());
    _store->subscribe([this](cluster::image_ptr img) { _partitions->apply_image(img); });
    start_coordinator();
  }
  ~coordinator_node() {
    _txns->stop();
    _groups->stop_waiters();
    _groups->stop();
    _partitions->stop();
    _store->close();
    _shards.stop();
    _shards.join();
  }

  // A new coordinator over the same partitions: its groups come from the records only.
  void restart_coordinator() {
    _txns->stop();
    _groups->stop();
    start_coordinator();
  }

  cluster::partition_manager& partitions() { return *_partitions; }
  net::shard_pool& shards() { return _shards; }
  storage::fault_io& io() { return _io; }
  coord::txn_coordinator& txns() { return *_txns; }
  coord::group_coordinator& groups() { return *_groups; }

  // Runs `a` on shard `shard` and waits for it.
  template <typename T>
  T run(net::awaitable<T> a, unsigned shard = 0) {
    return asio::co_spawn(_shards.shard(shard), std::move(a), asio::use_future).get();
  }

  void create_topic(std::string name, int32_t partitions) {
    cluster::create_topic_request req;
    req.name = std::move(name);
    req.num_partitions = partitions;
    asio::co_spawn(_shards.shard(1), create_topic_on(_store.get(), _partitions.get(), req),
                   asio::use_future)
        .get();
  }

  // Encodes, runs the registered handler on shard `shard`, decodes the response.
  template <typename Api>
  typename Api::response_type call(const typename Api::request_type& request, int16_t version,
                                   unsigned shard = 1) {
    return finish<Api>(start<Api>(request, version, shard).get(), version);
  }

  // The same in two steps, so that several requests can be in flight side by side.
  template <typename Api>
  std::future<net::handler_result> start(const typename Api::request_type& request, int16_t version,
                                         unsigned shard = 1) {
    const handler* h = find_handler(Api::key);
    VLTAVA_ASSERT(h != nullptr, "the API has a handler");
    EXPECT_GE(version, h->min_version);
    EXPECT_LE(version, h->max_version);
    protocol::writer w;
    request.encode(w, version);
    auto st = std::make_shared<in_flight>(in_flight{
        std::move(w).take(), {}, net::connection_info{1, "127.0.0.1:5000", "PLAINTEXT", shard}});
    st->header.api_key = Api::key;
    st->header.api_version = version;
    st->header.client_id = "test-client";
    return asio::co_spawn(_shards.shard(shard), serve_on(h, st, _services.get()), asio::use_future);
  }

  template <typename Api>
  typename Api::response_type finish(const net::handler_result& out, int16_t version) {
    VLTAVA_ASSERT(out.reply.has_value(), "the handler answers");
    const auto& bytes = std::get<std::vector<std::byte>>(out.reply->parts.at(0));
    protocol::reader r(bytes);
    int32_t correlation = 0;
    VLTAVA_ASSERT(r.read_fixed(correlation), "correlation id");
    if (protocol::response_header_version(Api::key, version) >= 1) {
      uint32_t tags = 0;
      VLTAVA_ASSERT(r.read_tag_count(tags) && tags == 0, "response header tags");
    }
    typename Api::response_type response;
    auto d = response.decode(r, version);
    EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().to_string());
    return response;
  }

  void find_coordinator(const std::string& group) {
    protocol::find_coordinator_request fc;
    fc.key = group;
    auto r = call<protocol::find_coordinator_api>(fc, 2);
    ASSERT_EQ(r.error_code, error_code::none);
  }

 private:
  static std::vector<std::string> with_defaults(std::vector<std::string> overrides) {
    overrides.insert(overrides.begin(),
                     {"offsets.topic.num.partitions=3", "transaction.state.log.num.partitions=3",
                      "group.initial.rebalance.delay.ms=0"});
    return overrides;
  }
  static config::config_set load(std::vector<std::string> overrides) {
    auto loaded = config::load_broker_config("", "test", overrides);
    VLTAVA_ASSERT(loaded.has_value(), "test broker config loads");
    return std::move(loaded).value().values;
  }
  void start_coordinator() {
    _groups = std::make_unique<coord::group_coordinator>(_shards, *_partitions, *_store,
                                                         coord::coordinator_config::from(_config));
    _groups->start();
    _txns = std::make_unique<coord::txn_coordinator>(_shards, *_partitions, *_store, _groups.get(),
                                                     coord::txn_config::from(_config), _clock);
    _txns->start();
    _services = std::make_unique<broker_services>(broker_services{
        model::node_id(1), _config, _shards, *_store, *_partitions, _groups.get(), _txns.get()});
  }

  storage::testing::temp_dir _dir;
  storage::posix_io _real_io;
  storage::fault_io _io{_real_io};
  config::config_set _config;
  coord::txn_coordinator::clock_fn _clock;
  storage::flusher _flusher;
  net::shard_pool _shards;
  // A request being served: owned by its coroutine until the answer is out.
  struct in_flight {
    std::vector<std::byte> body;
    protocol::request_header header;
    net::connection_info conn;
  };
  static net::awaitable<net::handler_result> serve_on(const handler* h,
                                                      std::shared_ptr<in_flight> st,
                                                      broker_services* services) {
    request_context ctx{st->conn, st->header, *services};
    co_return co_await h->fn(ctx, st->body);
  }
  static net::awaitable<void> create_topic_on(cluster::metadata_store* store,
                                              cluster::partition_manager* partitions,
                                              cluster::create_topic_request req) {
    auto r = co_await store->create_topic(std::move(req));
    EXPECT_TRUE(r.ok());
    co_await partitions->apply_image_async(store->image());
  }

  std::unique_ptr<cluster::metadata_store> _store;
  std::unique_ptr<cluster::partition_manager> _partitions;
  std::unique_ptr<coord::group_coordinator> _groups;
  std::unique_ptr<coord::txn_coordinator> _txns;
  std::unique_ptr<broker_services> _services;
};

}  // namespace vltava::kafka::testing
