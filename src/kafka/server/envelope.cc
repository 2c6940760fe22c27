#include "kafka/server/envelope.h"

#include <cstring>

#include "cluster/metadata_store.h"
#include "kafka/server/authorize.h"
#include "kafka/server/forwarding.h"
#include "net/asio.h"
#include "protocol/api_table.h"
#include "protocol/framing.h"
#include "protocol/generated/default_principal_data.h"
#include "protocol/generated/describe_quorum.h"
#include "protocol/generated/envelope.h"

namespace vltava::kafka {
namespace {

constexpr int16_t principal_version = 0;  // DefaultPrincipalData's only version

net::handler_result envelope_error(const request_context& ctx, protocol::error_code e) {
  protocol::envelope_response r;
  r.error_code = e;
  r.response_data = std::nullopt;
  return net::handler_result{encode_response<protocol::envelope_api>(ctx, r)};
}

// The inner response as one byte string (admin responses are plain buffers, never files).
std::optional<std::vector<std::byte>> flatten(const net::response& reply) {
  std::vector<std::byte> out;
  out.reserve(reply.size_bytes());
  for (const auto& part : reply.parts) {
    const auto* bytes = std::get_if<std::vector<std::byte>>(&part);
    if (bytes == nullptr) return std::nullopt;
    out.insert(out.end(), bytes->begin(), bytes->end());
  }
  return out;
}

// An Envelope is a node's, sent on the controller listener: Kafka closes a connection that
// sends one on any other listener (a client must not speak for another principal).
bool on_controller_listener(const request_context& ctx) {
  return ctx.services.listeners.scope_of(ctx.connection.listener) == api_scope::controller;
}

}  // namespace

std::vector<std::byte> encode_principal(std::string_view principal) {
  protocol::default_principal_data data;
  const auto colon = principal.find(':');
  data.type = colon == std::string_view::npos ? "User" : std::string(principal.substr(0, colon));
  data.name =
      std::string(colon == std::string_view::npos ? principal : principal.substr(colon + 1));
  data.token_authenticated = false;  // Vltava has no delegation tokens
  protocol::writer w;
  w.write_fixed(principal_version);
  data.encode(w, principal_version);
  return std::move(w).take();
}

result<std::string, std::string> decode_principal(std::span<const std::byte> bytes) {
  if (bytes.size() > envelope_principal_max_bytes) {
    return fail("principal of " + std::to_string(bytes.size()) + " bytes is over the limit");
  }
  protocol::reader r(bytes);
  int16_t version = -1;
  if (!r.read_fixed(version)) return fail(std::string("no principal version"));
  if (version != principal_version) {
    return fail("unknown principal data version " + std::to_string(version));
  }
  protocol::default_principal_data data;
  if (auto d = data.decode(r, version); !d) return fail(d.error().to_string());
  if (data.type.empty() || data.name.empty()) return fail(std::string("empty principal"));
  return data.type + ":" + data.name;
}

std::optional<std::vector<std::byte>> address_bytes(std::string_view host) {
  asio::error_code ec;
  const auto a = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  std::vector<std::byte> out;
  auto append = [&out](const auto& raw) {
    for (auto b : raw) out.push_back(static_cast<std::byte>(b));
  };
  if (a.is_v4()) {
    append(a.to_v4().to_bytes());
  } else {
    append(a.to_v6().to_bytes());
  }
  return out;
}

std::optional<std::string> host_of_address(std::span<const std::byte> bytes) {
  if (bytes.size() == 4) {
    asio::ip::address_v4::bytes_type raw;
    std::memcpy(raw.data(), bytes.data(), raw.size());
    return asio::ip::address_v4(raw).to_string();
  }
  if (bytes.size() == 16) {
    asio::ip::address_v6::bytes_type raw;
    std::memcpy(raw.data(), bytes.data(), raw.size());
    return asio::ip::address_v6(raw).to_string();
  }
  return std::nullopt;
}

std::optional<response_head> read_response_head(std::span<const std::byte> frame,
                                                int16_t header_version) {
  protocol::reader r(frame);
  response_head head;
  if (!r.read_fixed(head.correlation_id)) return std::nullopt;
  if (header_version >= 1) {
    uint32_t count = 0;
    if (!r.read_uvarint(count)) return std::nullopt;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t tag = 0;
      std::span<const std::byte> value;
      if (!r.read_tagged_field(tag, value)) return std::nullopt;
    }
  }
  head.body_offset = r.position();
  return head;
}

