#pragma once

// KIP-848's consumer group APIs, answered by the group coordinator on the shard that owns the
// group (coord/consumer_group.h):
//   ConsumerGroupHeartbeat (68) v0-1: join (epoch 0), heartbeat, leave (-1, static -2); v0
//     members get their id from the server, v1 members name themselves (KIP-1082);
//   ConsumerGroupDescribe (69) v0-1: groups, members, current and target assignments; v1 adds
//     the member type (always consumer here).

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/consumer_group_describe.h"
#include "protocol/generated/consumer_group_heartbeat.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::consumer_group_heartbeat_response>>
serve_consumer_group_heartbeat(request_context& ctx,
                               const protocol::consumer_group_heartbeat_request& request);
net::awaitable<std::optional<protocol::consumer_group_describe_response>>
serve_consumer_group_describe(request_context& ctx,
                              const protocol::consumer_group_describe_request& request);

}  // namespace vltava::kafka
