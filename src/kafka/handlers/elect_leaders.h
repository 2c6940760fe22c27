#pragma once

// ElectLeaders (43) v0-2, as Kafka's KRaft brokers and controller answer it: ALTER on the
// cluster or CLUSTER_AUTHORIZATION_FAILED (top level and for every partition named); the
// active controller decides (forwarded there, server/forwarding.h) with Kafka's rules
// (cluster/leader_election.h): v0 elects preferred leaders, v1+ carry the election type
// (0 preferred, 1 unclean; others INVALID_REQUEST); null partitions mean every partition.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/elect_leaders.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::elect_leaders_response>> serve_elect_leaders(
    request_context& ctx, const protocol::elect_leaders_request& request);

}  // namespace vltava::kafka
