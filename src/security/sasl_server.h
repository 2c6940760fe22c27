#pragma once

// The server side of one SASL exchange, token by token, for the mechanisms Vltava serves:
// PLAIN (RFC 4616, users from the listener's JAAS config) and SCRAM-SHA-256/512 (credentials
// from a credential_store). Secrets are compared in constant time.

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "security/credential_store.h"

namespace vltava::security {

struct sasl_settings {
  std::vector<std::string> mechanisms;  // enabled, in the order clients are told
  std::map<std::string, std::string, std::less<>> plain_users;  // user_<name>="<password>"
  std::shared_ptr<const credential_store> credentials;
  int32_t max_receive_bytes = 524288;  // sasl.server.max.receive.size
};

struct sasl_step {
  enum class outcome : uint8_t { more, done, failed };
  outcome result = outcome::failed;
  std::vector<std::byte> reply;
  std::string error;     // failed: what the client is told
  std::string username;  // done: the authenticated user
};

class sasl_mechanism_server {
 public:
  virtual ~sasl_mechanism_server() = default;
  virtual sasl_step step(std::span<const std::byte> token) = 0;
};

// nullptr when `mechanism` is not one Vltava serves.
std::unique_ptr<sasl_mechanism_server> make_sasl_server(std::string_view mechanism,
                                                        const sasl_settings& settings);

// Equal secrets, in time that depends on neither's content nor length.
bool secrets_equal(std::string_view a, std::string_view b);

}  // namespace vltava::security
