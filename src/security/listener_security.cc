#include "security/listener_security.h"

namespace vltava::security {

result<std::shared_ptr<const listener_security>, std::string> make_listener_security(
    const config::loaded_broker_config& cfg, std::string_view listener) {
  namespace keys = config::broker_keys;
  auto protocol =
      protocol_of_listener(cfg.values.get(keys::listener_security_protocol_map), listener);
  if (!protocol) return fail(protocol.error());
  if (*protocol == security_protocol::plaintext) {
    return std::shared_ptr<const listener_security>();
  }
  auto out = std::make_shared<listener_security>();
  out->listener = std::string(listener);
  out->protocol = *protocol;
  const config::config_set own = config::listener_config(cfg, listener);
  auto where = [&](const std::string& e) { return "listener " + out->listener + ": " + e; };
  if (uses_sasl(*protocol)) {
    return fail(where("SASL listeners are not served by this build yet"));
  }
  auto settings = tls_settings_from(own);
  if (!settings) return fail(where(settings.error()));
  auto ctx = make_server_context(*settings);
  if (!ctx) return fail(where(ctx.error()));
  out->tls = std::move(*ctx);
  auto mapper = principal_mapper::parse(own.get(keys::ssl_principal_mapping_rules));
  if (!mapper) return fail(where(mapper.error()));
  out->principals = std::move(*mapper);
  return std::shared_ptr<const listener_security>(std::move(out));
}

}  // namespace vltava::security
