#include "broker/serve.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "broker/version.h"
#include "cluster/broker_channels.h"
#include "cluster/broker_lifecycle.h"
#include "cluster/controller_channel.h"
#include "cluster/image_credentials.h"
#include "cluster/isr_sender.h"
#include "cluster/metadata_store.h"
#include "cluster/partition_manager.h"
#include "cluster/replica_fetcher.h"
#include "config/broker_configs.h"
#include "config/kraft_config.h"
#include "coord/group_coordinator.h"
#include "coord/txn_coordinator.h"
#include "kafka/server/client_quotas.h"
#include "kafka/server/dispatcher.h"
#include "kafka/server/request_router.h"
#include "net/listener_address.h"
#include "net/server.h"
#include "net/shard_pool.h"
#include "quorum/net/transport.h"
#include "security/authorizer.h"
#include "security/listener_security.h"
#include "storage/file_io.h"
#include "storage/flusher.h"

namespace vltava::broker {
namespace {

namespace po = boost::program_options;

constexpr int exit_config_error = 2;
constexpr int exit_start_error = 1;
constexpr auto shutdown_grace = std::chrono::seconds(30);

struct options {
  std::string config_file;
  std::vector<std::string> sets;
};

// Parses the command line; nullopt after printing help or an error (exit code in `code`).
std::optional<options> parse_options(int argc, char** argv, int& code) {
  po::options_description desc(
      "usage: vltava serve [--config FILE] [--set key=value]...\n\n"
      "Runs a node. Without options it is a complete single-node cluster: Kafka listener\n"
      "PLAINTEXT://127.0.0.1:9092, data in ./vltava-data, node id 1. Configuration uses Kafka's\n"
      "property names (server.properties), e.g. --set num.partitions=6\n\noptions");
  options o;
  desc.add_options()("help,h", "print this help")("config,c", po::value(&o.config_file),
                                                  "a .properties file with broker configs")(
      "set,s", po::value(&o.sets)->composing(), "override one config: key=value (repeatable)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vltava serve: " << e.what() << "\n\n" << desc << "\n";
    code = exit_config_error;
    return std::nullopt;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    code = 0;
    return std::nullopt;
  }
  return o;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The endpoints clients are told to use: advertised.listeners, else the listeners themselves
// (with the port actually bound, for port 0, and this host's name for an empty host).
result<std::vector<cluster::broker_endpoint>, std::string> advertised_endpoints(
    const config::config_set& c, const std::vector<net::listener_address>& bound,
    const std::string& controller_listener) {
  std::vector<cluster::broker_endpoint> out;
  auto advertised = c.get(config::broker_keys::advertised_listeners);
  if (advertised && !advertised->empty()) {
    for (const auto& text : *advertised) {
      auto a = net::parse_listener(text);
      if (!a) return fail("advertised.listeners: " + a.error());
      out.push_back({a->name, a->host, a->port});
    }
    return out;
  }
  for (const auto& a : bound) {
    if (a.name == controller_listener) continue;  // for the quorum, never told to clients
    std::string host = a.host;
    if (host.empty()) {
      char name[256] = {};
      gethostname(name, sizeof(name) - 1);
      host = name;
    }
    out.push_back({a.name, host, a.port});
  }
  return out;
}

// Where this node's connections to other nodes leave from: its own loopback address when every
// listener is on that one address (several nodes on one machine, each on its own 127.0.0.N,
// told apart by address pair as firewall rules between them need); else the route's choice.
std::string loopback_source(const std::vector<net::listener_address>& listeners) {
  if (listeners.empty()) return {};
  asio::error_code e;
  auto first = asio::ip::make_address(listeners.front().host, e);
  if (e || !first.is_loopback()) return {};
  for (const auto& l : listeners) {
    if (l.host != listeners.front().host) return {};
  }
  return first.to_string();
}

// The options of every connection to another node (voter, controller or broker).
net::client_options inter_node_options(const config::kraft_config& k, std::string_view role,
                                       const std::string& source) {
  net::client_options o;
  o.client_id = fmt::format("vltava-{}-{}", role, k.node());
  o.retry_backoff = k.timeouts.retry_backoff;
  o.request_timeout = k.timeouts.request;
  o.loopback_source = source;
  return o;
}

// Whether this node is the whole quorum (its only voter): nobody else to reach.
bool quorum_of_one(const config::kraft_config& k) {
  return k.voters.size() == 1 && k.voters[0].id == k.node;
}

// The network to the other voters of a static quorum (for a broker-only node, all of them:
// it observes the quorum); none for a quorum of one.
std::unique_ptr<quorum::rpc::kafka_transport> quorum_peers(net::shard_pool& shards,
                                                           const config::kraft_config& k,
                                                           const std::string& source) {
  if (quorum_of_one(k)) return nullptr;
  std::vector<quorum::rpc::peer_address> peers;
  for (const auto& v : k.voters) {
    if (v.id != k.node) peers.push_back({v.id, v.address.host, v.address.port});
  }
  quorum::rpc::transport_options o;
  o.client = inter_node_options(k, "quorum", source);
  o.request_timeout = k.timeouts.request;
  return std::make_unique<quorum::rpc::kafka_transport>(shards.shard(0).get_executor(), peers, o);
}

// The active controller, for the broker lifecycle and forwarded requests; none for a quorum of
// one (this node is always its own controller then).
std::unique_ptr<cluster::controller_channel> controller_link(net::shard_pool& shards,
                                                             const config::kraft_config& k,
                                                             const cluster::metadata_store* store,
                                                             const std::string& source) {
  if (quorum_of_one(k)) return nullptr;
  std::vector<cluster::controller_address> voters;
  for (const auto& v : k.voters) voters.push_back({v.id, v.address.host, v.address.port});
  return std::make_unique<cluster::controller_channel>(
      shards.shard(0).get_executor(), std::move(voters),
      [store] { return store->image()->controller_id; }, inter_node_options(k, "broker", source));
}

// Kafka's security protocol id of a listener (listener.security.protocol.map, else its name).
int16_t security_protocol_id(const config::config_set& c, const std::string& listener) {
  std::string protocol = listener;
  for (const auto& entry : c.get(config::broker_keys::listener_security_protocol_map)) {
    auto colon = entry.find(':');
    if (colon != std::string::npos && entry.substr(0, colon) == listener) {
      protocol = entry.substr(colon + 1);
    }
  }
  if (protocol == "SSL") return 1;
  if (protocol == "SASL_PLAINTEXT") return 2;
  if (protocol == "SASL_SSL") return 3;
  return 0;
}

// Catches SIGTERM/SIGINT from construction on (a signal arriving during start-up is kept
// until wait() asks for it), whichever thread the kernel delivers it to.
class stop_signal {
 public:
  stop_signal() : _signals(_ctx, SIGINT, SIGTERM) {}
  void wait() {
    _signals.async_wait([](const asio::error_code&, int signo) {
      log::info("broker", "received {}, stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    });
    _ctx.run();
  }

 private:
  asio::io_context _ctx;
  asio::signal_set _signals;
};

// Every segment holds a descriptor open and every connection one more: take all the process
// may have, as Kafka's packaging does with a high `ulimit -n`.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      log::warn("broker", "could not raise the open file limit to {}", limit.rlim_max);
    }
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

int serve(int argc, char** argv) {
  int code = 0;
  auto opts = parse_options(argc, argv, code);
  if (!opts) return code;
  stop_signal stop;

  std::string properties;
  if (!opts->config_file.empty()) {
    auto text = read_file(opts->config_file);
    if (!text) {
      std::cerr << "vltava serve: cannot read config file '" << opts->config_file << "'\n";
      return exit_config_error;
    }
    properties = std::move(*text);
  }
  auto loaded = config::load_broker_config(
      properties, opts->config_file.empty() ? "(none)" : opts->config_file, opts->sets);
  if (!loaded) {
    std::cerr << "vltava serve: " << loaded.error() << "\n";
    return exit_config_error;
  }
  for (const auto& n : loaded->notices) log::info("config", "{}", n);
  const config::config_set& cfg = loaded->values;
  auto dirs = config::effective_log_dirs(cfg);
  if (dirs.size() != 1) {
    std::cerr << "vltava serve: log.dirs lists " << dirs.size()
              << " directories; one data directory per node is supported for now\n";
    return exit_config_error;
  }
  auto kraft = config::kraft_config_from(cfg);
  if (!kraft) {
    std::cerr << "vltava serve: " << kraft.error() << "\n";
    return exit_config_error;
  }
  if (kraft->mode == config::quorum_mode::bootstrap) {
    // The dynamic quorum (KIP-853) comes next (issue 15).
    std::cerr << "vltava serve: this build serves a static controller.quorum.voters (or none, "
                 "for a single node); controller.quorum.bootstrap.servers is not supported yet\n";
    return exit_config_error;
  }
  std::vector<net::listener_address> listeners;
  std::vector<std::shared_ptr<const security::listener_security>> listener_security;
  // SCRAM logins are checked against the metadata image's credentials, once it is open.
  auto credentials = std::make_shared<cluster::image_credential_store>();
  for (const auto& text : cfg.get(config::broker_keys::listeners)) {
    auto a = net::parse_listener(text);
    auto sec =
        a ? security::make_listener_security(*loaded, a->name, credentials) : fail(a.error());
    if (!sec) {
      std::cerr << "vltava serve: listeners: " << sec.error() << "\n";
      return exit_config_error;
    }
    if (a->name == kraft->controller_listener && *sec) {
      std::cerr << "vltava serve: listener " << text
                << ": the controller listener is PLAINTEXT for now (the quorum's own "
                   "connections speak no TLS or SASL yet)\n";
      return exit_config_error;
    }
    listeners.push_back(*a);
    listener_security.push_back(*sec);
  }

  auto authorizer = security::authorizer::from(cfg);
  if (!authorizer) {
    std::cerr << "vltava serve: " << authorizer.error() << "\n";
    return exit_config_error;
  }

  raise_open_file_limit();
  std::signal(SIGPIPE, SIG_IGN);  // a peer closing mid-sendfile is an error value, not a signal
  net::shard_pool shards;
  storage::posix_io io;
  storage::flusher flusher(io);
  const model::node_id node(cfg.get(config::broker_keys::node_id));

  kafka::broker_services* services_ptr = nullptr;
  auto dispatch = [&services_ptr](const net::connection_info& c, net::frame_bytes f) {
    return kafka::dispatch(*services_ptr, c, std::move(f));
  };
  // Clients' listeners open once this node has caught up with the metadata; the controller
  // listener before that, so the other voters reach this node's quorum while it waits.
  net::server server(shards, net::server_limits::from(cfg), dispatch);
  net::server controller_server(shards, net::server_limits::from(cfg), dispatch);
  server.set_router([&services_ptr](std::span<const std::byte> frame) {
    return kafka::owner_shard(services_ptr->partitions, frame);
  });
  size_t client_listeners = 0, controller_listeners = 0;
  for (size_t i = 0; i < listeners.size(); ++i) {
    const bool for_quorum = listeners[i].name == kraft->controller_listener;
    net::server& on = for_quorum ? controller_server : server;
    if (auto r = on.listen(listeners[i], listener_security[i]); !r) {
      log::error("broker", "{}", r.error());
      return exit_start_error;
    }
    listeners[i].port = on.bound_port(for_quorum ? controller_listeners++ : client_listeners++);
  }
  auto advertised = advertised_endpoints(cfg, listeners, kraft->controller_listener);
  if (!advertised) {
    std::cerr << "vltava serve: " << advertised.error() << "\n";
    return exit_config_error;
  }
  std::optional<std::string> rack = cfg.get(config::broker_keys::broker_rack);

  shards.start();
  const std::string source = loopback_source(listeners);
  // The other voters, reached on their controller listeners (destroyed after the shards stop).
  auto peers = quorum_peers(shards, *kraft, source);
  auto store = cluster::metadata_store::start(io, flusher, shards, dirs[0], node, cfg, peers.get());
  for (auto& e : *advertised) e.security_protocol = security_protocol_id(cfg, e.listener);
  if (!store) {
    log::error("broker", "cannot open the metadata in {}: {}", dirs[0], store.error());
    shards.stop();
    return exit_start_error;
  }
  credentials->attach(store->get());
  cluster::partition_manager partitions(shards, io, flusher, dirs[0], cfg);
  // The other brokers, on their inter-broker listeners as the image has them (shard 0).
  cluster::broker_channels brokers(
      shards, 0, [s = store->get()] { return s->image(); }, kraft->inter_broker_listener,
      inter_node_options(*kraft, "broker", source));
  kafka::broker_services services{node, cfg, shards, **store, partitions, nullptr, nullptr};
  services.brokers = &brokers;
  services.listeners = kafka::listener_scopes::from(cfg);
  if (*authorizer) services.authorizer = &**authorizer;
  kafka::client_quotas quotas(
      shards, security::quota_window_config{
                  cfg.get(config::broker_keys::quota_window_num),
                  int64_t{cfg.get(config::broker_keys::quota_window_size_seconds)} * 1000});
  services.quotas = &quotas;
  services_ptr = &services;
  controller_server.start();
  if (auto caught_up = (*store)->wait_caught_up(); !caught_up) {
    log::error("broker", "{}", caught_up.error());
    return exit_start_error;
  }
  partitions.apply_image_and_wait((*store)->image());
  (*store)->subscribe([&partitions](cluster::image_ptr image) { partitions.apply_image(image); });

  // The group coordinator: groups and offsets of the __consumer_offsets partitions hosted
  // here are rebuilt from their records before the listeners accept anyone.
  coord::group_coordinator groups(shards, partitions, **store,
                                  coord::coordinator_config::from(cfg));
  groups.start();
  // The transaction coordinator: transactions of the __transaction_state partitions hosted
  // here; those caught mid-commit by a crash get their markers again from its tick.
  coord::txn_coordinator txns(shards, partitions, **store, &groups, coord::txn_config::from(cfg));
  txns.set_broker_channels(&brokers);
  txns.start();
  services.groups = &groups;
  services.txns = &txns;

  // Registered with the controller and unfenced before clients are let in, as Kafka's brokers.
  // A controller-only node (process.roles=controller) never registers: it is no broker, hosts
  // no partitions and has no client listener.
  auto controller = controller_link(shards, *kraft, store->get(), source);
  cluster::lifecycle_options lifecycle_opts{
      node, *advertised, rack, kraft->timeouts.broker_heartbeat, std::chrono::milliseconds(50)};
  cluster::broker_lifecycle lifecycle(shards, **store, controller.get(), lifecycle_opts);
  services.controller = controller.get();
  (*store)->set_controller_channel(controller.get());
  // Replication: leaders' ISR changes to the controller, followers' fetches from leaders.
  cluster::isr_sender isr_changes(shards, partitions, **store, controller.get());
  partitions.set_isr_sink(
      [&isr_changes](cluster::isr_change c) { isr_changes.submit(std::move(c)); });
  // Followers fetch over connections of their own, as Kafka's fetcher threads: a follower's
  // Fetch is parked at the leader for up to replica.fetch.wait.max.ms, and answers on one
  // connection come in request order, so a WriteTxnMarkers or a KIP-890 verification behind it
  // on a shared connection would wait that long too.
  cluster::broker_channels replica_channels(
      shards, 0, [s = store->get()] { return s->image(); }, kraft->inter_broker_listener,
      inter_node_options(*kraft, "broker", source));
  cluster::replica_fetchers fetchers(shards, partitions, replica_channels,
                                     cluster::replica_fetcher_config::from(cfg));
  if (kraft->broker) {
    lifecycle.start();
    while (!lifecycle.wait_unfenced(std::chrono::seconds(10))) {
      log::info("broker", "waiting for the controller to unfence this broker");
    }
    fetchers.start();
    server.start();
  }
  std::vector<std::string> names;
  for (const auto& l : listeners) {
    names.push_back(l.name + "://" + l.host + ":" + std::to_string(l.port));
  }
  log::info("broker", "vltava {} started: node {} ({}), {} shards, listeners {}, data {}", version,
            node(), join(cfg.get(config::broker_keys::process_roles)), shards.size(), join(names),
            dirs[0]);

  stop.wait();
  // The controller moves this broker's leaderships away first, then lets it go.
  // Bounded by the session timeout: by then the controller would have fenced it anyway (a
  // quorum that lost its majority cannot answer at all).
  if (kraft->broker) lifecycle.shut_down(kraft->timeouts.broker_session);
  // Members waiting in JoinGroup/SyncGroup would hold the drain for a rebalance timeout: they
  // are told to find the coordinator again, while final offset commits are still served.
  groups.stop_waiters();
  server.shutdown(shutdown_grace);
  fetchers.stop();
  txns.stop();
  groups.stop();
  partitions.stop();
  (*store)->close();  // a leader resigns first, so the other voters elect at once
  credentials->attach(nullptr);
  controller_server.shutdown(shutdown_grace);
  flusher.drain();
  shards.stop();
  shards.join();
  log::info("broker", "stopped cleanly");
  return 0;
}

}  // namespace vltava::broker
