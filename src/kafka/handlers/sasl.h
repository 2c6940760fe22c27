#pragma once

// SaslHandshake (key 17, v0-1) and SaslAuthenticate (key 36, v0-2), and the bare SASL tokens
// that follow SaslHandshake v0, as Kafka's SaslServerAuthenticator serves them. The exchange
// itself is security::session's; these carry it over the wire. Until a connection of a SASL
// listener has authenticated, the dispatcher lets through ApiVersions and these two only.
// On an authenticated connection, or on a listener without SASL, both answer
// ILLEGAL_SASL_STATE.

#include <span>

#include "kafka/server/handler.h"

namespace vltava::kafka {

net::awaitable<net::handler_result> serve_sasl_handshake(request_context& ctx,
                                                         std::span<const std::byte> body);
net::awaitable<net::handler_result> serve_sasl_authenticate(request_context& ctx,
                                                            std::span<const std::byte> body);

// A frame that is a bare SASL token (after SaslHandshake v0): answered by the bare token the
// mechanism replies with; a failed exchange closes the connection without an answer.
net::handler_result serve_sasl_token(const net::connection_info& connection,
                                     std::span<const std::byte> frame);

// Whether `api_key` may be sent on a connection that has not authenticated.
bool allowed_before_authentication(int16_t api_key);

}  // namespace vltava::kafka
