#pragma once

// WriteTxnMarkers (API 27) v0-1: sent by the transaction coordinator of another broker to the
// leader of partitions of a transaction it ended. Each marker's COMMIT/ABORT control batch is
// appended to the partitions this node leads, as its own coordinator appends them
// (txn_coordinator::write_markers_for), and is durable before the answer. Per partition:
// NONE, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER (led elsewhere: the coordinator
// asks the new leader), or the partition's refusal (INVALID_PRODUCER_EPOCH, ...).

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/write_txn_markers.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::write_txn_markers_response>> serve_write_txn_markers(
    request_context& ctx, const protocol::write_txn_markers_request& request);

}  // namespace vltava::kafka
