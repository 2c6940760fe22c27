#pragma once

// DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), v0 (flexible), as
// Kafka's KRaft brokers and controller answer them (KIP-554):
// - Describe needs DESCRIBE on the cluster (else CLUSTER_AUTHORIZATION_FAILED for the whole
//   request) and reads this node's image: every user with a credential when the request names
//   none (null or empty), else each named user's mechanisms and iterations, RESOURCE_NOT_FOUND
//   for a user without any, DUPLICATE_RESOURCE for a user named twice. Never a secret.
// - Alter needs ALTER on the cluster (else CLUSTER_AUTHORIZATION_FAILED for every user) and is
//   the active controller's decision (forwarded there, server/forwarding.h), with Kafka's rules
//   (cluster/scram_alteration.h).

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/alter_user_scram_credentials.h"
#include "protocol/generated/describe_user_scram_credentials.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_user_scram_credentials_response>>
serve_describe_user_scram_credentials(
    request_context& ctx, const protocol::describe_user_scram_credentials_request& request);
net::awaitable<std::optional<protocol::alter_user_scram_credentials_response>>
serve_alter_user_scram_credentials(request_context& ctx,
                                   const protocol::alter_user_scram_credentials_request& request);

}  // namespace vltava::kafka
