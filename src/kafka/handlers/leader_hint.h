#pragma once

// KIP-951: a partition-scoped request sent to a node that does not lead the partition answers
// NOT_LEADER_OR_FOLLOWER with the current leader (id, epoch) in the partition's answer and the
// leader's endpoint in the response's node_endpoints (Produce v10+, Fetch v16+; the codec
// writes these tagged fields only in those versions), so the client goes straight to it
// instead of refreshing its metadata first. Who leads comes from cluster::route_partition.

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "cluster/metadata_image.h"
#include "kafka/handlers/metadata.h"

namespace vltava::kafka {

// Adds the endpoint of `leader` on `listener` to `out` once, when the leader is a live broker
// (a leader -1 or fenced has none to offer). Endpoint: a generated node_endpoint struct.
template <typename Endpoint>
void add_leader_endpoint(std::vector<Endpoint>& out, const cluster::metadata_image& image,
                         model::node_id leader, std::string_view listener) {
  if (!image.is_live(leader)) return;
  if (std::any_of(out.begin(), out.end(),
                  [leader](const Endpoint& e) { return e.node_id == leader; })) {
    return;
  }
  const cluster::broker_info* b = image.find_broker(leader);
  const cluster::broker_endpoint* e = endpoint_for(*b, listener);
  if (!e) return;
  Endpoint& ep = out.emplace_back();
  ep.node_id = leader;
  ep.host = e->host;
  ep.port = e->port;
  ep.rack = b->rack;
}

}  // namespace vltava::kafka
