#include "kafka/handlers/describe_producers.h"

#include <algorithm>

#include "cluster/partition_leadership.h"
#include "cluster/partition_manager.h"
#include "kafka/server/shard_fanout.h"

namespace vltava::kafka {

using protocol::error_code;
using producer_row =
    protocol::describe_producers_response::topic_response::partition_response::producer_state;

namespace {

struct item {
  std::string topic;
  protocol::uuid topic_id;
  int32_t partition = 0;
};

struct answer {
  error_code error = error_code::none;
  std::vector<producer_row> producers;
};

answer describe(const cluster::partition& p) {
  answer a;
  p.producers().for_each([&](model::producer_id id, const cluster::producer_entry& e) {
    auto& row = a.producers.emplace_back();
    row.producer_id = id;
    row.producer_epoch = e.epoch();
    row.last_sequence = e.last_seq()();
    row.last_timestamp = e.last_timestamp_ms;
    row.coordinator_epoch = e.coordinator_epoch;
    row.current_txn_start_offset = e.current_txn_first_offset();
  });
  // By id, so the answer does not depend on hash order.
  std::sort(
      a.producers.begin(), a.producers.end(),
      [](const producer_row& x, const producer_row& y) { return x.producer_id < y.producer_id; });
  return a;
}

}  // namespace

net::awaitable<std::optional<protocol::describe_producers_response>> serve_describe_producers(
    request_context& ctx, const protocol::describe_producers_request& request) {
  auto& pm = ctx.services.partitions;
  auto image = pm.image();
  protocol::describe_producers_response response;
  std::vector<item> items;
  std::vector<std::pair<size_t, size_t>> slots;  // (topic, partition) in the response
  for (size_t ti = 0; ti < request.topics.size(); ++ti) {
    const auto& t = request.topics[ti];
    auto& rt = response.topics.emplace_back();
    rt.name = t.name;
    const auto* info = image ? image->find_topic(t.name) : nullptr;
    for (size_t pi = 0; pi < t.partition_indexes.size(); ++pi) {
      const model::partition_id index = t.partition_indexes[pi];
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = index;
      // Unknown: UNKNOWN_TOPIC_OR_PARTITION; led elsewhere or by nobody: NOT_LEADER_OR_FOLLOWER.
      const auto route = cluster::route_partition(info, index(), pm.node_id());
      if (route.error != error_code::none) {
        rp.error_code = route.error;
        continue;
      }
      items.push_back({info->name, info->id, index()});
      slots.emplace_back(ti, pi);
    }
  }
  auto answers = co_await for_each_partition<item, answer>(
      pm, items, [](const item&, cluster::partition* p) -> answer {
        if (!p) return {error_code::not_leader_or_follower, {}};
        return describe(*p);
      });
  for (size_t i = 0; i < answers.size(); ++i) {
    auto& rp = response.topics[slots[i].first].partitions[slots[i].second];
    rp.error_code = answers[i].error;
    rp.active_producers = std::move(answers[i].producers);
  }
  co_return response;
}

}  // namespace vltava::kafka
