#pragma once

// Test fixture of the admin handler tests: a node's metadata store and partitions over a
// temporary directory, two running shards, and calls of handlers the way the dispatcher
// makes them (on a shard, with a request context), directly or through the codec.

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "cluster/metadata_store.h"
#include "cluster/partition_manager.h"
#include "cluster/self_registration.h"
#include "config/broker_configs.h"
#include "kafka/server/handler.h"
#include "storage/test_util.h"

namespace vltava::kafka::testing {

class admin_fixture {
 public:
  explicit admin_fixture(std::vector<std::string> overrides = {})
      : _config(load(std::move(overrides))), _flusher(_io), _shards(2) {
    _shards.start();
    auto s = cluster::metadata_store::open(_io, _flusher, _shards, _dir.path(), model::node_id(1),
                                           _config);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error());
    EXPECT_TRUE(cluster::testing::register_and_unfence(
                    **s, _shards, model::node_id(1),
                    {cluster::broker_endpoint{"PLAINTEXT", "127.0.0.1", 9092}}, "rack-a")
                    .ok());
    _store = std::move(s).value();
    _partitions =
        std::make_unique<cluster::partition_manager>(_shards, _io, _flusher, _dir.path(), _config);
    _partitions->apply_image_and_wait(_store->image());
    _store->subscribe([this](cluster::image_ptr img) { _partitions->apply_image(img); });
    _services = std::make_unique<broker_services>(
        broker_services{model::node_id(1), _config, _shards, *_store, *_partitions});
  }
  ~admin_fixture() {
    _partitions->stop();
    _store->close();
    _shards.stop();
    _shards.join();
  }

  cluster::metadata_store& store() { return *_store; }
  broker_services& services() { return *_services; }
  // The listener the calls come in on ("PLAINTEXT" unless a test changes it).
  void set_listener(std::string name) { _connection.listener = std::move(name); }

  // Runs handler `h` on `body` at `version` on shard 1, as the dispatcher does; correlation
  // id 7. The result as the handler gave it (reply and close flag).
  net::handler_result call_raw(const handler& h, int16_t version, std::vector<std::byte> body) {
    protocol::request_header header;
    header.api_key = h.key;
    header.api_version = version;
    header.correlation_id = 7;
    return run_on_shard1(serve_bytes(_connection, header, *_services, h, body));
  }
  const std::string& dir() const { return _dir.path(); }

  // Runs `fn` (returning an awaitable) on shard 1 and waits for its result.
  template <typename Fn>
  auto run(Fn fn) {
    return asio::co_spawn(_shards.shard(1), std::move(fn), asio::use_future).get();
  }

  // Calls `Serve(ctx, request)` on shard 1 at `version` and waits for the response.
  template <typename Api, auto Serve>
  typename Api::response_type call(const typename Api::request_type& request, int16_t version) {
    protocol::request_header header;
    header.api_key = Api::key;
    header.api_version = version;
    return run_on_shard1(serve<Api, Serve>(_connection, header, *_services, request));
  }

  // Encodes `request`, runs the registered handler of `Api` on the bytes, decodes the response:
  // the codec and the handler table as the dispatcher uses them.
  template <typename Api>
  typename Api::response_type call_encoded(const typename Api::request_type& request,
                                           int16_t version) {
    const handler* h = nullptr;
    for (const auto& candidate : admin_handlers()) {
      if (candidate.key == Api::key) h = &candidate;
    }
    VLTAVA_ASSERT(h != nullptr, "the API has an admin handler");
    protocol::writer w;
    request.encode(w, version);
    std::vector<std::byte> body = std::move(w).take();
    protocol::request_header header;
    header.api_key = Api::key;
    header.api_version = version;
    net::handler_result out = run_on_shard1(serve_bytes(_connection, header, *_services, *h, body));
    VLTAVA_ASSERT(out.reply.has_value(), "admin handlers always answer");
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

 private:
  template <typename T>
  T run_on_shard1(net::awaitable<T> a) {
    return asio::co_spawn(_shards.shard(1), std::move(a), asio::use_future).get();
  }
  // On the shard, as the dispatcher calls a handler (the caller waits, so references hold).
  template <typename Api, auto Serve>
  static net::awaitable<typename Api::response_type> serve(
      const net::connection_info& connection, const protocol::request_header& header,
      broker_services& services, const typename Api::request_type& request) {
    request_context ctx{connection, header, services};
    auto r = co_await Serve(ctx, request);
    VLTAVA_ASSERT(r.has_value(), "admin handlers always answer");
    co_return std::move(*r);
  }
  static net::awaitable<net::handler_result> serve_bytes(const net::connection_info& connection,
                                                         const protocol::request_header& header,
                                                         broker_services& services,
                                                         const handler& h,
                                                         std::span<const std::byte> body) {
    request_context ctx{connection, header, services};
    co_return co_await h.fn(ctx, body);
  }

  static config::config_set load(std::vector<std::string> overrides) {
    auto loaded = config::load_broker_config("", "test", overrides);
    VLTAVA_ASSERT(loaded.has_value(), "test broker config loads");
    return std::move(loaded).value().values;
  }

  storage::testing::temp_dir _dir;
  storage::posix_io _io;
  config::config_set _config;
  storage::flusher _flusher;
  net::shard_pool _shards;
  std::unique_ptr<cluster::metadata_store> _store;
  std::unique_ptr<cluster::partition_manager> _partitions;
  std::unique_ptr<broker_services> _services;
  net::connection_info _connection{1, "127.0.0.1:5000", "PLAINTEXT", 1};
};

}  // namespace vltava::kafka::testing
