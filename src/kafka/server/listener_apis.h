#pragma once

// Which APIs a listener serves, as Kafka's ApiVersionManager does per listener type: a
// controller listener (the first of controller.listener.names) serves the controller's APIs
// (the quorum's RPCs, broker lifecycle, Envelope, the admin requests brokers forward), any
// other listener the broker's (no Vote, BrokerHeartbeat, Envelope, ...). ApiVersions
// advertises that set, and a request for an API outside it closes the connection (Kafka's
// "api key ... which is not enabled").
//
// A broker-only node has broker listeners only. A controller with no controller listener
// (`vltava serve` with no flags: a quorum of one that no other node has to reach) serves every
// API on every listener, so a client keeps reaching everything it used to.

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_def.h"

namespace vltava::kafka {

enum class api_scope : uint8_t { broker, controller, all };

struct listener_scopes {
  // This node's controller listener; empty when it has none.
  std::string controller_listener;
  // Every listener serves every API (a quorum of one without a controller listener; the
  // default, for handler tests).
  bool serve_all = true;

  static listener_scopes from(const config::config_set& broker_config);
  api_scope scope_of(std::string_view listener) const;
};

// Whether an API the codec knows is served in `scope` (its schema's `listeners` line:
// `controller` for the controller's, `client`/`broker` for the broker's).
bool served_in(int16_t api_key, api_scope scope);

}  // namespace vltava::kafka
