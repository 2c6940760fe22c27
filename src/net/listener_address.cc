#include "net/listener_address.h"

#include <cctype>
#include <charconv>

namespace vltava::net {

result<listener_address, std::string> parse_listener(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail("invalid listener '" + std::string(text) + "': " + std::string(why));
  };
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return bad("expected NAME://host:port");
  listener_address out;
  out.name = std::string(text.substr(0, sep));
  for (char& c : out.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return bad("listener name may hold letters, digits, '_' and '-'");
    }
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string_view rest = text.substr(sep + 3);
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return bad("expected [ipv6]:port");
    }
    out.host = std::string(rest.substr(1, close - 1));
    port_text = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    out.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace vltava::net
