#include "kafka/handlers/alter_configs.h"

#include <set>

#include "cluster/topic_name.h"
#include "kafka/handlers/describe_configs.h"
#include "kafka/handlers/metadata.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;

net::awaitable<cluster::op_result> alter_one(request_context& ctx, config_alteration res,
                                             cluster::alter_mode mode,
                                             cluster::validate_only validate) {
  if (res.resource_type == cluster::resource_type_topic) {
    if (auto bad = cluster::invalid_topic_name(res.resource_name)) {
      co_return cluster::op_result::failure(error_code::invalid_topic_exception, *bad);
    }
    co_return co_await ctx.services.metadata.alter_topic_configs(
        res.resource_name, std::move(res.changes), mode, validate);
  }
  if (res.resource_type == cluster::resource_type_broker) {
    co_return co_await ctx.services.metadata.alter_broker_configs(
        res.resource_name, std::move(res.changes), mode, validate);
  }
  co_return cluster::op_result::failure(
      error_code::invalid_request, "Unknown resource type " + std::to_string(res.resource_type));
}

}  // namespace

net::awaitable<std::vector<cluster::op_result>> alter_resources(
    request_context& ctx, std::vector<config_alteration> resources, cluster::alter_mode mode,
    cluster::validate_only validate) {
  std::multiset<std::pair<int8_t, std::string>> seen;
  for (const auto& res : resources) seen.emplace(res.resource_type, res.resource_name);
  bool changed = false;
  std::vector<cluster::op_result> results;
  request_authz authz(ctx);
  for (auto& res : resources) {
    cluster::op_result r;
    error_code denied =
        config_refusal(authz, acl_operation::alter_configs, res.resource_type, res.resource_name);
    if (seen.count({res.resource_type, res.resource_name}) > 1) {
      r = cluster::op_result::failure(error_code::invalid_request,
                                      "Each resource must appear at most once.");
    } else if (denied != error_code::none) {
      r = cluster::op_result::failure(denied, "Authorization failed.");
    } else {
      r = co_await alter_one(ctx, std::move(res), mode, validate);
    }
    changed |= r.ok() && validate == cluster::validate_only::no;
    results.push_back(std::move(r));
  }
  if (changed) co_await sync_partitions(ctx);
  co_return results;
}

net::awaitable<std::optional<protocol::alter_configs_response>> serve_alter_configs(
    request_context& ctx, const protocol::alter_configs_request& request) {
  // The legacy API only sets: keys not given are removed (alter_mode::replace).
  auto set = [](const auto&) { return cluster::config_op::set; };
  auto results =
      co_await alter_resources(ctx, alterations_of(request.resources, set),
                               cluster::alter_mode::replace, validate_of(request.validate_only));
  co_return response_of<protocol::alter_configs_response>(request.resources, std::move(results));
}

}  // namespace vltava::kafka
