#pragma once

// One outbound connection to a Kafka-protocol peer (a quorum voter, later a partition leader):
// requests framed with Kafka's request header, several in flight at once, each response
// matched to its request by correlation id. Kafka answers in request order on a connection, so
// a response whose correlation id is not the oldest outstanding one is a protocol error: the
// connection closes and every call in flight fails.
//
// The connection opens lazily on the first call, and again on the next call after it was lost,
// no sooner than `retry_backoff` after the loss. A call that times out after its request was
// written closes the connection, as Kafka's NetworkClient does: the peer's answer could
// otherwise arrive later and be taken for another call's. Errors are values; nothing throws.
//
// Threading: the client and every call live on one executor (a shard's io_context); call() is
// awaited from coroutines running there. The client may be destroyed with calls in flight:
// they complete with `closed`.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/asio.h"

namespace vltava::net {

enum class call_errc : uint8_t {
  connect_failed = 1,  // could not connect (or resolve) within connect_timeout
  timed_out,           // no response within the call's timeout
  closed,              // the connection closed (peer, client, or another call's failure)
  response_too_large,  // the response's size prefix is above response_max_bytes
  protocol_error,      // a response out of order or with a malformed header
  malformed_response,  // the body does not decode as the API's response (typed calls only)
  too_many_in_flight,  // max_in_flight calls are already waiting on this client
};

const char* to_string(call_errc e);

struct client_options {
  // The request header's client.id.
  std::string client_id = "vltava";
  // Largest response frame accepted (size prefix excluded).
  size_t response_max_bytes = 100 * 1024 * 1024;
  // Wait between a failed or lost connection and the next attempt
  // (controller.quorum.retry.backoff.ms; Kafka's default).
  std::chrono::milliseconds retry_backoff{20};
  // socket.connection.setup.timeout.ms (Kafka's default).
  std::chrono::milliseconds connect_timeout{10'000};
  // The timeout of typed calls that name none (controller.quorum.request.timeout.ms).
  std::chrono::milliseconds request_timeout{2'000};
  // Calls queued or awaiting their response, at most.
  size_t max_in_flight = 64;
  // A loopback address the connection leaves from when the peer is on loopback too (empty: the
  // route's own source, 127.0.0.1). Several nodes on one machine, each on its own 127.0.0.N,
  // are then told apart by address pair, as firewall rules between them need.
  std::string loopback_source;
};

// A response frame (size prefix removed) and where its body starts, after the response header.
struct response_frame {
  std::vector<std::byte> bytes;
  size_t body_offset = 0;

  std::span<const std::byte> body() const { return std::span(bytes).subspan(body_offset); }
};

class kafka_client {
 public:
  kafka_client(asio::any_io_executor executor, std::string host, uint16_t port,
               client_options options = {});
  // Closes the connection; calls in flight complete with `closed`.
  ~kafka_client();
  kafka_client(const kafka_client&) = delete;
  kafka_client& operator=(const kafka_client&) = delete;

  // Sends one request (`body` is the encoded request body, without header) and waits for its
  // response. `request_header_version` is 1 or 2 (protocol::request_header_version); the
  // response header is v1 when the request header is v2, v0 otherwise and for ApiVersions.
  awaitable<result<response_frame, call_errc>> call(int16_t api_key, int16_t api_version,
                                                    int16_t request_header_version,
                                                    std::vector<std::byte> body,
                                                    std::chrono::milliseconds timeout);

  // Fails every call in flight with `closed` and closes the connection; the next call opens a
  // new one (after the backoff).
  void close();

  const std::string& host() const;
  uint16_t port() const;
  const client_options& options() const;

  struct state;

 private:
  std::shared_ptr<state> _state;
};

}  // namespace vltava::net
