#include "cluster/leader_election.h"

#include <algorithm>

namespace vltava::cluster {
namespace {

protocol::metadata_partition_change_record change_of(const topic_info& t, size_t index,
                                                     const partition_assignment& p) {
  protocol::metadata_partition_change_record c;
  c.topic_id = t.id;
  c.partition_index = model::partition_id(static_cast<int32_t>(index));
  c.isr_nodes = p.isr;
  c.leader_id = p.leader;
  c.leader_epoch = p.leader_epoch;
  c.partition_epoch = p.partition_epoch + 1;
  return c;
}

bool contains(const std::vector<model::node_id>& v, model::node_id n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}

}  // namespace

std::vector<metadata_record> elect_without(const metadata_image& image, model::node_id leaving) {
  std::vector<metadata_record> out;
  for (const auto& [_, t] : image.topics) {
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      const partition_assignment& p = t.partitions[i];
      if (!contains(p.isr, leaving) && p.leader != leaving) continue;
      partition_assignment next = p;
      if (next.isr.size() > 1) std::erase(next.isr, leaving);
      if (p.leader == leaving) {
        next.leader = model::node_id(-1);
        for (model::node_id candidate : next.isr) {
          const broker_info* b = image.find_broker(candidate);
          if (candidate != leaving && b != nullptr && b->live() && !b->in_controlled_shutdown) {
            next.leader = candidate;
            break;
          }
        }
        next.leader_epoch = model::leader_epoch(p.leader_epoch() + 1);
      }
      if (next.isr == p.isr && next.leader == p.leader) continue;
      out.emplace_back(change_of(t, i, next));
    }
  }
  return out;
}

std::vector<metadata_record> elect_returning(const metadata_image& image, model::node_id back) {
  std::vector<metadata_record> out;
  for (const auto& [_, t] : image.topics) {
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      const partition_assignment& p = t.partitions[i];
      if (p.leader >= model::node_id(0) || !contains(p.isr, back)) continue;
      partition_assignment next = p;
      next.leader = back;
      next.leader_epoch = model::leader_epoch(p.leader_epoch() + 1);
      out.emplace_back(change_of(t, i, next));
    }
  }
  return out;
}

size_t leaderships(const metadata_image& image, model::node_id node) {
  size_t n = 0;
  for (const auto& [_, t] : image.topics) {
    for (const auto& p : t.partitions) n += p.leader == node ? 1 : 0;
  }
  return n;
}

}  // namespace vltava::cluster
