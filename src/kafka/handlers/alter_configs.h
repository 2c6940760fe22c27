#pragma once

// AlterConfigs (key 33), v0-2, the legacy API: the given configs become the resource's whole
// override set (keys not given are removed), for topics and for this broker's dynamic configs
// (resource "" for the cluster-wide defaults); validate_only checks without changing.
//
// `alter_resources` is the mechanism both AlterConfigs and IncrementalAlterConfigs use: they
// differ only in how a request's entries become config changes and in the alter mode.

#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_store.h"
#include "kafka/server/handler.h"
#include "protocol/generated/alter_configs.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::alter_configs_response>> serve_alter_configs(
    request_context& ctx, const protocol::alter_configs_request& request);

// One resource of an alter request, its entries already turned into changes.
struct config_alteration {
  int8_t resource_type = 0;
  std::string resource_name;
  std::vector<cluster::config_change> changes;
};

// Applies each resource's changes (a resource named twice is refused, as Kafka does), then
// brings the partitions up to date when anything changed. One result per resource, in order.
net::awaitable<std::vector<cluster::op_result>> alter_resources(
    request_context& ctx, std::vector<config_alteration> resources, cluster::alter_mode mode,
    cluster::validate_only validate);

// A request's resources as alterations; `operation_of` says what an entry asks for.
template <typename Resource, typename OperationOf>
std::vector<config_alteration> alterations_of(const std::vector<Resource>& resources,
                                              OperationOf operation_of) {
  std::vector<config_alteration> out;
  for (const auto& res : resources) {
    config_alteration a{res.resource_type, res.resource_name, {}};
    for (const auto& c : res.configs) a.changes.push_back({c.name, operation_of(c), c.value});
    out.push_back(std::move(a));
  }
  return out;
}

// The response of either API: one entry per resource, in the request's order.
template <typename Response, typename Resource>
Response response_of(const std::vector<Resource>& resources,
                     std::vector<cluster::op_result> results) {
  Response response;
  for (size_t i = 0; i < results.size(); ++i) {
    auto& out = response.responses.emplace_back();
    out.resource_type = resources[i].resource_type;
    out.resource_name = resources[i].resource_name;
    out.error_code = results[i].error;
    out.error_message = std::move(results[i].message);
  }
  return response;
}

inline cluster::validate_only validate_of(bool validate_only) {
  return validate_only ? cluster::validate_only::yes : cluster::validate_only::no;
}

}  // namespace vltava::kafka
