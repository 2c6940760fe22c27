#include "kafka/handlers/offset_for_leader_epoch.h"

#include "cluster/partition_leadership.h"
#include "cluster/partition_manager.h"
#include "kafka/server/shard_fanout.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

struct item {
  std::string topic;
  protocol::uuid topic_id;
  int32_t partition = 0;
  model::leader_epoch epoch;
};

struct answer {
  error_code error = error_code::none;
  model::leader_epoch epoch{-1};
  model::offset end_offset{-1};
};

// Kafka's rule: the requested epoch's end is the start of the next epoch, or the log end for
// the current epoch; an epoch above the current one is unknown (-1, -1).
answer end_of_epoch(const cluster::partition& p, model::leader_epoch requested) {
  if (requested < model::leader_epoch(0) || requested > p.leader_epoch()) return {};
  return {error_code::none, p.leader_epoch(), p.log_end_offset()};
}

}  // namespace

net::awaitable<std::optional<protocol::offset_for_leader_epoch_response>>
serve_offset_for_leader_epoch(request_context& ctx,
                              const protocol::offset_for_leader_epoch_request& request) {
  auto& pm = ctx.services.partitions;
  auto image = pm.image();
  protocol::offset_for_leader_epoch_response response;
  std::vector<item> items;
  std::vector<std::pair<size_t, size_t>> slots;
  for (size_t ti = 0; ti < request.topics.size(); ++ti) {
    const auto& t = request.topics[ti];
    auto& rt = response.topics.emplace_back();
    rt.topic = t.topic;
    const auto* info = image ? image->find_topic(t.topic) : nullptr;
    for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
      const auto& p = t.partitions[pi];
      auto& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      // Unknown: UNKNOWN_TOPIC_OR_PARTITION; led elsewhere or by nobody: NOT_LEADER_OR_FOLLOWER.
      const auto route = cluster::route_partition(info, p.partition, pm.node_id());
      if (route.error != error_code::none) {
        rp.error_code = route.error;
        continue;
      }
      items.push_back({info->name, info->id, p.partition, p.leader_epoch});
      slots.emplace_back(ti, pi);
    }
  }
  auto answers = co_await for_each_partition<item, answer>(
      pm, items, [](const item& it, cluster::partition* p) -> answer {
        if (!p) return {error_code::not_leader_or_follower};
        return end_of_epoch(*p, it.epoch);
      });
  for (size_t i = 0; i < answers.size(); ++i) {
    auto& rp = response.topics[slots[i].first].partitions[slots[i].second];
    rp.error_code = answers[i].error;
    rp.leader_epoch = answers[i].epoch;
    rp.end_offset = answers[i].end_offset;
  }
  co_return response;
}

}  // namespace vltava::kafka
