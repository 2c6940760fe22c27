#include "kafka/handlers/delete_records.h"

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
  int64_t offset = 0;
};

struct answer {
  error_code error = error_code::none;
  int64_t low_watermark = -1;
};

answer delete_below(cluster::partition& p, int64_t requested) {
  const model::offset hw = p.high_watermark();
  model::offset target = requested == -1 ? hw : model::offset(requested);
  if (requested < -1 || target > hw) return {error_code::offset_out_of_range, -1};
  if (target > p.log_start_offset()) {
    if (auto r = p.log().set_log_start_offset(target); !r) {
      return {cluster::to_kafka_error(r.error().code), -1};
    }
  }
  return {error_code::none, p.log_start_offset()()};
}

}  // namespace

net::awaitable<std::optional<protocol::delete_records_response>> serve_delete_records(
    request_context& ctx, const protocol::delete_records_request& request) {
  auto& pm = ctx.services.partitions;
  auto image = pm.image();
  protocol::delete_records_response response;
  std::vector<item> items;
  std::vector<std::pair<size_t, size_t>> slots;
  for (size_t ti = 0; ti < request.topics.size(); ++ti) {
    const auto& t = request.topics[ti];
    auto& rt = response.topics.emplace_back();
    rt.name = t.name;
    const auto* info = image ? image->find_topic(t.name) : nullptr;
    for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
      const auto& p = t.partitions[pi];
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      rp.low_watermark = -1;
      // Unknown: UNKNOWN_TOPIC_OR_PARTITION; led elsewhere or by nobody: NOT_LEADER_OR_FOLLOWER.
      const auto route = cluster::route_partition(info, p.partition_index(), pm.node_id());
      if (route.error != error_code::none) {
        rp.error_code = route.error;
        continue;
      }
      items.push_back({info->name, info->id, p.partition_index(), p.offset});
      slots.emplace_back(ti, pi);
    }
  }
  auto answers = co_await for_each_partition<item, answer>(
      pm, items, [](const item& it, cluster::partition* p) -> answer {
        if (!p) return {error_code::not_leader_or_follower, -1};
        return delete_below(*p, it.offset);
      });
  for (size_t i = 0; i < answers.size(); ++i) {
    auto& rp = response.topics[slots[i].first].partitions[slots[i].second];
    rp.error_code = answers[i].error;
    rp.low_watermark = answers[i].low_watermark;
  }
  co_return response;
}

}  // namespace vltava::kafka
