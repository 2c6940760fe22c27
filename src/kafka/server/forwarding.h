#pragma once

// Requests a broker cannot decide, forwarded to the active controller (Kafka's
// ForwardingManager): CreateTopics, DeleteTopics, CreatePartitions, the config changes,
// CreateAcls/DeleteAcls, AlterUserScramCredentials and AlterClientQuotas; and DescribeQuorum sent
// to a node that is not a voter (a broker-only node). A broker that is not the active controller
// wraps the request in an Envelope (KIP-590, server/envelope.h) with the client's principal and
// address, sends it to the controller its image names (the controller channel, on shard 0), and
// relays the inner response with the client's correlation id, so a client that bootstrapped from
// any broker never sees NOT_CONTROLLER from it, and the controller authorizes the request as the
// client. While no controller answers (an election), or one answers NOT_CONTROLLER, it retries
// until the client's own timeout would have passed, then closes the connection: the response is the
// controller's or none. Single-node clusters never forward.

#include <cstdint>
#include <span>

#include "kafka/server/handler.h"

namespace vltava::kafka {

// Whether the active controller decides requests of this API.
bool decided_by_controller(int16_t api_key);

// Whether this node must forward such a request: it is not the active controller its image
// names, and it has a channel to the one that is.
bool must_forward(const broker_services& services, int16_t api_key);

// Sends the request `frame` (header and body, size prefix removed) to the active controller
// in an Envelope and answers with its inner response; on the caller's shard.
net::awaitable<net::handler_result> forward_to_controller(request_context& ctx,
                                                          std::span<const std::byte> frame);

}  // namespace vltava::kafka
