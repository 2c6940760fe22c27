#pragma once

// What a listener demands of its connections, built once at start from the broker configs
// with the listener's listener.name.<name>.* overrides: its security protocol, its TLS context
// (SSL, SASL_SSL), how a client certificate becomes a principal, and its SASL mechanisms
// with their users.

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "config/broker_configs.h"
#include "security/credential_store.h"
#include "security/principal_mapper.h"
#include "security/sasl_server.h"
#include "security/security_protocol.h"
#include "security/tls_context.h"

namespace vltava::security {

struct listener_security {
  std::string listener;  // upper case, as parse_listener gives it
  security_protocol protocol = security_protocol::plaintext;
  ssl_ctx_ptr tls;  // set exactly when uses_tls(protocol)
  principal_mapper principals;
  sasl_settings sasl;  // SASL_PLAINTEXT, SASL_SSL
};

// nullptr for a PLAINTEXT listener (its connections carry no security state at all).
// `credentials` holds the SCRAM users (one store for every listener).
result<std::shared_ptr<const listener_security>, std::string> make_listener_security(
    const config::loaded_broker_config& cfg, std::string_view listener,
    std::shared_ptr<const credential_store> credentials);

}  // namespace vltava::security
