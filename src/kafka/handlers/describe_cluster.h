#pragma once

// DescribeCluster (key 60), v0-2: cluster id, controller and brokers (endpoint_type 1) or the
// controllers (2, v1+; on a combined node the same node); no broker is ever fenced here.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/describe_cluster.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_cluster_response>> serve_describe_cluster(
    request_context& ctx, const protocol::describe_cluster_request& request);

}  // namespace vltava::kafka
