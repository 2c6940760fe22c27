#include "kafka/handlers/describe_log_dirs.h"

#include <filesystem>
#include <map>
#include <set>

#include "cluster/partition_manager.h"
#include "net/shard_calls.h"

namespace vltava::kafka {

namespace {

using sizes = std::vector<std::tuple<std::string, int32_t, int64_t>>;  // topic, partition, bytes
// The partitions asked for; nullopt: every partition.
using wanted_set = std::optional<std::set<std::pair<std::string, int32_t>>>;

// On a shard: the sizes of the wanted partitions it hosts.
net::awaitable<sizes> sizes_here(cluster::partition_manager& pm, const wanted_set& wanted) {
  sizes out;
  for (const auto& [topic, part] : pm.hosted_here()) {
    int32_t p = part->log().identity().partition();
    if (wanted && !wanted->contains({topic, p})) continue;
    out.emplace_back(topic, p, static_cast<int64_t>(part->log().size_bytes()));
  }
  co_return out;
}

}  // namespace

net::awaitable<std::optional<protocol::describe_log_dirs_response>> serve_describe_log_dirs(
    request_context& ctx, const protocol::describe_log_dirs_request& request) {
  auto& pm = ctx.services.partitions;
  // Null topics: everything; otherwise only the partitions named.
  wanted_set wanted;
  if (request.topics) {
    wanted.emplace();
    for (const auto& t : *request.topics) {
      for (int32_t p : t.partitions) wanted->emplace(t.topic, p);
    }
  }
  auto per_shard = co_await net::on_every_shard<sizes>(
      pm.shards(), [&pm, &wanted](unsigned) { return sizes_here(pm, wanted); });
  std::map<std::string, std::map<int32_t, int64_t>> by_topic;
  for (const auto& s : per_shard) {
    for (const auto& [topic, p, bytes] : s) by_topic[topic][p] = bytes;
  }
  protocol::describe_log_dirs_response response;
  auto& dir = response.results.emplace_back();
  std::error_code ec;
  dir.log_dir = std::filesystem::absolute(pm.data_dir(), ec).string();
  if (ec) dir.log_dir = pm.data_dir();
  if (auto space = std::filesystem::space(pm.data_dir(), ec); !ec) {
    dir.total_bytes = static_cast<int64_t>(space.capacity);
    dir.usable_bytes = static_cast<int64_t>(space.available);
  }
  for (const auto& [topic, parts] : by_topic) {
    auto& t = dir.topics.emplace_back();
    t.name = topic;
    for (const auto& [p, bytes] : parts) {
      auto& rp = t.partitions.emplace_back();
      rp.partition_index = model::partition_id(p);
      rp.partition_size = bytes;
    }
  }
  co_return response;
}

}  // namespace vltava::kafka
