#pragma once

// Who holds a partition, read from the metadata image: the one place the data plane, the
// coordinators and the describing APIs ask "is this node a replica / the leader of p?". Images
// built by hand (tests, and the single-node images of old) may leave a topic's `partitions`
// empty: this node is then the only replica and the leader, epoch 0.

#include <cstdint>
#include <vector>

#include "cluster/metadata_image.h"
#include "model/fundamental.h"
#include "protocol/error_code.h"

namespace vltava::cluster {

// Partition `p` of `t` (0 <= p < partition_count) as assigned; `self` fills a missing entry.
partition_assignment assignment_of(const topic_info& t, int32_t p, model::node_id self);
// Every partition's assignment, indexed by partition id.
std::vector<partition_assignment> assignments_of(const topic_info& t, model::node_id self);

bool is_replica(const partition_assignment& a, model::node_id node);

// What a partition-scoped data request (Produce, client Fetch, ListOffsets, ...) finds for one
// partition. error: none (this node leads it), UNKNOWN_TOPIC_OR_PARTITION (no such topic or
// index) or NOT_LEADER_OR_FOLLOWER (led elsewhere, or by nobody: leader -1). `leader` and
// `leader_epoch` are the current ones (KIP-951's current_leader) when the partition exists.
struct partition_route {
  protocol::error_code error = protocol::error_code::unknown_topic_or_partition;
  model::node_id leader{-1};
  model::leader_epoch leader_epoch{-1};
};
partition_route route_partition(const topic_info* t, int32_t p, model::node_id self);

// The coordinator partitions (or any topic's) this node leads.
std::vector<model::partition_id> led_by(const topic_info& t, model::node_id self);

}  // namespace vltava::cluster
