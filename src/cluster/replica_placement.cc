#include "cluster/replica_placement.h"

#include <algorithm>
#include <map>
#include <random>

#include "base/assert.h"

namespace vltava::cluster {
namespace {

// a1, b1, c1, a2, b2, ... (brokers without a rack form one rack of their own).
std::vector<model::node_id> rack_alternated(std::vector<placement_broker> brokers) {
  std::sort(brokers.begin(), brokers.end(),
            [](const placement_broker& a, const placement_broker& b) { return a.id < b.id; });
  std::map<std::string, std::vector<model::node_id>> by_rack;
  for (const auto& b : brokers) by_rack[b.rack.value_or("")].push_back(b.id);
  std::vector<model::node_id> out;
  for (size_t round = 0; out.size() < brokers.size(); ++round) {
    for (const auto& [_, ids] : by_rack) {
      if (round < ids.size()) out.push_back(ids[round]);
    }
  }
  return out;
}

uint32_t random_start() {
  static thread_local std::mt19937 gen{std::random_device{}()};
  return gen();
}

}  // namespace

std::vector<std::vector<model::node_id>> place_replicas(std::vector<placement_broker> brokers,
                                                        int32_t count, int32_t replication_factor,
                                                        std::optional<uint32_t> start) {
  VLTAVA_ASSERT(
      replication_factor >= 1 && static_cast<size_t>(replication_factor) <= brokers.size(),
      "the replication factor was checked against the live brokers");
  const std::vector<model::node_id> order = rack_alternated(std::move(brokers));
  const size_t n = order.size();
  const size_t first_start = start.value_or(random_start()) % n;
  size_t shift = start.value_or(random_start()) % n;
  std::vector<std::vector<model::node_id>> out;
  out.reserve(static_cast<size_t>(std::max(count, 0)));
  for (int32_t p = 0; p < count; ++p) {
    if (p > 0 && static_cast<size_t>(p) % n == 0) ++shift;
    const size_t first = (first_start + static_cast<size_t>(p)) % n;
    std::vector<model::node_id> replicas{order[first]};
    for (int32_t j = 0; j + 1 < replication_factor; ++j) {
      // 1 + (shift + j) mod (n - 1): never 0, so never the first replica again.
      const size_t distance = 1 + (shift + static_cast<size_t>(j)) % (n - 1);
      replicas.push_back(order[(first + distance) % n]);
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

}  // namespace vltava::cluster
