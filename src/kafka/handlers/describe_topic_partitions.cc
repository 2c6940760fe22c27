#include "kafka/handlers/describe_topic_partitions.h"

#include <algorithm>
#include <set>

#include "cluster/metadata_store.h"
#include "cluster/topic_name.h"
#include "kafka/handlers/metadata.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using response_topic =
    protocol::describe_topic_partitions_response::describe_topic_partitions_response_topic;
using response_partition = response_topic::describe_topic_partitions_response_partition;

// Kafka's max.request.partition.size.limit default.
constexpr int32_t partition_limit_max = 2000;

response_topic error_topic(error_code e, const std::string& name) {
  response_topic t;
  t.error_code = e;
  t.name = name;
  t.is_internal = cluster::is_internal_topic_name(name);
  return t;
}

}  // namespace

net::awaitable<std::optional<protocol::describe_topic_partitions_response>>
serve_describe_topic_partitions(request_context& ctx,
                                const protocol::describe_topic_partitions_request& request) {
  cluster::image_ptr image = ctx.services.metadata.image();
  protocol::describe_topic_partitions_response response;
  const bool all = request.topics.empty();
  const std::string cursor_topic = request.cursor ? request.cursor->topic_name : "";
  std::set<std::string> names;
  if (all) {
    for (const auto& [name, _] : image->topics) {
      if (name >= cursor_topic) names.insert(name);
    }
  } else {
    for (const auto& t : request.topics) {
      if (t.name >= cursor_topic) names.insert(t.name);
    }
  }
  bool bad_cursor = request.cursor && ((!all && !names.contains(cursor_topic)) ||
                                       request.cursor->partition_index() < 0);
  if (bad_cursor) {
    for (const auto& t : request.topics) {
      response.topics.push_back(error_topic(error_code::invalid_request, t.name));
    }
    co_return response;
  }
  int32_t remaining = std::max(std::min(partition_limit_max, request.response_partition_limit), 1);
  for (const auto& name : names) {
    if (remaining == 0) {
      response.next_cursor.emplace();
      response.next_cursor->topic_name = name;
      response.next_cursor->partition_index = model::partition_id(0);
      break;
    }
    const cluster::topic_info* t = image->find_topic(name);
    if (!t) {
      if (!all) {
        response.topics.push_back(error_topic(cluster::invalid_topic_name(name)
                                                  ? error_code::invalid_topic_exception
                                                  : error_code::unknown_topic_or_partition,
                                              name));
      }
      continue;
    }
    auto parts = partitions_of(*t, ctx.services.node_id);
    int32_t start = request.cursor && name == cursor_topic ? request.cursor->partition_index() : 0;
    int32_t count = static_cast<int32_t>(parts.size());
    auto upper = static_cast<int32_t>(std::min<int64_t>(count, int64_t{start} + remaining));
    response_topic out;
    out.error_code = error_code::none;
    out.name = t->name;
    out.topic_id = t->id;
    out.is_internal = t->internal;
    out.topic_authorized_operations = topic_operations_all;
    for (int32_t i = start; i < upper; ++i) {
      const auto& p = parts[static_cast<size_t>(i)];
      response_partition rp;
      rp.error_code = partition_error(p);
      rp.partition_index = model::partition_id(i);
      rp.leader_id = p.leader;
      rp.leader_epoch = p.leader_epoch;
      rp.replica_nodes = p.replicas;
      rp.isr_nodes = p.isr;
      rp.offline_replicas = offline_replicas(*image, p);
      rp.eligible_leader_replicas = std::vector<int32_t>{};
      rp.last_known_elr = std::vector<int32_t>{};
      out.partitions.push_back(std::move(rp));
    }
    response.topics.push_back(std::move(out));
    if (upper < count) {
      response.next_cursor.emplace();
      response.next_cursor->topic_name = name;
      response.next_cursor->partition_index = model::partition_id(upper);
      break;
    }
    remaining -= std::max(0, upper - start);
  }
  co_return response;
}

}  // namespace vltava::kafka
