#pragma once

// net::request_router for Kafka frames: the shard owning every partition a Produce or Fetch
// names, so the connection can move there (net/server.h). Other APIs, requests naming
// partitions of several shards, unknown topics and frames that do not decode have no owner:
// the handler then answers them as usual, hops included.

#include <optional>
#include <span>

#include "cluster/partition_manager.h"

namespace vltava::kafka {

std::optional<unsigned> owner_shard(const cluster::partition_manager& pm,
                                    std::span<const std::byte> frame);

}  // namespace vltava::kafka
