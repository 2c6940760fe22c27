#include "cluster/leader_election.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

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

// May lead: registered, unfenced and not on its way out.
bool active(const metadata_image& image, model::node_id n) {
  const broker_info* b = image.find_broker(n);
  return b != nullptr && b->live() && !b->in_controlled_shutdown;
}

bool preferred_can_lead(const metadata_image& image, const partition_assignment& p) {
  return !p.replicas.empty() && contains(p.isr, p.replicas.front()) &&
         active(image, p.replicas.front());
}

using protocol::error_code;

// One partition's election: its result, and the change to record when elected.
election_result elect_one(const metadata_image& image, election_type type, const topic_info& t,
                          int32_t index, std::vector<metadata_record>& records) {
  election_result r{{t.name, model::partition_id(index)}, error_code::none, std::nullopt};
  const partition_assignment& p = t.partitions[static_cast<size_t>(index)];
  partition_assignment next = p;
  if (type == election_type::preferred) {
    if (!p.replicas.empty() && p.leader == p.replicas.front()) {
      r.error = error_code::election_not_needed;
      r.message = "Leader election not needed for topic partition.";
      return r;
    }
    if (!preferred_can_lead(image, p)) {
      r.error = error_code::preferred_leader_not_available;
      r.message =
          "Failed to elect leader for topic partition: the preferred replica is not "
          "in the ISR or not available.";
      return r;
    }
    next.leader = p.replicas.front();
  } else {
    if (p.leader >= model::node_id(0)) {
      r.error = error_code::election_not_needed;
      r.message = "Leader election not needed for topic partition.";
      return r;
    }
    for (model::node_id n : p.isr) {
      if (active(image, n)) {
        next.leader = n;
        break;
      }
    }
    if (next.leader < model::node_id(0)) {
      for (model::node_id n : p.replicas) {
        if (active(image, n)) {
          next.leader = n;
          next.isr = {n};  // unclean: the rest of the old ISR may hold what this one lacks
          break;
        }
      }
    }
    if (next.leader < model::node_id(0)) {
      r.error = error_code::eligible_leaders_not_available;
      r.message = "Failed to elect leader for topic partition: no replica is available.";
      return r;
    }
  }
  next.leader_epoch = model::leader_epoch(p.leader_epoch() + 1);
  records.emplace_back(change_of(t, static_cast<size_t>(index), next));
  return r;
}

}  // namespace

election_plan plan_elections(const metadata_image& image, election_type type,
                             const std::optional<std::vector<model::topic_partition>>& partitions) {
  election_plan plan;
  if (!partitions) {
    for (const auto& [_, t] : image.topics) {
      for (size_t i = 0; i < t.partitions.size(); ++i) {
        auto r = elect_one(image, type, t, static_cast<int32_t>(i), plan.records);
        if (r.error == error_code::none) plan.results.push_back(std::move(r));
      }
    }
    return plan;
  }
  std::set<std::pair<std::string_view, int32_t>> seen;  // a partition named twice: once
  for (const auto& k : *partitions) {
    if (!seen.emplace(k.topic, k.partition()).second) continue;
    const topic_info* t = image.find_topic(k.topic);
    if (t == nullptr || k.partition() < 0 ||
        static_cast<size_t>(k.partition()) >= t->partitions.size()) {
      plan.results.push_back(
          {k, error_code::unknown_topic_or_partition, "The partition does not exist."});
      continue;
    }
    plan.results.push_back(elect_one(image, type, *t, k.partition(), plan.records));
  }
  return plan;
}

std::vector<model::topic_partition> imbalanced_partitions(const metadata_image& image, size_t max) {
  std::vector<model::topic_partition> out;
  for (const auto& [_, t] : image.topics) {
    for (size_t i = 0; i < t.partitions.size() && out.size() < max; ++i) {
      const partition_assignment& p = t.partitions[i];
      if (p.replicas.empty() || p.leader == p.replicas.front()) continue;
      if (preferred_can_lead(image, p)) {
        out.push_back({t.name, model::partition_id(static_cast<int32_t>(i))});
      }
    }
  }
  return out;
}

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
