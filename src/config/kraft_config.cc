#include "config/kraft_config.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "config/broker_configs.h"

namespace vltava::config {

namespace {

using namespace broker_keys;

result<uint16_t, std::string> parse_port(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > 65535) {
    return fail("'" + std::string(text) + "' is not a port (1 to 65535)");
  }
  return static_cast<uint16_t>(value);
}

// The NAME of each NAME://host:port in `listeners`.
std::vector<std::string> listener_names(const config_set& broker) {
  std::vector<std::string> names;
  for (const auto& l : broker.get(listeners)) {
    auto sep = l.find("://");
    names.push_back(sep == std::string::npos ? l : l.substr(0, sep));
  }
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

result<void, std::string> read_roles(const config_set& broker, kraft_config& out) {
  const auto roles = broker.get(process_roles);
  if (roles.empty()) return fail("process.roles: name at least one of broker, controller");
  if (std::set<std::string>(roles.begin(), roles.end()).size() != roles.size()) {
    return fail("process.roles: a role is named twice");
  }
  out.broker = contains(roles, "broker");
  out.controller = contains(roles, "controller");
  return {};
}

result<void, std::string> read_quorum(const config_set& broker, kraft_config& out) {
  const auto voters = broker.get(controller_quorum_voters);
  const auto bootstrap = broker.get(controller_quorum_bootstrap_servers);
  if (!voters.empty() && !bootstrap.empty()) {
    return fail(
        "controller.quorum.voters and controller.quorum.bootstrap.servers are both set: "
        "use one (voters for a static quorum, bootstrap servers for a dynamic one)");
  }
  std::set<model::node_id> ids;
  for (const auto& text : voters) {
    auto v = parse_voter(text);
    if (!v) return fail("controller.quorum.voters: " + v.error());
    if (!ids.insert(v->id).second) {
      return fail("controller.quorum.voters: node " + std::to_string(v->id()) + " is listed twice");
    }
    out.voters.push_back(std::move(*v));
  }
  for (const auto& text : bootstrap) {
    auto hp = parse_host_port(text);
    if (!hp) return fail("controller.quorum.bootstrap.servers: " + hp.error());
    out.bootstrap.push_back(std::move(*hp));
  }
  out.mode = !voters.empty()      ? quorum_mode::static_voters
             : !bootstrap.empty() ? quorum_mode::bootstrap
                                  : quorum_mode::standalone;
  if (out.mode == quorum_mode::standalone && !out.controller) {
    return fail(
        "a node without the controller role needs controller.quorum.voters or "
        "controller.quorum.bootstrap.servers to find the controllers");
  }
  if (out.mode == quorum_mode::standalone && !out.broker) {
    // Vltava's quorum of one exists for `vltava serve` with no flags, a whole cluster in one
    // node; a controller alone would serve nobody. Kafka requires the voters of every node.
    return fail(
        "process.roles=controller needs controller.quorum.voters (the brokers find the "
        "controllers there)");
  }
  if (out.mode == quorum_mode::static_voters && out.controller != out.is_voter(out.node)) {
    return fail(out.controller ? "node.id " + std::to_string(out.node()) +
                                     " has the controller role but is not in "
                                     "controller.quorum.voters"
                               : "node.id " + std::to_string(out.node()) +
                                     " is in controller.quorum.voters but process.roles has no "
                                     "controller");
  }
  return {};
}

result<void, std::string> read_listeners(const config_set& broker, kraft_config& out) {
  const auto controller_names = broker.get(controller_listener_names);
  if (controller_names.empty()) return fail("controller.listener.names: name at least one");
  out.controller_listener = controller_names.front();
  const auto names = listener_names(broker);
  bool listens = contains(names, out.controller_listener);
  // A quorum of one needs no controller listener: nobody else has to reach it.
  if (out.controller && !listens && out.mode != quorum_mode::standalone) {
    return fail("listeners: a controller must listen on " + out.controller_listener +
                " (controller.listener.names)");
  }
  if (!out.controller && listens) {
    return fail("listeners: " + out.controller_listener +
                " is a controller listener, but process.roles has no controller");
  }
  if (out.controller && !out.broker) {
    // Kafka: a controller-only node listens on controller listeners only.
    for (const auto& n : names) {
      if (!contains(controller_names, n)) {
        return fail("listeners: " + n +
                    " is not a controller listener (controller.listener.names), and "
                    "process.roles=controller has only controller listeners");
      }
    }
  }
  if (auto name = broker.get(inter_broker_listener_name)) {
    if (!contains(names, *name)) {
      return fail("inter.broker.listener.name: " + *name + " is not one of the listeners");
    }
    if (contains(controller_names, *name)) {
      return fail("inter.broker.listener.name: " + *name +
                  " is a controller listener (controller.listener.names); brokers talk to one "
                  "another on a broker listener");
    }
    out.inter_broker_listener = *name;
  } else {
    for (const auto& n : names) {
      if (!contains(controller_names, n)) {
        out.inter_broker_listener = n;
        break;
      }
    }
  }
  if (out.broker && out.inter_broker_listener.empty()) {
    return fail("listeners: a broker needs a listener that is not a controller listener");
  }
  return {};
}

kraft_timeouts read_timeouts(const config_set& broker) {
  using ms = std::chrono::milliseconds;
  return {.election = ms(broker.get(controller_quorum_election_timeout_ms)),
          .election_backoff_max = ms(broker.get(controller_quorum_election_backoff_max_ms)),
          .fetch = ms(broker.get(controller_quorum_fetch_timeout_ms)),
          .request = ms(broker.get(controller_quorum_request_timeout_ms)),
          .retry_backoff = ms(broker.get(controller_quorum_retry_backoff_ms)),
          .broker_session = ms(broker.get(broker_session_timeout_ms)),
          .broker_heartbeat = ms(broker.get(broker_heartbeat_interval_ms))};
}

}  // namespace

bool kraft_config::is_voter(model::node_id id) const {
  return std::any_of(voters.begin(), voters.end(),
                     [id](const quorum_voter& v) { return v.id == id; });
}

result<host_port, std::string> parse_host_port(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail("'" + std::string(text) + "' is not host:port");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("'" + std::string(text) + "': an IPv6 host goes in brackets, [::1]:9093");
  }
  if (host.empty()) return fail("'" + std::string(text) + "' has no host");
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return fail(port.error());
  return host_port{std::string(host), *port};
}

result<quorum_voter, std::string> parse_voter(std::string_view text) {
  auto at = text.find('@');
  if (at == std::string_view::npos) {
    return fail("'" + std::string(text) + "' is not id@host:port");
  }
  int32_t id = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + at, id);
  if (ec != std::errc{} || end != text.data() + at || id < 0) {
    return fail("'" + std::string(text) + "': the id before @ must be a node id (0 or more)");
  }
  auto address = parse_host_port(text.substr(at + 1));
  if (!address) return fail(address.error());
  return quorum_voter{model::node_id(id), std::move(*address)};
}

result<kraft_config, std::string> kraft_config_from(const config_set& broker) {
  kraft_config out;
  out.node = model::node_id(broker.get(node_id));
  if (auto r = read_roles(broker, out); !r) return fail(r.error());
  if (auto r = read_quorum(broker, out); !r) return fail(r.error());
  if (auto r = read_listeners(broker, out); !r) return fail(r.error());
  if (out.mode == quorum_mode::standalone) {
    // The one voter is this node; it is reached in-process, so its address is never dialled.
    out.voters.push_back({out.node, {}});
  }
  out.timeouts = read_timeouts(broker);
  return out;
}

}  // namespace vltava::config
