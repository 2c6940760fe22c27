#include "security/listener_security.h"

#include "security/jaas_config.h"

namespace vltava::security {
namespace {

namespace keys = config::broker_keys;
constexpr std::string_view plain_module = "org.apache.kafka.common.security.plain.PlainLoginModule";

// sasl.enabled.mechanisms, each served here, and PLAIN's users from the listener's JAAS config
// (listener.name.<name>.plain.sasl.jaas.config, user_<name>="<password>" options).
result<sasl_settings, std::string> sasl_settings_for(const config::loaded_broker_config& cfg,
                                                     const config::config_set& own,
                                                     std::string_view listener,
                                                     std::shared_ptr<const credential_store> c) {
  sasl_settings s;
  s.mechanisms = own.get(keys::sasl_enabled_mechanisms);
  s.max_receive_bytes = own.get(keys::sasl_server_max_receive_size);
  s.credentials = std::move(c);
  if (s.mechanisms.empty()) return fail("sasl.enabled.mechanisms is empty");
  for (const auto& m : s.mechanisms) {
    if (m != "PLAIN" && !parse_scram_mechanism(m)) {
      return fail("sasl.enabled.mechanisms: " + m +
                  " is not served by Vltava (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)");
    }
    if (m != "PLAIN") continue;
    auto text = config::listener_override(cfg, listener, "plain.sasl.jaas.config");
    if (!text) return fail("PLAIN needs listener.name.<listener>.plain.sasl.jaas.config");
    auto jaas = parse_jaas_config(*text);
    if (!jaas) return fail(jaas.error());
    if (jaas->login_module != plain_module) {
      return fail("plain.sasl.jaas.config: the login module is " + std::string(plain_module));
    }
    for (const auto& [name, value] : jaas->options) {
      if (name.starts_with("user_")) s.plain_users[name.substr(5)] = value;
    }
  }
  return s;
}

}  // namespace

result<std::shared_ptr<const listener_security>, std::string> make_listener_security(
    const config::loaded_broker_config& cfg, std::string_view listener,
    std::shared_ptr<const credential_store> credentials) {
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
    auto sasl = sasl_settings_for(cfg, own, listener, std::move(credentials));
    if (!sasl) return fail(where(sasl.error()));
    out->sasl = std::move(*sasl);
  }
  if (!uses_tls(*protocol)) return std::shared_ptr<const listener_security>(std::move(out));
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
