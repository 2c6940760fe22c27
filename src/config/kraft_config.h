#pragma once

// The node's place in a KRaft cluster, read from Kafka's configs and checked as Kafka checks
// them (process.roles, node.id, controller.quorum.voters / .bootstrap.servers,
// controller.listener.names, listeners). One shape for every deployment: `vltava serve` with
// no flags is a controller and a broker whose quorum is itself (quorum_mode::standalone).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config_def.h"
#include "model/fundamental.h"

namespace vltava::config {

struct host_port {
  std::string host;  // IPv6 without its brackets
  uint16_t port = 0;
  friend bool operator==(const host_port&, const host_port&) = default;
};

struct quorum_voter {
  model::node_id id;
  host_port address;
  friend bool operator==(const quorum_voter&, const quorum_voter&) = default;
};

// Where the voter set comes from.
enum class quorum_mode : uint8_t {
  standalone,     // no voters configured: this controller is the one voter
  static_voters,  // controller.quorum.voters
  bootstrap,      // controller.quorum.bootstrap.servers (KIP-853): voters learned from the log
};

// From the config table (no defaults repeated here).
struct kraft_timeouts {
  std::chrono::milliseconds election;
  std::chrono::milliseconds election_backoff_max;
  std::chrono::milliseconds fetch;
  std::chrono::milliseconds request;
  std::chrono::milliseconds retry_backoff;
  std::chrono::milliseconds broker_session;
  std::chrono::milliseconds broker_heartbeat;
};

struct kraft_config {
  model::node_id node;
  bool broker = false;      // process.roles has broker
  bool controller = false;  // process.roles has controller
  quorum_mode mode = quorum_mode::standalone;
  std::vector<quorum_voter> voters;   // static_voters: as configured; standalone: this node
  std::vector<host_port> bootstrap;   // bootstrap mode only
  std::string controller_listener;    // the first of controller.listener.names
  std::string inter_broker_listener;  // inter.broker.listener.name or the first other listener
  kraft_timeouts timeouts;

  bool is_voter(model::node_id id) const;
};

// "id@host:port" (host may be [IPv6]); the error says what is wrong with which entry.
result<quorum_voter, std::string> parse_voter(std::string_view text);
// "host:port" (host may be [IPv6]).
result<host_port, std::string> parse_host_port(std::string_view text);

// Reads and checks the KRaft configs of a loaded broker config. Errors name the config.
result<kraft_config, std::string> kraft_config_from(const config_set& broker);

}  // namespace vltava::config
