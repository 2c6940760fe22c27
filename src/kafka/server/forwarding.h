#pragma once

// Requests a broker cannot decide, forwarded to the active controller (Kafka's
// ForwardingManager): CreateTopics, DeleteTopics, CreatePartitions, the config changes,
// CreateAcls/DeleteAcls and AlterUserScramCredentials; and DescribeQuorum sent to a node that is
// not a voter (a broker-only node).
// A broker that is not the active controller sends the request as it came to the controller
// its image names (the controller channel, on shard 0) and relays the answer with the client's
// correlation id, so a client that bootstrapped from any broker never sees NOT_CONTROLLER
// from it. While no controller answers (an election), it retries until the client's own
// timeout would have passed, then answers REQUEST_TIMED_OUT through the API's own error field
// by closing nothing: the response is the controller's or none.
//
// Kafka wraps forwarded requests in an Envelope carrying the client's principal; Vltava does
// not yet, so the request goes as it is and the controller authorizes it as the forwarding
// node's connection (User:ANONYMOUS on the PLAINTEXT controller listener). With an authorizer
// this fails closed: a forwarded CreateTopics/CreateAcls/... is refused unless that principal
// is allowed (a super user). Single-node clusters never forward. Envelope (API 58) is next.

#include <cstdint>
#include <span>

#include "kafka/server/handler.h"

namespace vltava::kafka {

// Whether the active controller decides requests of this API.
bool decided_by_controller(int16_t api_key);

// Whether this node must forward such a request: it is not the active controller its image
// names, and it has a channel to the one that is.
bool must_forward(const broker_services& services, int16_t api_key);

// Sends `body` to the active controller and answers with its response; on the caller's shard.
net::awaitable<net::handler_result> forward_to_controller(request_context& ctx,
                                                          std::span<const std::byte> body);

}  // namespace vltava::kafka
