#include "coord/consumer_assignor.h"

#include <algorithm>
#include <utility>

#include "base/assert.h"

namespace vltava::coord {
namespace {

using partition = std::pair<protocol::uuid, int32_t>;

// The members subscribed to topic `t`, in member id order.
std::vector<const std::string*> subscribers(const assignor_input& in, const protocol::uuid& t) {
  std::vector<const std::string*> out;
  for (const auto& [id, m] : in.members) {
    if (m.topics.contains(t)) out.push_back(&id);
  }
  return out;
}

target_assignment empty_targets(const assignor_input& in) {
  target_assignment out;
  for (const auto& [id, _] : in.members) out[id];
  return out;
}

}  // namespace

bool is_known_assignor(std::string_view name) {
  return name == uniform_assignor || name == range_assignor;
}

target_assignment assign_uniform(const assignor_input& in) {
  target_assignment out = empty_targets(in);
  std::vector<partition> all;
  std::set<std::string> interested;
  for (const auto& [t, count] : in.partition_counts) {
    auto subs = subscribers(in, t);
    if (subs.empty()) continue;
    for (const auto* s : subs) interested.insert(*s);
    for (int32_t p = 0; p < count; ++p) all.emplace_back(t, p);
  }
  if (interested.empty()) return out;
  // Pass 1 (sticky): a partition stays with its previous owner, up to everyone's floor share.
  const size_t floor_share = all.size() / interested.size();
  std::map<std::string, size_t> load;
  std::vector<partition> rest;
  for (const auto& [t, p] : all) {
    const std::string* keeper = nullptr;
    for (const auto& [id, prev] : in.previous) {
      auto m = in.members.find(id);
      auto pt = prev.find(t);
      if (m == in.members.end() || !m->second.topics.contains(t) || pt == prev.end() ||
          !pt->second.contains(p)) {
        continue;
      }
      keeper = &m->first;
      break;
    }
    if (keeper && load[*keeper] < floor_share) {
      out[*keeper][t].insert(p);
      ++load[*keeper];
    } else {
      rest.emplace_back(t, p);
    }
  }
  // Pass 2: the others to the least loaded subscriber (ties: the smallest member id).
  for (const auto& [t, p] : rest) {
    const std::string* best = nullptr;
    for (const auto* s : subscribers(in, t)) {
      if (!best || load[*s] < load[*best]) best = s;
    }
    VLTAVA_ASSERT(best != nullptr, "a partition of a subscribed topic has a subscriber");
    out[*best][t].insert(p);
    ++load[*best];
  }
  return out;
}

target_assignment assign_range(const assignor_input& in) {
  target_assignment out = empty_targets(in);
  for (const auto& [t, count] : in.partition_counts) {
    auto subs = subscribers(in, t);
    if (subs.empty()) continue;
    const int32_t n = static_cast<int32_t>(subs.size());
    const int32_t each = count / n, extra = count % n;
    int32_t next = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t take = each + (i < extra ? 1 : 0);
      for (int32_t p = next; p < next + take; ++p) out[*subs[i]][t].insert(p);
      next += take;
    }
  }
  return out;
}

target_assignment assign(std::string_view name, const assignor_input& in) {
  VLTAVA_ASSERT(is_known_assignor(name), "assignor is known");
  return name == range_assignor ? assign_range(in) : assign_uniform(in);
}

size_t partition_count(const topic_partitions& tp) {
  size_t n = 0;
  for (const auto& [_, ps] : tp) n += ps.size();
  return n;
}

topic_partitions minus(const topic_partitions& a, const topic_partitions& b) {
  topic_partitions out;
  for (const auto& [t, ps] : a) {
    auto bt = b.find(t);
    for (int32_t p : ps) {
      if (bt == b.end() || !bt->second.contains(p)) out[t].insert(p);
    }
  }
  return out;
}

topic_partitions intersect(const topic_partitions& a, const topic_partitions& b) {
  topic_partitions out;
  for (const auto& [t, ps] : a) {
    auto bt = b.find(t);
    if (bt == b.end()) continue;
    for (int32_t p : ps) {
      if (bt->second.contains(p)) out[t].insert(p);
    }
  }
  return out;
}

}  // namespace vltava::coord
