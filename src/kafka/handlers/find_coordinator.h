#pragma once

// FindCoordinator (API 10), versions 0-4 (v4 batches keys). The coordinator of a group (key
// type 0) or a transactional id (1) is the leader of the __consumer_offsets or
// __transaction_state partition the key hashes to (the topic is created on first use);
// COORDINATOR_NOT_AVAILABLE while that partition has no live leader, or the coordinator does
// not exist on this node.

#include <optional>

#include "cluster/metadata_image.h"
#include "kafka/server/handler.h"
#include "protocol/generated/find_coordinator.h"

namespace vltava::kafka {

// Where partition `p` of coordinator topic `topic` is led, as FindCoordinator answers it: the
// leader's id and endpoint on `listener`, or COORDINATOR_NOT_AVAILABLE (no such partition, no
// leader, or a leader that is not a live broker). `self` fills an image without assignments.
struct coordinator_location {
  protocol::error_code error = protocol::error_code::coordinator_not_available;
  model::node_id node{-1};
  std::string host;
  int32_t port = -1;
};
coordinator_location locate_coordinator(const cluster::metadata_image& image,
                                        std::string_view topic,
                                        std::optional<model::partition_id> p, model::node_id self,
                                        std::string_view listener);

net::awaitable<std::optional<protocol::find_coordinator_response>> serve_find_coordinator(
    request_context& ctx, const protocol::find_coordinator_request& request);

}  // namespace vltava::kafka
