#pragma once

// DescribeCluster (key 60), v0-2: cluster id, controller and brokers (endpoint_type 1) or the
// controllers (2, v1+; on a combined node the same node). Brokers: the live ones, and with
// include_fenced_brokers (v2, KIP-1073) the fenced ones too, flagged is_fenced.

#include <optional>

#include "cluster/metadata_image.h"
#include "kafka/server/handler.h"
#include "protocol/generated/describe_cluster.h"

namespace vltava::kafka {

// The brokers DescribeCluster lists, with their endpoint on `listener`.
std::vector<protocol::describe_cluster_response::describe_cluster_broker> cluster_brokers(
    const cluster::metadata_image& image, std::string_view listener, bool with_fenced);

net::awaitable<std::optional<protocol::describe_cluster_response>> serve_describe_cluster(
    request_context& ctx, const protocol::describe_cluster_request& request);

}  // namespace vltava::kafka
