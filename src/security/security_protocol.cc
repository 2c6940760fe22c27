#include "security/security_protocol.h"

#include <array>
#include <cctype>
#include <utility>

namespace vltava::security {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

result<security_protocol, std::string> parse_security_protocol(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, security_protocol>, 4> names = {{
      {"PLAINTEXT", security_protocol::plaintext},
      {"SSL", security_protocol::ssl},
      {"SASL_PLAINTEXT", security_protocol::sasl_plaintext},
      {"SASL_SSL", security_protocol::sasl_ssl},
  }};
  const std::string wanted = upper(name);
  for (const auto& [text, protocol] : names) {
    if (text == wanted) return protocol;
  }
  return fail("unknown security protocol '" + std::string(name) +
              "' (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)");
}

result<security_protocol, std::string> protocol_of_listener(
    const std::vector<std::string>& protocol_map, std::string_view listener) {
  for (const auto& entry : protocol_map) {
    size_t colon = entry.find(':');
    if (colon == std::string::npos) {
      return fail("listener.security.protocol.map: '" + entry + "' is not NAME:PROTOCOL");
    }
    if (upper(std::string_view(entry).substr(0, colon)) != listener) continue;
    auto p = parse_security_protocol(std::string_view(entry).substr(colon + 1));
    if (!p) return fail("listener.security.protocol.map: " + p.error());
    return *p;
  }
  return fail("listener " + std::string(listener) +
              " has no security protocol in listener.security.protocol.map");
}

}  // namespace vltava::security
