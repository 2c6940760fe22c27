#include "kafka/server/dispatcher.h"

#include "base/log.h"
#include "kafka/handlers/sasl.h"
#include "kafka/server/client_quotas.h"
#include "kafka/server/forwarding.h"
#include "kafka/server/handler.h"
#include "protocol/framing.h"

namespace vltava::kafka {
namespace {

net::handler_result close_connection() {
  return net::handler_result{std::nullopt, true};
}

// The advertised ranges, for ApiVersions' fallback answer.
std::vector<protocol::api_info> advertised_apis(api_scope scope) {
  std::vector<protocol::api_info> out;
  for (const auto& h : all_handlers()) {
    if (!served_in(h.key, scope)) continue;
    const protocol::api_info* codec = protocol::find_api(h.key);
    out.push_back({h.key, h.name, h.min_version, h.max_version,
                   codec ? codec->first_flexible_version : int16_t{-1},
                   codec ? codec->listeners : uint8_t{0}});
  }
  return out;
}

// KIP-219: a client over its quota is answered at once and its connection muted afterwards;
// versions before it (which would resend at once) wait for the throttle time before the answer.
net::awaitable<void> throttle(const request_context& ctx, net::handler_result& result) {
  const std::chrono::milliseconds throttle_for(ctx.throttle_ms);
  if (client_quotas::mutes_after_response(ctx.header.api_key, ctx.version())) {
    result.mute_for = throttle_for;
    co_return;
  }
  asio::steady_timer delay(co_await asio::this_coro::executor);
  delay.expires_after(throttle_for);
  co_await delay.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

}  // namespace

net::handler_result refuse_malformed(const request_context& ctx, std::string_view api,
                                     const protocol::decode_error& e) {
  log::warn("kafka", "closing connection {} from {} (client '{}'): malformed {} v{} request: {}",
            ctx.connection.id, ctx.connection.peer, ctx.header.client_id.value_or(""), api,
            ctx.version(), e.to_string());
  return close_connection();
}

net::awaitable<net::handler_result> dispatch(broker_services& services,
                                             const net::connection_info& connection,
                                             net::frame_bytes frame) {
  const security::session* session = connection.session.get();
  const bool authenticating = session != nullptr && !session->authenticated();
  if (authenticating && session->stage() == security::session::sasl_stage::raw_tokens) {
    co_return serve_sasl_token(connection, frame);
  }
  auto header = protocol::parse_request_header(frame);
  if (!header) {
    log::warn("kafka", "closing connection {} from {}: unreadable request header: {}",
              connection.id, connection.peer, header.error().to_string());
    co_return close_connection();
  }
  if (authenticating && !allowed_before_authentication(header->api_key)) {
    // Kafka's IllegalSaslStateException: nothing but the exchange before authentication.
    log::info("kafka", "closing connection {} from {} on {}: API key {} before SASL authentication",
              connection.id, connection.peer, connection.listener, header->api_key);
    co_return close_connection();
  }
  const handler* h = find_handler(header->api_key);
  if (h == nullptr) {
    // Kafka closes the connection on an API key it does not serve.
    log::warn("kafka", "closing connection {} from {} (client '{}'): unsupported API key {}",
              connection.id, connection.peer, header->client_id.value_or(""), header->api_key);
    co_return close_connection();
  }
  const api_scope scope = services.listeners.scope_of(connection.listener);
  if (!served_in(header->api_key, scope)) {
    // Kafka's "api key ... which is not enabled" for this listener: a broker listener takes
    // no quorum RPCs or Envelopes, a controller listener no Produce.
    log::warn("kafka", "closing connection {} from {} on {}: {} is not served on this listener",
              connection.id, connection.peer, connection.listener, h->name);
    co_return close_connection();
  }
  if (header->api_version < h->min_version || header->api_version > h->max_version) {
    if (header->api_key == protocol::api_versions_key) {
      // A client probing with a newer ApiVersions than ours learns our versions and retries.
      auto fallback =
          protocol::encode_api_versions_fallback(header->correlation_id, advertised_apis(scope));
      fallback.erase(fallback.begin(), fallback.begin() + 4);  // the net layer adds the size
      net::response r;
      r.parts.push_back(std::move(fallback));
      co_return net::handler_result{std::move(r)};
    }
    log::warn("kafka",
              "closing connection {} from {} (client '{}'): {} v{} is not supported "
              "(v{}-{} are)",
              connection.id, connection.peer, header->client_id.value_or(""), h->name,
              header->api_version, h->min_version, h->max_version);
    co_return close_connection();
  }
  std::span<std::byte> writable = std::span(frame).subspan(header->body_offset);
  request_context ctx{connection, *header, services, writable};
  ctx.request_bytes = frame.size() + 4;
  std::span<const std::byte> body = writable;
  if (must_forward(services, header->api_key)) {
    co_return co_await forward_to_controller(ctx, std::span<const std::byte>(frame));
  }
  net::handler_result result = co_await h->fn(ctx, body);
  if (ctx.throttle_ms > 0) co_await throttle(ctx, result);
  co_return result;
}

}  // namespace vltava::kafka
