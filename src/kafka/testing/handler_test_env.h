#pragma once

// Test support for handler tests: a node's data path (cluster/test_node.h), a metadata store on
// its directory (the services need one; the data handlers read images from the partition
// manager, which the test feeds), and a call that runs a request through the registered
// handler on a shard: encode → handler_fn → decode.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "cluster/metadata_store.h"
#include "cluster/self_registration.h"
#include "cluster/test_node.h"
#include "kafka/server/handler.h"
#include "protocol/api_table.h"

namespace vltava::kafka::testing {

class handler_env {
 public:
  explicit handler_env(unsigned shards = 2)
      : node(shards),
        _store(open_store(node)),
        services{model::node_id(1), node.broker, node.shards, *_store, *node.manager} {}
  ~handler_env() { _store->close(); }
  handler_env(const handler_env&) = delete;
  handler_env& operator=(const handler_env&) = delete;

  template <typename Api>
  static const handler& find() {
    for (const auto& h : data_handlers()) {
      if (h.key == Api::key) return h;
    }
    VLTAVA_ASSERT(false, "no data handler for this API");
    return data_handlers()[0];
  }

  // The response, or nullopt when the handler sends none (acks=0). Runs on `shard`.
  template <typename Api>
  std::optional<typename Api::response_type> call(int16_t version,
                                                  const typename Api::request_type& req,
                                                  unsigned shard = 0) {
    protocol::writer w;
    req.encode(w, version);
    last_body = std::move(w).take();
    auto result = node.run(shard, serve(find<Api>(), services, version, shard, last_body));
    if (!result.reply) return std::nullopt;
    std::vector<std::byte> bytes;
    for (const auto& part : result.reply->parts) {
      if (const auto* b = std::get_if<std::vector<std::byte>>(&part)) {
        bytes.insert(bytes.end(), b->begin(), b->end());
        continue;
      }
      // What sendfile would send.
      const auto& f = std::get<net::file_range>(part);
      std::vector<std::byte> chunk(f.length);
      EXPECT_EQ(::pread(f.fd, chunk.data(), f.length, f.position), static_cast<ssize_t>(f.length));
      bytes.insert(bytes.end(), chunk.begin(), chunk.end());
      ++file_ranges_sent;
    }
    protocol::reader r(bytes);
    int32_t correlation = 0;
    EXPECT_TRUE(r.read_fixed(correlation));
    EXPECT_EQ(correlation, 7);
    if (protocol::response_header_version(Api::key, version) >= 1) {
      uint32_t tags = 0;
      EXPECT_TRUE(r.read_uvarint(tags));
      EXPECT_EQ(tags, 0u);
    }
    typename Api::response_type resp;
    auto d = resp.decode(r, version);
    EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().to_string());
    _keep.push_back(std::move(bytes));  // records views point into it
    return resp;
  }

  cluster::testing::test_node node;
  size_t file_ranges_sent = 0;       // parts that went out as file ranges (zero copy)
  std::vector<std::byte> last_body;  // the last request body, as the handler left it

 private:
  static std::unique_ptr<cluster::metadata_store> open_store(cluster::testing::test_node& n) {
    auto s = cluster::metadata_store::open(n.io, n.flusher, n.shards, n.dir(), model::node_id(1),
                                           n.broker);
    VLTAVA_ASSERT(s.has_value(), "handler_env: the metadata store opens on a fresh directory");
    auto registered = cluster::testing::register_and_unfence(
        **s, n.shards, model::node_id(1),
        {cluster::broker_endpoint{"PLAINTEXT", "127.0.0.1", 9092}});
    VLTAVA_ASSERT(registered.ok(), "handler_env: the node registers with its own controller");
    return std::move(s).value();
  }

  // On the shard: `h` over `body` as the dispatcher runs it (the body is the handler's to
  // rewrite; Produce does, in place).
  static net::awaitable<net::handler_result> serve(const handler& h, broker_services& services,
                                                   int16_t version, unsigned shard,
                                                   std::vector<std::byte>& body) {
    protocol::request_header header;
    header.api_key = h.key;
    header.api_version = version;
    header.correlation_id = 7;
    net::connection_info conn{1, "127.0.0.1:1", "PLAINTEXT", shard};
    request_context ctx{conn, header, services, std::span<std::byte>(body)};
    co_return co_await h.fn(ctx, body);
  }

  std::unique_ptr<cluster::metadata_store> _store;

 public:
  broker_services services;

 private:
  std::vector<std::vector<std::byte>> _keep;
};

}  // namespace vltava::kafka::testing
