#pragma once

// Admin views of the groups this node coordinates (coord/group_coordinator.h):
//   ListGroups (16) v0-5: states filter (v4+), types filter (v5+; every group here is
//     "classic");
//   DescribeGroups (15) v0-5: state, protocol, members (metadata and assignment when Stable);
//   DeleteGroups (42) v0-2: empty groups only (NON_EMPTY_GROUP), with their offsets.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/delete_groups.h"
#include "protocol/generated/describe_groups.h"
#include "protocol/generated/list_groups.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::list_groups_response>> serve_list_groups(
    request_context& ctx, const protocol::list_groups_request& request);
net::awaitable<std::optional<protocol::describe_groups_response>> serve_describe_groups(
    request_context& ctx, const protocol::describe_groups_request& request);
net::awaitable<std::optional<protocol::delete_groups_response>> serve_delete_groups(
    request_context& ctx, const protocol::delete_groups_request& request);

}  // namespace vltava::kafka
