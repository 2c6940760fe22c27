#include "kafka/handlers/client_quota_apis.h"

#include "cluster/metadata_store.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using describe_response = protocol::describe_client_quotas_response;
using alter_response = protocol::alter_client_quotas_response;

constexpr std::string_view cluster_denied = "Cluster authorization failed.";
// Entries and operations one AlterClientQuotas may carry (the frame bounds them too; this
// keeps one request within one metadata batch).
constexpr size_t alter_entries_max = 1000;

describe_response::entry_data describe_entry(const security::quota_entity& entity,
                                             const security::quota_values& values) {
  describe_response::entry_data e;
  for (const auto& [type, name] : entity) {
    auto& d = e.entity.emplace_back();
    d.entity_type = type;
    d.entity_name = name;
  }
  for (const auto& [key, value] : values) {
    auto& v = e.values.emplace_back();
    v.key = key;
    v.value = value;
  }
  return e;
}

std::vector<alter_response::entry_result::entity_result> echo_entity(
    const protocol::alter_client_quotas_request::entry_data& entry) {
  std::vector<alter_response::entry_result::entity_result> out;
  for (const auto& c : entry.entity) {
    auto& r = out.emplace_back();
    r.entity_type = c.entity_type;
    r.entity_name = c.entity_name;
  }
  return out;
}

alter_response refuse_all(const protocol::alter_client_quotas_request& request, error_code e,
                          std::string_view message) {
  alter_response response;
  for (const auto& entry : request.entries) {
    auto& r = response.entries.emplace_back();
    r.error_code = e;
    r.error_message = std::string(message);
    r.entity = echo_entity(entry);
  }
  return response;
}

}  // namespace

net::awaitable<std::optional<describe_response>> serve_describe_client_quotas(
    request_context& ctx, const protocol::describe_client_quotas_request& request) {
  describe_response response;
  response.error_code = error_code::none;
  response.error_message = std::nullopt;
  if (!request_authz(ctx).allowed_on_cluster(acl_operation::describe_configs)) {
    response.error_code = error_code::cluster_authorization_failed;
    response.error_message = std::string(cluster_denied);
    response.entries = std::nullopt;
    co_return response;
  }
  std::vector<security::quota_filter_component> filter;
  for (const auto& c : request.components) {
    filter.push_back({c.entity_type, c.match_type, c.match});
  }
  cluster::image_ptr image = ctx.services.metadata.image();
  auto outcome = security::describe_quotas(image->client_quotas, filter, request.strict);
  if (outcome.error) {
    response.error_code = outcome.error->refusal == security::quota_refusal::unsupported_version
                              ? error_code::unsupported_version
                              : error_code::invalid_request;
    response.error_message = outcome.error->message;
    response.entries = std::nullopt;
    co_return response;
  }
  response.entries.emplace();
  for (const auto* m : outcome.matches) {
    response.entries->push_back(describe_entry(m->first, m->second));
  }
  co_return response;
}

net::awaitable<std::optional<alter_response>> serve_alter_client_quotas(
    request_context& ctx, const protocol::alter_client_quotas_request& request) {
  if (!request_authz(ctx).allowed_on_cluster(acl_operation::alter_configs)) {
    co_return refuse_all(request, error_code::cluster_authorization_failed, cluster_denied);
  }
  if (request.entries.size() > alter_entries_max) {
    co_return refuse_all(request, error_code::policy_violation,
                         "Too many client quota entries in one request.");
  }
  std::vector<cluster::quota_alteration> entries;
  for (const auto& e : request.entries) {
    cluster::quota_alteration a;
    for (const auto& c : e.entity) a.entity.emplace_back(c.entity_type, c.entity_name);
    for (const auto& op : e.ops) a.ops.push_back({op.key, op.value, op.remove});
    entries.push_back(std::move(a));
  }
  const auto v = request.validate_only ? cluster::validate_only::yes : cluster::validate_only::no;
  auto task = ctx.services.metadata.alter_client_quotas(std::move(entries), v);
  auto results = co_await std::move(task);
  alter_response response;
  for (size_t i = 0; i < results.size(); ++i) {
    auto& r = response.entries.emplace_back();
    r.error_code = results[i].error;
    r.error_message = results[i].ok() ? std::nullopt : results[i].message;
    r.entity = echo_entity(request.entries[i]);
  }
  co_return response;
}

}  // namespace vltava::kafka
