#pragma once

// DescribeClientQuotas (48) and AlterClientQuotas (49), v0-1, as Kafka's KRaft brokers and
// controller answer them (KIP-546):
// - Describe needs DESCRIBE_CONFIGS on the cluster (else CLUSTER_AUTHORIZATION_FAILED) and reads
//   this node's image: the entities the filter matches (strict: no other entity types), each
//   with its values; a bad filter is the whole response's INVALID_REQUEST or
//   UNSUPPORTED_VERSION, entries null (security/client_quota.h).
// - Alter needs ALTER_CONFIGS on the cluster (else CLUSTER_AUTHORIZATION_FAILED for every
//   entry) and is the active controller's decision (forwarded there, server/forwarding.h),
//   with Kafka's rules (cluster/quota_alteration.h); validate_only checks and writes nothing.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/alter_client_quotas.h"
#include "protocol/generated/describe_client_quotas.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_client_quotas_response>>
serve_describe_client_quotas(request_context& ctx,
                             const protocol::describe_client_quotas_request& request);
net::awaitable<std::optional<protocol::alter_client_quotas_response>> serve_alter_client_quotas(
    request_context& ctx, const protocol::alter_client_quotas_request& request);

}  // namespace vltava::kafka
