#pragma once

// Kafka's four security protocols and the listener map that names each listener's protocol
// (`listener.security.protocol.map`, NAME:PROTOCOL entries).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vltava::security {

enum class security_protocol : uint8_t { plaintext, ssl, sasl_plaintext, sasl_ssl };

inline bool uses_tls(security_protocol p) {
  return p == security_protocol::ssl || p == security_protocol::sasl_ssl;
}
inline bool uses_sasl(security_protocol p) {
  return p == security_protocol::sasl_plaintext || p == security_protocol::sasl_ssl;
}

result<security_protocol, std::string> parse_security_protocol(std::string_view name);

// The protocol of listener `listener` (upper case, as parse_listener gives it) by the map.
result<security_protocol, std::string> protocol_of_listener(
    const std::vector<std::string>& protocol_map, std::string_view listener);

}  // namespace vltava::security
