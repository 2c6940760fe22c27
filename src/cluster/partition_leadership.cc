#include "cluster/partition_leadership.h"

#include <algorithm>

namespace vltava::cluster {

namespace {

partition_assignment single_node(model::node_id self) {
  partition_assignment a;
  a.replicas = {self};
  a.isr = {self};
  a.leader = self;
  a.leader_epoch = model::leader_epoch(0);
  return a;
}

// A hand-built image leaves `partitions` empty; the metadata store fills every index.
bool assigned(const topic_info& t) {
  return static_cast<int32_t>(t.partitions.size()) == t.partition_count;
}

}  // namespace

partition_assignment assignment_of(const topic_info& t, int32_t p, model::node_id self) {
  if (assigned(t) && p >= 0 && p < t.partition_count) return t.partitions[static_cast<size_t>(p)];
  return single_node(self);
}

std::vector<partition_assignment> assignments_of(const topic_info& t, model::node_id self) {
  if (assigned(t)) return t.partitions;
  return std::vector<partition_assignment>(static_cast<size_t>(std::max(t.partition_count, 0)),
                                           single_node(self));
}

bool is_replica(const partition_assignment& a, model::node_id node) {
  return std::find(a.replicas.begin(), a.replicas.end(), node) != a.replicas.end();
}

partition_route route_partition(const topic_info* t, int32_t p, model::node_id self) {
  partition_route r;
  if (!t || p < 0 || p >= t->partition_count) return r;
  const partition_assignment a = assignment_of(*t, p, self);
  r.leader = a.leader;
  r.leader_epoch = a.leader_epoch;
  r.error =
      a.leader == self ? protocol::error_code::none : protocol::error_code::not_leader_or_follower;
  return r;
}

std::vector<model::partition_id> led_by(const topic_info& t, model::node_id self) {
  std::vector<model::partition_id> out;
  for (int32_t p = 0; p < t.partition_count; ++p) {
    if (assignment_of(t, p, self).leader == self) out.emplace_back(p);
  }
  return out;
}

}  // namespace vltava::cluster
