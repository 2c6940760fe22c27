#pragma once

// FindCoordinator (API 10), versions 0-4 (v4 batches keys). Groups (key type 0): this node,
// which leads every partition of __consumer_offsets; the topic is created on first use.
// Transactions (key type 1): COORDINATOR_NOT_AVAILABLE until the transaction coordinator
// exists.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/find_coordinator.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::find_coordinator_response>> serve_find_coordinator(
    request_context& ctx, const protocol::find_coordinator_request& request);

}  // namespace vltava::kafka
