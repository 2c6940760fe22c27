#pragma once

// CreateAcls (30), DescribeAcls (29), DeleteAcls (31), v1-3 (flexible from v2), as Kafka's
// AclApis: SECURITY_DISABLED without an authorizer; ALTER on the cluster to create or delete
// (CLUSTER_AUTHORIZATION_FAILED per creation / filter), DESCRIBE on the cluster to describe.
// Creations and deletions are the active controller's decisions (the requests are forwarded
// there, server/forwarding.h); descriptions read this node's image.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/create_acls.h"
#include "protocol/generated/delete_acls.h"
#include "protocol/generated/describe_acls.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::create_acls_response>> serve_create_acls(
    request_context& ctx, const protocol::create_acls_request& request);
net::awaitable<std::optional<protocol::describe_acls_response>> serve_describe_acls(
    request_context& ctx, const protocol::describe_acls_request& request);
net::awaitable<std::optional<protocol::delete_acls_response>> serve_delete_acls(
    request_context& ctx, const protocol::delete_acls_request& request);

}  // namespace vltava::kafka
