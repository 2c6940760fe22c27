#include "kafka/handlers/elect_leaders.h"

#include <map>

#include "cluster/metadata_store.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using response_type = protocol::elect_leaders_response;

std::vector<model::topic_partition> named(const protocol::elect_leaders_request& request) {
  std::vector<model::topic_partition> out;
  if (!request.topic_partitions) return out;
  for (const auto& t : *request.topic_partitions) {
    for (int32_t p : t.partitions) out.push_back({t.topic, model::partition_id(p)});
  }
  return out;
}

// Results grouped by topic, topics in the order they first appear.
response_type answer(const std::vector<cluster::election_result>& results) {
  response_type r;
  std::map<std::string, size_t, std::less<>> index;
  for (const auto& e : results) {
    auto [it, fresh] = index.try_emplace(e.partition.topic, r.replica_election_results.size());
    if (fresh) r.replica_election_results.emplace_back().topic = e.partition.topic;
    auto& p = r.replica_election_results[it->second].partition_result.emplace_back();
    p.partition_id = e.partition.partition();
    p.error_code = e.error;
    p.error_message = e.error == error_code::none ? std::nullopt : e.message;
  }
  return r;
}

response_type refuse_all(const protocol::elect_leaders_request& request, error_code e,
                         std::string message) {
  std::vector<cluster::election_result> results;
  for (auto& k : named(request)) results.push_back({std::move(k), e, message});
  response_type r = answer(results);
  r.error_code = e;
  return r;
}

}  // namespace

net::awaitable<std::optional<response_type>> serve_elect_leaders(
    request_context& ctx, const protocol::elect_leaders_request& request) {
  if (!request_authz(ctx).allowed_on_cluster(acl_operation::alter)) {
    co_return refuse_all(request, error_code::cluster_authorization_failed,
                         "Cluster authorization failed.");
  }
  if (request.election_type != 0 && request.election_type != 1) {
    co_return refuse_all(request, error_code::invalid_request,
                         "Unknown election type " + std::to_string(request.election_type) + ".");
  }
  const auto type = static_cast<cluster::election_type>(request.election_type);
  std::optional<std::vector<model::topic_partition>> partitions;
  if (request.topic_partitions) partitions = named(request);
  auto task = ctx.services.metadata.elect_leaders(type, std::move(partitions));
  co_return answer(co_await std::move(task));
}

}  // namespace vltava::kafka
