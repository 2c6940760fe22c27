#pragma once

// The requesting side over a real connection: a quorum request goes out as its Kafka RPC on a
// kafka_client, and the answer comes back as the quorum response, carrying the request's
// correlation id so that raft_node matches it. This is what quorum_transport::call needs.

#include <chrono>
#include <string>

#include "base/result.h"
#include "net/asio.h"
#include "net/kafka_client.h"
#include "quorum/messages.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {

struct send_options {
  rpc::versions versions;
  fetch_limits fetch;
};

// The request and options are taken by value: a coroutine may run after its caller's
// temporaries are gone. `client` must outlive the call. `to` is the peer's node id (VoterId in Vote
// and BeginQuorumEpoch). Errors (the connection's, a response that does not decode or answers for
// another partition, a request that is not one) are a line for the log; the node's own request
// timeout resends.
net::awaitable<result<message, std::string>> send(net::kafka_client& client, model::node_id to,
                                                  message request,
                                                  std::chrono::milliseconds timeout,
                                                  send_options options = {});

}  // namespace vltava::quorum::rpc