bool forwardable(int16_t api_key) {
  return decided_by_controller(api_key) || api_key == protocol::describe_quorum_api::key;
}

namespace {

// Serves the request inside an Envelope as `client`; nullopt when it cannot be parsed or
// served (INVALID_REQUEST).
net::awaitable<std::optional<std::vector<std::byte>>> serve_inner(request_context& outer,
                                                                  std::vector<std::byte> frame,
                                                                  const forwarded_client* client) {
  auto header = protocol::parse_request_header(frame);
  if (!header || !forwardable(header->api_key)) co_return std::nullopt;
  const handler* h = find_handler(header->api_key);
  if (h == nullptr || header->api_version < h->min_version ||
      header->api_version > h->max_version) {
    co_return std::nullopt;
  }
  std::span<std::byte> body = std::span(frame).subspan(header->body_offset);
  request_context inner{outer.connection, *header, outer.services, body, client};
  net::handler_result result = co_await h->fn(inner, body);
  if (result.close_after || !result.reply) co_return std::nullopt;
  co_return flatten(*result.reply);
}

}  // namespace

net::awaitable<net::handler_result> serve_envelope(request_context& ctx,
                                                   std::span<const std::byte> body) {
  protocol::envelope_request request;
  protocol::reader r(body, ctx.header.body_offset);
  if (auto d = request.decode(r, ctx.version()); !d) {
    co_return refuse_malformed(ctx, protocol::envelope_api::name, d.error());
  }
  if (!on_controller_listener(ctx) || ctx.forwarded_for != nullptr) {
    log::warn("kafka",
              "closing connection {} from {} on {}: Envelope is only accepted on the "
              "controller listener",
              ctx.connection.id, ctx.connection.peer, ctx.connection.listener);
    co_return net::handler_result{std::nullopt, true};
  }
  if (!request_authz(ctx).allowed_on_cluster(acl_operation::cluster_action)) {
    co_return envelope_error(ctx, protocol::error_code::cluster_authorization_failed);
  }
  if (ctx.services.metadata.image()->controller_id != ctx.services.node_id) {
    co_return envelope_error(ctx, protocol::error_code::not_controller);
  }
  forwarded_client client;
  auto principal = request.request_principal
                       ? decode_principal(*request.request_principal)
                       : result<std::string, std::string>(fail(std::string("null principal")));
  if (!principal) {
    log::info("kafka", "Envelope from {}: cannot read the principal: {}", ctx.connection.peer,
              principal.error());
    co_return envelope_error(ctx, protocol::error_code::principal_deserialization_failure);
  }
  client.principal = std::move(principal).value();
  auto host = host_of_address(request.client_host_address);
  if (!host) co_return envelope_error(ctx, protocol::error_code::invalid_request);
  client.host = std::move(*host);
  auto inner = co_await serve_inner(ctx, std::move(request.request_data), &client);
  if (!inner) {
    log::info("kafka", "Envelope from {} for {}: the inner request cannot be served",
              ctx.connection.peer, client.principal);
    co_return envelope_error(ctx, protocol::error_code::invalid_request);
  }
  protocol::envelope_response response;
  response.error_code = protocol::error_code::none;
  response.response_data = std::move(*inner);
  co_return net::handler_result{encode_response<protocol::envelope_api>(ctx, response)};
}

}  // namespace vltava::kafka
