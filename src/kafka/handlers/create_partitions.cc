#include "kafka/handlers/create_partitions.h"

#include <map>

#include "cluster/metadata_store.h"
#include "kafka/handlers/metadata.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::create_partitions_response>> serve_create_partitions(
    request_context& ctx, const protocol::create_partitions_request& request) {
  protocol::create_partitions_response response;
  std::map<std::string, int, std::less<>> count;
  for (const auto& t : request.topics) ++count[t.name];
  bool changed = false;
  auto validate = request.validate_only ? cluster::validate_only::yes : cluster::validate_only::no;
  request_authz authz(ctx);
  for (const auto& t : request.topics) {
    protocol::create_partitions_response::create_partitions_topic_result r;
    r.name = t.name;
    if (count[t.name] > 1) {
      r.error_code = protocol::error_code::invalid_request;
      r.error_message = "Duplicate topic in request.";
      response.results.push_back(std::move(r));
      continue;
    }
    // Kafka: ALTER on the topic.
    if (!authz.allowed(acl_operation::alter, resource_type::topic, t.name)) {
      r.error_code = protocol::error_code::topic_authorization_failed;
      r.error_message = "Authorization failed.";
      response.results.push_back(std::move(r));
      continue;
    }
    std::optional<std::vector<std::vector<model::node_id>>> assignments;
    if (t.assignments) {
      assignments.emplace();
      for (const auto& a : *t.assignments) {
        std::vector<model::node_id> ids;
        for (auto id : a.broker_ids) ids.push_back(model::node_id(id));
        assignments->push_back(std::move(ids));
      }
    }
    auto task =
        ctx.services.metadata.create_partitions(t.name, t.count, std::move(assignments), validate);
    auto res = co_await std::move(task);
    changed |= res.ok() && validate == cluster::validate_only::no;
    r.error_code = res.error;
    r.error_message = res.message;
    response.results.push_back(std::move(r));
  }
  if (changed) co_await sync_partitions(ctx);
  co_return response;
}

}  // namespace vltava::kafka
