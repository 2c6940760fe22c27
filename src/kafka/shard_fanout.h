#pragma once

// The split → run on owning shard → gather step shared by the per-partition handlers whose
// per-partition work is synchronous (ListOffsets, OffsetForLeaderEpoch, DeleteRecords).

#include <functional>
#include <map>
#include <vector>

#include "cluster/partition_manager.h"

namespace vltava::kafka {

// Runs `fn(items[i], partition or nullptr)` on the shard owning each item and returns the
// results in item order. Item has `topic`, `topic_id` and `partition` (int32).
template <typename Item, typename R>
net::awaitable<std::vector<R>> for_each_partition(
    cluster::partition_manager& pm, const std::vector<Item>& items,
    std::function<R(const Item&, cluster::partition*)> fn) {
  std::map<unsigned, std::vector<size_t>> by_shard;
  for (size_t i = 0; i < items.size(); ++i) {
    by_shard[pm.shard_of(items[i].topic_id, model::partition_id(items[i].partition))].push_back(i);
  }
  std::vector<unsigned> shards;
  std::vector<const std::vector<size_t>*> groups;
  for (const auto& [s, g] : by_shard) {
    shards.push_back(s);
    groups.push_back(&g);
  }
  auto results = co_await cluster::on_shards<std::vector<R>>(
      pm.shards(), shards, [&](size_t g) -> net::awaitable<std::vector<R>> {
        std::vector<R> out;
        for (size_t i : *groups[g]) {
          const Item& item = items[i];
          out.push_back(fn(item, pm.find(item.topic, model::partition_id(item.partition))));
        }
        co_return out;
      });
  std::vector<R> out(items.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t k = 0; k < groups[g]->size(); ++k) out[(*groups[g])[k]] = std::move(results[g][k]);
  }
  co_return out;
}

}  // namespace vltava::kafka
