#pragma once
// The requests the CLI sends through wire_client, with Kafka's errors turned into cli_errors:
// Metadata (for leader epochs and offline replicas, which librdkafka 2.0 drops), DescribeCluster
// and DescribeQuorum.

#include <optional>
#include <string>
#include <vector>

#include "cli/wire_client.h"
#include "protocol/generated/describe_cluster.h"
#include "protocol/generated/describe_quorum.h"
#include "protocol/generated/metadata.h"

namespace vltava::cli {

template <typename Response>
struct versioned {
  Response body;
  int16_t version = 0;
};

// Metadata of `topics` (nullopt: every topic), v12 at most; nullopt when the broker serves no
// Metadata version that has leader epochs (v7+).
std::optional<versioned<protocol::metadata_response>> wire_metadata(
    wire_client& c, const std::optional<std::vector<std::string>>& topics);

// DescribeCluster (v2 at most, fenced brokers included); nullopt when the broker lacks it.
// Throws on a request-level error.
std::optional<versioned<protocol::describe_cluster_response>> wire_describe_cluster(wire_client& c);

// DescribeQuorum of __cluster_metadata-0 (v2 at most) from whichever node leads the quorum:
// the bootstrap broker, else the controller it names, else the rest of the bootstrap list
// (Vltava, unlike Kafka, does not forward DescribeQuorum to the leader).
versioned<protocol::describe_quorum_response> wire_describe_quorum(const common_options& common);

}  // namespace vltava::cli
