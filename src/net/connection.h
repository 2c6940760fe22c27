#pragma once

// One client connection, living on one shard: a read loop that cuts frames and starts their
// handlers (up to a bound), and a write loop that sends the results in request order.

#include <deque>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "net/asio.h"
#include "net/server.h"
#include "net/tls.h"

namespace vltava::net {

class connection : public std::enable_shared_from_this<connection> {
 public:
  // `first`, when not empty, is a request frame read on the shard the connection moved from:
  // it is served before anything else is read. With `tls`, the connection starts with a TLS
  // handshake and never moves to another shard: its TLS state (OpenSSL's SSL object and the
  // bytes it has read ahead) is bound to this connection object and cannot follow the socket,
  // so its requests for other shards' partitions take the hop there and back instead.
  connection(tcp::socket socket, connection_info info, std::shared_ptr<server::shared_state> shared,
             frame_bytes first = {}, std::shared_ptr<tls_context> tls = nullptr);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Runs until the connection closes; must be started on the socket's shard.
  awaitable<void> run();

  // Graceful: read no more requests, answer the ones read, then close.
  void drain();
  // Immediate close.
  void abort();

 private:
  struct slot {
    std::optional<handler_result> result;
  };

  awaitable<bool> tls_handshake();
  awaitable<std::tuple<asio::error_code, size_t>> read_exact(asio::mutable_buffer buf);
  awaitable<bool> send_tls(const response& r);
  awaitable<bool> write_tls(frame_bytes& out);
  bool authenticating() const;  // a SASL exchange is due or under way
  // Closes the connection when its SASL exchange is not done by the deadline.
  awaitable<void> authentication_watchdog(std::shared_ptr<connection> self);
  size_t max_frame_bytes() const;  // smaller before authentication
  awaitable<void> read_loop();
  // Reads exactly `buf`; false on error, end of stream or connections.max.idle.ms (`idle`).
  awaitable<bool> read_with_timeout(asio::mutable_buffer buf, asio::steady_timer& idle);
  awaitable<void> write_loop();
  awaitable<void> run_handler(std::shared_ptr<slot> s, frame_bytes frame);
  awaitable<bool> send(const response& r);
  awaitable<bool> send_file(const file_range& f);
  awaitable<bool> wait_for_queue_memory(int32_t size);
  std::optional<unsigned> move_target(const frame_bytes& frame);
  awaitable<void> wait_until_answered();
  void hand_over();
  void drop_first();  // the frame that decided a move will not be served: release its bytes
  void start_handler(frame_bytes frame);
  // KIP-219: a reply that carried a throttle time mutes the connection that long after it.
  void mute(std::chrono::milliseconds d);
  awaitable<void> wait_while_muted();
  static void notify(asio::steady_timer& t) { t.cancel(); }
  awaitable<void> wait(asio::steady_timer& t);
  void close_socket();

  tcp::socket _socket;
  std::shared_ptr<tls_context> _tls_context;  // keeps the context alive as long as _tls
  std::optional<tls_stream> _tls;             // over _socket; empty on plaintext
  connection_info _info;
  std::shared_ptr<server::shared_state> _shared;
  std::deque<std::shared_ptr<slot>> _pending;  // in request order
  size_t _in_flight_bytes = 0;
  asio::steady_timer _writer_wake;
  asio::steady_timer _reader_wake;
  asio::steady_timer _unmute;  // the read loop waits on it while muted
  std::chrono::steady_clock::time_point _muted_until{};
  // After a mute, requests are served one at a time for this long (wait_while_muted); longer
  // than Kafka's default quota window (11 x 1 s), so a client held at its quota stays so.
  static constexpr std::chrono::seconds one_at_a_time_after_mute{30};
  std::chrono::steady_clock::time_point _one_at_a_time_until{};
  bool _reading_done = false;
  bool _aborted = false;
  bool _writing = false;
  // Moving to the shard that owns the partitions this connection's requests touch: consulted
  // for the first requests only (a client whose requests span shards stays where it is).
  int _route_checks_left = 16;
  std::optional<unsigned> _move_to;
  frame_bytes _first;  // the frame that decided the move; served first on the new shard
  // The TLS handshake and the SASL exchange must both be done by then.
  std::chrono::steady_clock::time_point _authentication_deadline;
};

}  // namespace vltava::net
