#pragma once

// Envelope (API 58, KIP-590): how a broker forwards a client's admin request to the active
// controller so that the controller decides it as the client, not as the broker.
//
// The broker wraps the client's whole request (header and body, as the client sent it) with
// the client's principal (Kafka's DefaultPrincipalData, version-prefixed) and IP address. The
// controller accepts an Envelope only on its controller listener and from a principal allowed
// CLUSTER_ACTION on the cluster (CLUSTER_AUTHORIZATION_FAILED otherwise), only while it is the
// active controller (NOT_CONTROLLER), unwraps it, authorizes and serves the inner request as
// the client's principal and host, and returns the inner response (header and body) inside the
// EnvelopeResponse. A principal it cannot read answers PRINCIPAL_DESERIALIZATION_FAILURE; an
// unreadable address, an inner request that cannot be parsed, is not one brokers forward, or
// has a version this node does not serve answers INVALID_REQUEST.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kafka/server/handler.h"

namespace vltava::kafka {

// A principal longer than this is not read (Kafka names no limit; a principal is a user name).
inline constexpr size_t envelope_principal_max_bytes = 4096;

// "User:alice" as DefaultPrincipalData v0 after its int16 version (Kafka's
// toVersionPrefixedBytes). A principal without a type is a User's.
std::vector<std::byte> encode_principal(std::string_view principal);

// The principal ("Type:Name") in `bytes`; an error says why it cannot be read.
result<std::string, std::string> decode_principal(std::span<const std::byte> bytes);

// An IP address ("10.0.0.7", "::1") as its 4 or 16 raw bytes, and back (nullopt otherwise).
std::optional<std::vector<std::byte>> address_bytes(std::string_view host);
std::optional<std::string> host_of_address(std::span<const std::byte> bytes);

// Where the body of a response frame (size prefix removed) with a header of `header_version`
// starts, and its correlation id.
struct response_head {
  int32_t correlation_id = 0;
  size_t body_offset = 0;
};
std::optional<response_head> read_response_head(std::span<const std::byte> frame,
                                                int16_t header_version);

// Whether a broker forwards requests of this API to the controller (in an Envelope).
bool forwardable(int16_t api_key);

// The controller's Envelope handler.
net::awaitable<net::handler_result> serve_envelope(request_context& ctx,
                                                   std::span<const std::byte> body);

}  // namespace vltava::kafka
