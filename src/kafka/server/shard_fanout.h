#pragma once

// The split → run on owning shard → gather step shared by the per-partition handlers whose
// per-partition work is synchronous (ListOffsets, OffsetForLeaderEpoch, DeleteRecords,
// DescribeProducers). Produce and Fetch, whose per-shard work waits, use net::split_by_shard
// and net::on_shards directly.

#include <functional>
#include <vector>

#include "cluster/partition_manager.h"
#include "net/shard_calls.h"

namespace vltava::kafka {

namespace detail {

// On the owning shard: fn over one shard's items, in their request order.
template <typename Item, typename R>
net::awaitable<std::vector<R>> run_group(
    cluster::partition_manager& pm, const std::vector<Item>& items,
    const std::vector<size_t>& group,
    const std::function<R(const Item&, cluster::partition*)>& fn) {
  std::vector<R> out;
  out.reserve(group.size());
  for (size_t i : group) {
    const Item& item = items[i];
    // Only a partition this node leads is handed over (partition_manager::find_leader).
    out.push_back(fn(item, pm.find_leader(item.topic, model::partition_id(item.partition)).get()));
  }
  co_return out;
}

}  // namespace detail

// Runs `fn(items[i], partition or nullptr)` on the shard owning each item (nullptr: not hosted
// or not led here: the caller answers NOT_LEADER_OR_FOLLOWER) and returns the
// results in item order. Item has `topic`, `topic_id` and `partition` (int32).
template <typename Item, typename R>
net::awaitable<std::vector<R>> for_each_partition(
    cluster::partition_manager& pm, const std::vector<Item>& items,
    std::function<R(const Item&, cluster::partition*)> fn) {
  const auto split = net::split_by_shard(items.size(), [&pm, &items](size_t i) {
    return pm.shard_of(items[i].topic_id, model::partition_id(items[i].partition));
  });
  auto results = co_await net::on_shards<std::vector<R>>(
      pm.shards(), split.shards, [&pm, &items, &split, &fn](size_t g) {
        return detail::run_group<Item, R>(pm, items, split.items[g], fn);
      });
  co_return split.gather(std::move(results), items.size());
}

}  // namespace vltava::kafka
