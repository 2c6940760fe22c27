#pragma once

// CreatePartitions (key 37), v0-3: raises a topic's partition count (never lowers it:
// INVALID_PARTITIONS), with optional manual replicas for the new partitions; validate_only
// checks without changing anything.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/create_partitions.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::create_partitions_response>> serve_create_partitions(
    request_context& ctx, const protocol::create_partitions_request& request);

}  // namespace vltava::kafka
