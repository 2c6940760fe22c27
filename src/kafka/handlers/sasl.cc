#include "kafka/handlers/sasl.h"

#include "base/log.h"
#include "protocol/generated/sasl_authenticate.h"
#include "protocol/generated/sasl_handshake.h"

namespace vltava::kafka {
namespace {

using security::session;

template <typename Api>
net::handler_result answer(const request_context& ctx, const typename Api::response_type& r,
                           bool close_after) {
  return net::handler_result{encode_response<Api>(ctx, r), close_after};
}

void log_failure(const net::connection_info& c, std::string_view why) {
  log::info("kafka", "closing connection {} from {} on {}: SASL authentication failed: {}", c.id,
            c.peer, c.listener, why);
}

// Decodes the request and serves it with `Serve`, which also says whether to close after.
template <typename Api,
          net::handler_result (*Serve)(request_context&, const typename Api::request_type&)>
net::awaitable<net::handler_result> decoded(request_context& ctx, std::span<const std::byte> body) {
  typename Api::request_type request;
  protocol::reader r(body, ctx.header.body_offset);
  if (auto d = request.decode(r, ctx.version()); !d) {
    co_return refuse_malformed(ctx, Api::name, d.error());
  }
  co_return Serve(ctx, request);
}

net::handler_result handshake(request_context& ctx,
                              const protocol::sasl_handshake_request& request) {
  using api = protocol::sasl_handshake_api;
  api::response_type response;
  session* s = ctx.connection.session.get();
  if (s == nullptr || s->stage() != session::sasl_stage::handshake ||
      !security::uses_sasl(s->listener().protocol)) {
    response.error_code = protocol::error_code::illegal_sasl_state;
    // Mid-exchange this is a protocol violation; elsewhere merely a request out of place.
    return answer<api>(ctx, response, s != nullptr && !s->authenticated());
  }
  response.mechanisms = s->listener().sasl.mechanisms;
  if (!s->begin_sasl(request.mechanism, ctx.version())) {
    log_failure(ctx.connection, "mechanism " + request.mechanism + " is not enabled");
    response.error_code = protocol::error_code::unsupported_sasl_mechanism;
    return answer<api>(ctx, response, true);
  }
  response.error_code = protocol::error_code::none;
  return answer<api>(ctx, response, false);
}

net::handler_result authenticate(request_context& ctx,
                                 const protocol::sasl_authenticate_request& request) {
  using api = protocol::sasl_authenticate_api;
  api::response_type response;
  session* s = ctx.connection.session.get();
  if (s == nullptr || s->stage() != session::sasl_stage::kafka_requests) {
    response.error_code = protocol::error_code::illegal_sasl_state;
    response.error_message = "SaslAuthenticate is not expected now";
    return answer<api>(ctx, response, s != nullptr && !s->authenticated());
  }
  security::sasl_step step = s->sasl_token(request.auth_bytes);
  if (step.result == security::sasl_step::outcome::failed) {
    log_failure(ctx.connection, step.error);
    response.error_code = protocol::error_code::sasl_authentication_failed;
    response.error_message = step.error;
    return answer<api>(ctx, response, true);
  }
  response.error_code = protocol::error_code::none;
  response.auth_bytes = std::move(step.reply);
  response.session_lifetime_ms = 0;  // no re-authentication (connections.max.reauth.ms)
  return answer<api>(ctx, response, false);
}

}  // namespace

bool allowed_before_authentication(int16_t api_key) {
  return api_key == protocol::api_versions_key || api_key == protocol::sasl_handshake_api::key ||
         api_key == protocol::sasl_authenticate_api::key;
}

net::awaitable<net::handler_result> serve_sasl_handshake(request_context& ctx,
                                                         std::span<const std::byte> body) {
  return decoded<protocol::sasl_handshake_api, &handshake>(ctx, body);
}

net::awaitable<net::handler_result> serve_sasl_authenticate(request_context& ctx,
                                                            std::span<const std::byte> body) {
  return decoded<protocol::sasl_authenticate_api, &authenticate>(ctx, body);
}

net::handler_result serve_sasl_token(const net::connection_info& connection,
                                     std::span<const std::byte> frame) {
  security::sasl_step step = connection.session->sasl_token(frame);
  if (step.result == security::sasl_step::outcome::failed) {
    log_failure(connection, step.error);
    return net::handler_result{std::nullopt, true};
  }
  net::response reply;
  reply.parts.push_back(std::move(step.reply));
  return net::handler_result{std::move(reply)};
}

}  // namespace vltava::kafka
