#include "kafka/alter_configs.h"

#include <set>

#include "cluster/metadata_store.h"
#include "cluster/topic_name.h"
#include "kafka/metadata.h"

namespace vltava::kafka {

using protocol::error_code;

net::awaitable<std::optional<protocol::alter_configs_response>> serve_alter_configs(
    request_context& ctx, const protocol::alter_configs_request& request) {
  protocol::alter_configs_response response;
  std::multiset<std::pair<int8_t, std::string>> seen;
  for (const auto& res : request.resources) seen.emplace(res.resource_type, res.resource_name);
  bool changed = false;
  auto validate = request.validate_only ? cluster::validate_only::yes : cluster::validate_only::no;
  for (const auto& res : request.resources) {
    protocol::alter_configs_response::alter_configs_resource_response out;
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    std::vector<cluster::config_change> changes;
    for (const auto& c : res.configs) {
      changes.push_back({c.name, cluster::config_op::set, c.value});
    }
    cluster::op_result r;
    if (seen.count({res.resource_type, res.resource_name}) > 1) {
      r = cluster::op_result::failure(error_code::invalid_request,
                                      "Each resource must appear at most once.");
    } else if (res.resource_type == cluster::resource_type_topic) {
      if (auto bad = cluster::invalid_topic_name(res.resource_name)) {
        r = cluster::op_result::failure(error_code::invalid_topic_exception, *bad);
      } else {
        auto task = ctx.services.metadata.alter_topic_configs(
            res.resource_name, std::move(changes), cluster::alter_mode::replace, validate);
        r = co_await std::move(task);
      }
    } else if (res.resource_type == cluster::resource_type_broker) {
      auto task = ctx.services.metadata.alter_broker_configs(
          res.resource_name, std::move(changes), cluster::alter_mode::replace, validate);
      r = co_await std::move(task);
    } else {
      r = cluster::op_result::failure(error_code::invalid_request,
                                      "Unknown resource type " + std::to_string(res.resource_type));
    }
    changed |= r.ok() && validate == cluster::validate_only::no;
    out.error_code = r.error;
    out.error_message = r.message;
    response.responses.push_back(std::move(out));
  }
  if (changed) co_await sync_partitions(ctx);
  co_return response;
}

}  // namespace vltava::kafka
