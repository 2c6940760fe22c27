#pragma once

// The Kafka-protocol TCP server: listeners, connections spread over the shards, size-prefixed
// frames bounded by socket.request.max.bytes, requests pipelined per connection with responses
// sent in request order, idle connections closed, max.connections enforced, graceful shutdown.
// It knows nothing of Kafka APIs: each frame goes to the request handler, which runs on the
// connection's shard.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/default_init_allocator.h"
#include "base/result.h"
#include "config/broker_configs.h"
#include "net/asio.h"
#include "net/listener_address.h"
#include "net/response.h"
#include "net/shard_pool.h"
#include "net/tls.h"
#include "security/listener_security.h"
#include "security/session.h"

namespace vltava::net {

// The broker configs of the server; defaults are the broker config table's (compile time).
struct server_limits {
  size_t request_max_bytes = config::broker_keys::socket_request_max_bytes.default_value();
  // All connections together; -1 = no limit.
  int64_t queued_max_request_bytes = config::broker_keys::queued_max_request_bytes.default_value();
  int32_t max_connections = config::broker_keys::max_connections.default_value();
  // <= 0 = never.
  std::chrono::milliseconds idle_timeout{
      config::broker_keys::connections_max_idle_ms.default_value()};
  size_t max_in_flight_per_connection = 64;  // requests read but not yet answered
  // -1 = the OS default.
  int32_t send_buffer_bytes = config::broker_keys::socket_send_buffer_bytes.default_value();
  int32_t receive_buffer_bytes = config::broker_keys::socket_receive_buffer_bytes.default_value();
  // A TLS handshake and SASL exchange not done by then close the connection: a client that
  // connects and goes silent (or stops half way) holds nothing for long. Kafka bounds them
  // only by connections.max.idle.ms (10 minutes).
  std::chrono::milliseconds authentication_timeout{10'000};

  static server_limits from(const config::config_set& broker_config);
  bool operator==(const server_limits&) const = default;
};

struct connection_info {
  uint64_t id = 0;
  std::string peer;  // "address:port"
  std::string listener;
  unsigned shard = 0;
  // Set on every listener that is not PLAINTEXT: whether the connection has authenticated,
  // and as whom.
  std::shared_ptr<security::session> session;
};

// A request frame (size prefix removed) as read from the socket: allocated without
// zero-filling, since the read overwrites every byte.
using frame_bytes = std::vector<std::byte, default_init_allocator<std::byte>>;

// Handles one request frame on the connection's shard. Exceptions close the connection (and
// are logged); they are for programmer errors, not for bad input.
using request_handler =
    std::function<awaitable<handler_result>(const connection_info&, frame_bytes)>;

// The shard that owns everything a request frame touches, when a single shard does (a Produce
// or Fetch whose partitions all live there); nullopt when there is no such shard or the frame
// touches no partition. A connection moves to that shard, so that its requests are served
// without the post to the owner and back, which costs two wake-ups of idle threads.
using request_router = std::function<std::optional<unsigned>(std::span<const std::byte> frame)>;

class connection;

class server {
 public:
  server(shard_pool& shards, server_limits limits, request_handler handler);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens (port 0 picks a free port). Call before start(). `security` is null for
  // a PLAINTEXT listener; with a TLS context its connections speak TLS.
  result<void, std::string> listen(
      const listener_address& address,
      std::shared_ptr<const security::listener_security> security = nullptr);
  uint16_t bound_port(size_t listener_index) const;
  void start();

  // Stops accepting, lets each connection answer the requests it already read, then closes
  // it; connections still open after `grace` are closed anyway. Blocks; call from a thread that
  // is not a shard.
  void shutdown(std::chrono::milliseconds grace);

  size_t connection_count() const { return _shared->connections.load(); }

  // Optional; call before start().
  void set_router(request_router router) { _shared->router = std::move(router); }

  // State the connections share with the server (it outlives the server object while any
  // connection still runs).
  struct shared_state {
    server_limits limits;
    request_handler handler;
    request_router router;
    // Hands a connection's socket (and the request frame that asked for the move, served
    // first) to `shard`, where a new connection object carries on; set by the server.
    std::function<void(unsigned shard, int fd, tcp protocol, connection_info info,
                       frame_bytes first)>
        adopt;
    std::atomic<size_t> connections{0};
    std::atomic<int64_t> queued_request_bytes{0};
    std::atomic<uint64_t> next_id{1};
  };

 private:
  awaitable<void> accept_loop(size_t listener_index);
  void for_each_connection(void (connection::*action)());

  shard_pool& _shards;
  std::shared_ptr<shared_state> _shared;
  struct listener {
    listener_address address;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::shared_ptr<const security::listener_security> security;
    std::shared_ptr<tls_context> tls;  // SSL and SASL_SSL
  };
  std::vector<listener> _listeners;
  std::atomic<unsigned> _next_shard{0};
  std::chrono::steady_clock::time_point _last_refusal_log{};
  // Per shard, the connections living there; touched only on that shard's thread.
  std::vector<std::shared_ptr<std::vector<std::weak_ptr<connection>>>> _registry;
};

}  // namespace vltava::net
