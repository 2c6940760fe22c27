#pragma once

// OffsetForLeaderEpoch (API 23), versions 0-4: the end offset of a leader epoch, which
// consumers use to detect log truncation. One epoch (0) until Raft brings terms.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/offset_for_leader_epoch.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::offset_for_leader_epoch_response>>
serve_offset_for_leader_epoch(request_context& ctx,
                              const protocol::offset_for_leader_epoch_request& request);

}  // namespace vltava::kafka
