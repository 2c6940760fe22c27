#include "cli/wire_requests.h"

#include <fmt/format.h>

namespace vltava::cli {

namespace {

constexpr std::string_view metadata_topic = "__cluster_metadata";

[[noreturn]] void refused(const wire_client& c, std::string_view api, protocol::error_code code,
                          const std::optional<std::string>& message) {
  throw cli_error(exit_code::failed,
                  fmt::format("{} refused {}: {}{}", c.address(), api, protocol::error_name(code),
                              message && !message->empty() ? " (" + *message + ")" : ""));
}

protocol::describe_quorum_request quorum_request() {
  protocol::describe_quorum_request r;
  auto& t = r.topics.emplace_back();
  t.topic_name = std::string(metadata_topic);
  t.partitions.emplace_back().partition_index = model::partition_id(0);
  return r;
}

// The quorum partition's answer from `c`: the response when `c` leads the quorum, nullopt when
// it says it does not (NOT_LEADER_OR_FOLLOWER); throws on any other error.
std::optional<versioned<protocol::describe_quorum_response>> ask_quorum(wire_client& c) {
  auto version = c.version_of<protocol::describe_quorum_api>(2);
  if (!version) {
    throw cli_error(exit_code::failed,
                    fmt::format("{} does not serve DescribeQuorum (no KRaft quorum)", c.address()));
  }
  auto response = c.call<protocol::describe_quorum_api>(quorum_request(), *version);
  if (response.error_code != protocol::error_code::none) {
    refused(c, "DescribeQuorum", response.error_code, response.error_message);
  }
  if (response.topics.size() != 1 || response.topics[0].partitions.size() != 1) {
    throw cli_error(exit_code::failed, fmt::format("{} answered DescribeQuorum without {}-0",
                                                   c.address(), metadata_topic));
  }
  const auto& p = response.topics[0].partitions[0];
  if (p.error_code == protocol::error_code::not_leader_or_follower) return std::nullopt;
  if (p.error_code != protocol::error_code::none) {
    refused(c, "DescribeQuorum", p.error_code, p.error_message);
  }
  return versioned<protocol::describe_quorum_response>{std::move(response), *version};
}

// The controller's address as `c` lists it among its brokers, when it does.
std::optional<std::string> controller_address(wire_client& c) {
  auto cluster = wire_describe_cluster(c);
  if (!cluster) return std::nullopt;
  for (const auto& b : cluster->body.brokers) {
    if (b.broker_id.value() == cluster->body.controller_id)
      return fmt::format("{}:{}", b.host, b.port);
  }
  return std::nullopt;
}

}  // namespace

std::optional<versioned<protocol::metadata_response>> wire_metadata(
    wire_client& c, const std::optional<std::vector<std::string>>& topics) {
  auto version = c.version_of<protocol::metadata_api>(12);
  if (!version || *version < 7) return std::nullopt;
  protocol::metadata_request r;
  r.allow_auto_topic_creation = false;
  if (topics) {
    r.topics.emplace();
    for (const auto& name : *topics) r.topics->emplace_back().name = name;
  } else {
    r.topics = std::nullopt;
  }
  return versioned<protocol::metadata_response>{c.call<protocol::metadata_api>(r, *version),
                                                *version};
}

std::optional<versioned<protocol::describe_cluster_response>> wire_describe_cluster(
    wire_client& c) {
  auto version = c.version_of<protocol::describe_cluster_api>(2);
  if (!version) return std::nullopt;
  protocol::describe_cluster_request r;
  r.include_fenced_brokers = true;
  auto response = c.call<protocol::describe_cluster_api>(r, *version);
  if (response.error_code != protocol::error_code::none) {
    refused(c, "DescribeCluster", response.error_code, response.error_message);
  }
  return versioned<protocol::describe_cluster_response>{std::move(response), *version};
}

versioned<protocol::describe_quorum_response> wire_describe_quorum(const common_options& common) {
  wire_client first = wire_client::open_any(common);
  if (auto answer = ask_quorum(first)) return std::move(*answer);
  std::vector<std::string> candidates;
  if (auto controller = controller_address(first)) candidates.push_back(*controller);
  for (const auto& b : split_list(common.brokers)) candidates.push_back(b);
  std::vector<std::string> tried{first.address()};
  for (const auto& address : candidates) {
    if (std::find(tried.begin(), tried.end(), address) != tried.end()) continue;
    tried.push_back(address);
    std::string why;
    auto c = wire_client::open(address, common.timeout_ms, why);
    if (!c) continue;
    if (auto answer = ask_quorum(*c)) return std::move(*answer);
  }
  throw cli_error(exit_code::failed,
                  fmt::format("none of {} leads the quorum now (NOT_LEADER_OR_FOLLOWER): an "
                              "election may be under way; retry, or name the controller with -b",
                              fmt::join(tried, ", ")));
}

}  // namespace vltava::cli
