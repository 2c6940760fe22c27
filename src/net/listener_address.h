#pragma once

// Kafka's listener syntax: NAME://host:port ("PLAINTEXT://127.0.0.1:9092", "SSL://[::1]:9093",
// "PLAINTEXT://:9092" for every interface).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vltava::net {

struct listener_address {
  std::string name;  // listener name, also the security protocol unless mapped otherwise
  std::string host;  // empty: all interfaces
  uint16_t port = 0;
  bool operator==(const listener_address&) const = default;
};

result<listener_address, std::string> parse_listener(std::string_view text);

}  // namespace vltava::net
