#include "broker/storage_command.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/bootstrap_metadata.h"
#include "cluster/meta_properties.h"
#include "config/broker_configs.h"
#include "storage/file_io.h"

namespace vltava::broker {

namespace {

namespace po = boost::program_options;
constexpr int exit_usage = 2;

struct format_options {
  std::string cluster_id;
  std::string config_file;
  std::vector<std::string> sets;
  std::vector<std::string> add_scram;
  bool ignore_formatted = false;
};

std::optional<format_options> parse_format(int argc, char** argv, int& code) {
  po::options_description desc(
      "usage: vltava storage format --cluster-id ID [--config FILE] [--set key=value]...\n"
      "                             [--add-scram 'SCRAM-SHA-256=[name=N,password=P]']...\n\n"
      "Writes meta.properties (cluster.id, node.id) into the node's log directories, as\n"
      "kafka-storage.sh format does. Give it the node's own --config/--set (node.id, log.dir).\n"
      "Every node of a cluster gets the same id: `vltava storage random-uuid` makes one.\n"
      "--add-scram puts a SCRAM credential into the bootstrap metadata (bootstrap.checkpoint),\n"
      "which the first active controller writes into the metadata log: give every controller\n"
      "the same ones. Keys: name, password | saltedpassword (base64, with salt), salt (base64),\n"
      "iterations (4096..16384, default 4096).\n\n"
      "options");
  format_options o;
  desc.add_options()("help,h", "print this help")("cluster-id,t", po::value(&o.cluster_id),
                                                  "the cluster id (22 URL-safe base64 chars)")(
      "config,c", po::value(&o.config_file), "a .properties file with broker configs")(
      "set,s", po::value(&o.sets)->composing(), "override one config: key=value (repeatable)")(
      "add-scram,S", po::value(&o.add_scram)->composing(),
      "a SCRAM credential for the bootstrap metadata, e.g. "
      "'SCRAM-SHA-256=[name=alice,password=alice-secret]' (repeatable)")(
      "ignore-formatted,g", po::bool_switch(&o.ignore_formatted),
      "succeed when a directory is already formatted with this id");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vltava storage format: " << e.what() << "\n\n" << desc << "\n";
    code = exit_usage;
    return std::nullopt;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    code = 0;
    return std::nullopt;
  }
  if (!cluster::valid_cluster_id(o.cluster_id)) {
    std::cerr << "vltava storage format: --cluster-id must be 22 URL-safe base64 characters "
                 "(`vltava storage random-uuid`)\n";
    code = exit_usage;
    return std::nullopt;
  }
  return o;
}

// Formats one directory; an error line says why not.
bool format_dir(storage::file_io& io, const std::string& dir, const cluster::meta_properties& m,
                std::span<const cluster::metadata_record> bootstrap, bool ignore_formatted) {
  if (auto made = io.mkdir(dir); !made) {
    std::cerr << "vltava storage format: cannot create " << dir << "\n";
    return false;
  }
  auto existing = cluster::read_meta_properties(io, dir);
  if (!existing) {
    std::cerr << "vltava storage format: " << existing.error() << "\n";
    return false;
  }
  if (*existing) {
    const bool same = (*existing)->cluster_id == m.cluster_id && (*existing)->node_id == m.node_id;
    if (same && ignore_formatted) return true;
    std::cerr << "vltava storage format: " << dir << " is already formatted (cluster.id "
              << (*existing)->cluster_id << ", node.id " << (*existing)->node_id << ")\n";
    return false;
  }
  // The bootstrap records first: a directory with meta.properties is formatted, and a format
  // interrupted before it is simply run again.
  if (!bootstrap.empty()) {
    if (auto b = cluster::write_bootstrap_metadata(io, dir, bootstrap, io.now_ms()); !b) {
      std::cerr << "vltava storage format: " << b.error() << "\n";
      return false;
    }
  }
  if (auto w = cluster::write_meta_properties(io, dir, m); !w) {
    std::cerr << "vltava storage format: " << w.error() << "\n";
    return false;
  }
  std::cout << "Formatted " << dir << " with cluster.id " << m.cluster_id << " and node.id "
            << m.node_id << "\n";
  return true;
}

int format(int argc, char** argv) {
  int code = 0;
  auto o = parse_format(argc, argv, code);
  if (!o) return code;
  std::string properties;
  if (!o->config_file.empty()) {
    std::ifstream in(o->config_file, std::ios::binary);
    if (!in) {
      std::cerr << "vltava storage format: cannot read " << o->config_file << "\n";
      return exit_usage;
    }
    std::ostringstream s;
    s << in.rdbuf();
    properties = s.str();
  }
  auto loaded = config::load_broker_config(properties, o->config_file, o->sets);
  if (!loaded) {
    std::cerr << "vltava storage format: " << loaded.error() << "\n";
    return exit_usage;
  }
  std::vector<cluster::metadata_record> bootstrap;
  for (const auto& a : o->add_scram) {
    auto r = cluster::parse_add_scram(a);
    if (!r) {
      std::cerr << "vltava storage format: " << r.error() << "\n";
      return exit_usage;
    }
    bootstrap.emplace_back(std::move(*r));
  }
  cluster::meta_properties m{o->cluster_id, loaded->values.get(config::broker_keys::node_id)};
  storage::posix_io io;
  for (const auto& dir : config::effective_log_dirs(loaded->values)) {
    if (!format_dir(io, dir, m, bootstrap, o->ignore_formatted)) return 1;
  }
  return 0;
}

}  // namespace

int storage_command(int argc, char** argv) {
  std::string verb = argc >= 2 ? argv[1] : "";
  if (verb == "random-uuid") {
    std::cout << cluster::random_cluster_id() << "\n";
    return 0;
  }
  if (verb == "format") return format(argc - 1, argv + 1);
  std::cerr << "usage: vltava storage random-uuid | format --cluster-id ID [options]\n";
  return exit_usage;
}

}  // namespace vltava::broker
