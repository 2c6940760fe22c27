// vltava cluster elect-leaders: ElectLeaders (KIP-460), which librdkafka 2.0 cannot send, so the
// CLI's own wire client does (PLAINTEXT only, as `vltava quota`). As kafka-leader-election.sh
// --election-type PREFERRED|UNCLEAN (--topic T [--partition P] | --all-topic-partitions).

#include "protocol/generated/elect_leaders.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/wire_client.h"
#include "cli/wire_requests.h"
#include "protocol/error_code.h"

namespace vltava::cli {
namespace {

using elect_api = protocol::elect_leaders_api;

// The partition count of `topic` as Metadata has it; nullopt when unknown.
std::optional<int32_t> partition_count(wire_client& c, const std::string& topic) {
  auto m = wire_metadata(c, std::vector<std::string>{topic});
  if (!m) return std::nullopt;
  for (const auto& t : m->body.topics) {
    if (t.name == topic && t.error_code == protocol::error_code::none) {
      return static_cast<int32_t>(t.partitions.size());
    }
  }
  return std::nullopt;
}

int8_t election_type_of(const command_line& cl, const std::string& name) {
  if (name == "preferred" || name == "PREFERRED") return 0;
  if (name == "unclean" || name == "UNCLEAN") return 1;
  cl.usage_error("--type is preferred or unclean, not " + name);
}

}  // namespace

int cluster_elect_leaders(const args_t& args) {
  command_line cl({"cluster elect-leaders",
                   "[--type preferred|unclean] (--topic T [--partition P]... | --all)",
                   "Ask the controller to elect leaders (kafka-leader-election.sh): preferred "
                   "moves leadership to each partition's first replica when it is in sync; "
                   "unclean gives a leaderless partition any live replica (what the others "
                   "held and it lacks is lost).",
                   "vltava cluster elect-leaders --topic orders --partition 0"});
  cl.options().add_options()("type", po::value<std::string>()->default_value("preferred"),
                             "preferred or unclean")("topic", po::value<std::string>(),
                                                     "the topic")(
      "partition", po::value<std::vector<int32_t>>(), "a partition (default: all of the topic's)")(
      "all", po::bool_switch(), "every partition of every topic");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  const bool all = (*vm)["all"].as<bool>();
  if (all == (vm->count("topic") > 0)) cl.usage_error("give --topic T or --all");
  protocol::elect_leaders_request req;
  req.election_type = election_type_of(cl, (*vm)["type"].as<std::string>());
  wire_client c = [&cl] {
    if (wants_security(cl.common())) {
      throw cli_error(exit_code::usage,
                      "vltava cluster elect-leaders speaks PLAINTEXT only: point -b at a "
                      "PLAINTEXT listener");
    }
    return wire_client::open_any(cl.common());
  }();
  if (all) {
    req.topic_partitions = std::nullopt;
  } else {
    auto& t = req.topic_partitions->emplace_back();
    t.topic = (*vm)["topic"].as<std::string>();
    if (vm->count("partition")) {
      t.partitions = (*vm)["partition"].as<std::vector<int32_t>>();
    } else {
      auto count = partition_count(c, t.topic);
      if (!count) throw cli_error(exit_code::failed, "no topic " + t.topic);
      for (int32_t p = 0; p < *count; ++p) t.partitions.push_back(p);
    }
  }
  auto v = c.version_of<elect_api>();
  if (!v) throw cli_error(exit_code::failed, c.address() + " does not serve ElectLeaders");
  auto resp = c.call<elect_api>(req, *v);
  if (resp.error_code != protocol::error_code::none) {
    throw cli_error(exit_code::failed,
                    fmt::format("elect leaders: {}", protocol::error_name(resp.error_code)));
  }
  bool failed = false;
  size_t elected = 0;
  for (const auto& t : resp.replica_election_results) {
    for (const auto& p : t.partition_result) {
      if (p.error_code == protocol::error_code::none) {
        ++elected;
        std::printf("%s-%d: elected\n", t.topic.c_str(), p.partition_id);
      } else if (p.error_code == protocol::error_code::election_not_needed) {
        std::printf("%s-%d: not needed\n", t.topic.c_str(), p.partition_id);
      } else {
        failed = true;
        std::printf("%s-%d: %s%s\n", t.topic.c_str(), p.partition_id,
                    std::string(protocol::error_name(p.error_code)).c_str(),
                    p.error_message ? (": " + *p.error_message).c_str() : "");
      }
    }
  }
  if (all && elected == 0) std::printf("No partition needed an election\n");
  return failed ? static_cast<int>(exit_code::failed) : 0;
}

}  // namespace vltava::cli
