#include "kafka/server/listener_apis.h"

#include <algorithm>

#include "config/broker_configs.h"
#include "net/listener_address.h"
#include "protocol/api_table.h"

namespace vltava::kafka {

listener_scopes listener_scopes::from(const config::config_set& broker_config) {
  const auto names = broker_config.get(config::broker_keys::controller_listener_names);
  if (!names.empty()) {
    for (const auto& text : broker_config.get(config::broker_keys::listeners)) {
      auto l = net::parse_listener(text);
      if (l && l->name == names.front()) return {names.front(), false};
    }
  }
  const auto roles = broker_config.get(config::broker_keys::process_roles);
  const bool controller = std::find(roles.begin(), roles.end(), "controller") != roles.end();
  return {"", controller};
}

api_scope listener_scopes::scope_of(std::string_view listener) const {
  if (serve_all) return api_scope::all;
  return !controller_listener.empty() && listener == controller_listener ? api_scope::controller
                                                                         : api_scope::broker;
}

bool served_in(int16_t api_key, api_scope scope) {
  if (scope == api_scope::all) return true;
  const protocol::api_info* api = protocol::find_api(api_key);
  if (api == nullptr) return false;
  const uint8_t bits = scope == api_scope::controller
                           ? protocol::listener_controller
                           : (protocol::listener_client | protocol::listener_broker);
  return (api->listeners & bits) != 0;
}

}  // namespace vltava::kafka
