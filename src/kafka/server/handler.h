#pragma once

// The shape of every Kafka API handler: decode → serve → encode, with the versions the
// handler serves declared beside it. ApiVersions is computed from the registered handlers
// (handlers.cc), so the broker never advertises what it lacks, whatever the codec can parse.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/log.h"
#include "kafka/server/broker_services.h"
#include "net/asio.h"
#include "net/response.h"
#include "net/server.h"
#include "protocol/framing.h"
#include "protocol/reader.h"

namespace vltava::kafka {

// The client a request acts for when it came wrapped in an Envelope (KIP-590): the principal
// and host the forwarding broker authenticated, which the controller authorizes instead of
// the forwarding broker's own connection.
struct forwarded_client {
  std::string principal;  // "User:alice"
  std::string host;       // "10.0.0.7", as ACLs name hosts
};

struct request_context {
  const net::connection_info& connection;
  const protocol::request_header& header;
  broker_services& services;
  // The request body as the dispatcher owns it, writable for the handler's lifetime: Produce
  // rewrites offsets in the frame itself instead of copying each partition's records. Empty
  // where the body is not the handler's to change (tests); handlers then copy.
  std::span<std::byte> writable_body{};
  // Set while serving the request inside an Envelope (server/envelope.h); null otherwise.
  const forwarded_client* forwarded_for = nullptr;
  // The request's size on the wire, header included (what Produce records against
  // producer_byte_rate, as Kafka's request.sizeInBytes); 0 in tests that build no frame.
  size_t request_bytes = 0;
  // Set by a handler whose client is over its quota (server/client_quotas.h): the
  // throttle_time_ms it answered with, for which the dispatcher mutes the connection.
  int64_t throttle_ms = 0;

  int16_t version() const { return header.api_version; }
};

using handler_fn = net::awaitable<net::handler_result> (*)(request_context&,
                                                           std::span<const std::byte> body);

struct handler {
  int16_t key;
  std::string_view name;
  int16_t min_version;
  int16_t max_version;
  handler_fn fn;
};

// A request the codec cannot parse: Kafka closes the connection (the stream may be out of
// step); one log line says who sent what.
net::handler_result refuse_malformed(const request_context& ctx, std::string_view api,
                                     const protocol::decode_error& e);

// A response body with its header, without the size prefix (the net layer adds it).
template <typename Api>
net::response encode_response(const request_context& ctx, const typename Api::response_type& body) {
  protocol::writer w;
  protocol::write_response_header(w, protocol::response_header_version(Api::key, ctx.version()),
                                  ctx.header.correlation_id);
  body.encode(w, ctx.version());
  net::response out;
  out.parts.push_back(std::move(w).take());
  return out;
}

// Decodes `Api::request_type`, calls `Serve(ctx, request)`, which returns
// `std::optional<Api::response_type>` (nullopt: no response, e.g. Produce with acks=0), and
// encodes the response frame. Handlers needing file ranges in the response (Fetch) write their
// own handler_fn instead.
template <typename Api, auto Serve>
net::awaitable<net::handler_result> typed_handler(request_context& ctx,
                                                  std::span<const std::byte> body) {
  typename Api::request_type request;
  protocol::reader r(body, ctx.header.body_offset);
  if (auto d = request.decode(r, ctx.version()); !d) {
    co_return refuse_malformed(ctx, Api::name, d.error());
  }
  std::optional<typename Api::response_type> response = co_await Serve(ctx, request);
  if (!response) co_return net::handler_result{};
  co_return net::handler_result{encode_response<Api>(ctx, *response)};
}

template <typename Api, auto Serve>
constexpr handler make_handler(int16_t min_version = Api::min_version,
                               int16_t max_version = Api::max_version) {
  return handler{Api::key, Api::name, min_version, max_version, &typed_handler<Api, Serve>};
}

// Every handler the broker has, sorted by API key (handlers.cc gathers the groups below).
std::span<const handler> all_handlers();
std::span<const handler> data_handlers();    // produce, fetch, offsets (data_handlers.cc)
std::span<const handler> admin_handlers();   // metadata, topics, configs (admin_handlers.cc)
std::span<const handler> group_handlers();   // group coordinator APIs (group_handlers.cc)
std::span<const handler> txn_handlers();     // transaction APIs (txn_handlers.cc)
std::span<const handler> quorum_handlers();  // KRaft's quorum RPCs (quorum_handlers.cc)
const handler* find_handler(int16_t key);

}  // namespace vltava::kafka
