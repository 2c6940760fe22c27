#pragma once

// The classic group membership APIs, answered by the group coordinator on the shard that owns
// the group (coord/group_coordinator.h):
//   JoinGroup (11) v0-9: KIP-394 member ids (v4+), static membership (v5+), skip assignment
//     for a rejoining static leader (v9);
//   SyncGroup (14) v0-5: protocol type/name checked (v5);
//   Heartbeat (12) v0-4;
//   LeaveGroup (13) v0-5: batched members (v3+).

#include <optional>
#include <string>
#include <string_view>

#include "kafka/server/handler.h"
#include "protocol/generated/heartbeat.h"
#include "protocol/generated/join_group.h"
#include "protocol/generated/leave_group.h"
#include "protocol/generated/sync_group.h"
#include "security/acl.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::join_group_response>> serve_join_group(
    request_context& ctx, const protocol::join_group_request& request);
net::awaitable<std::optional<protocol::sync_group_response>> serve_sync_group(
    request_context& ctx, const protocol::sync_group_request& request);
net::awaitable<std::optional<protocol::heartbeat_response>> serve_heartbeat(
    request_context& ctx, const protocol::heartbeat_request& request);
net::awaitable<std::optional<protocol::leave_group_response>> serve_leave_group(
    request_context& ctx, const protocol::leave_group_request& request);

// Why a request about `group_id` cannot go to a coordinator: GROUP_AUTHORIZATION_FAILED when
// the principal may not perform `op` on the group (checked first, as Kafka does),
// INVALID_GROUP_ID for the empty id, COORDINATOR_NOT_AVAILABLE on a node without one (a test
// node); none when it can.
protocol::error_code group_request_refusal(const request_context& ctx, std::string_view group_id,
                                           security::acl_operation op);

// "/address" of the client, as Kafka reports client hosts (DescribeGroups).
std::string client_host_of(const net::connection_info& c);

}  // namespace vltava::kafka
