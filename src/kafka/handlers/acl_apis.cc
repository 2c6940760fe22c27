#include "kafka/handlers/acl_apis.h"

#include <map>
#include <tuple>

#include "cluster/metadata_store.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using security::acl_binding;
using security::acl_filter;

constexpr std::string_view no_authorizer = "No Authorizer is configured.";

template <typename Filter>
acl_filter filter_of(const Filter& f) {
  acl_filter out;
  out.resource = security::to_resource_type(f.resource_type_filter);
  out.name = f.resource_name_filter;
  out.pattern = security::to_pattern_type(f.pattern_type_filter);
  out.principal = f.principal_filter;
  out.host = f.host_filter;
  out.operation = security::to_acl_operation(f.operation);
  out.permission = security::to_acl_permission(f.permission_type);
  return out;
}

acl_binding binding_of(const protocol::create_acls_request::acl_creation& c) {
  return acl_binding{security::to_resource_type(c.resource_type),
                     c.resource_name,
                     security::to_pattern_type(c.resource_pattern_type),
                     c.principal,
                     c.host,
                     security::to_acl_operation(c.operation),
                     security::to_acl_permission(c.permission_type)};
}

}  // namespace

net::awaitable<std::optional<protocol::create_acls_response>> serve_create_acls(
    request_context& ctx, const protocol::create_acls_request& request) {
  using result = protocol::create_acls_response::acl_creation_result;
  protocol::create_acls_response response;
  auto all_fail = [&](error_code e, std::string_view why) {
    for (size_t i = 0; i < request.creations.size(); ++i) {
      result r;
      r.error_code = e;
      r.error_message = std::string(why);
      response.results.push_back(std::move(r));
    }
  };
  request_authz authz(ctx);
  if (!authz.enabled()) {
    all_fail(error_code::security_disabled, no_authorizer);
    co_return response;
  }
  if (!authz.allowed_on_cluster(acl_operation::alter)) {
    all_fail(error_code::cluster_authorization_failed,
             "Cluster authorization failed.");  // Kafka's ClusterAuthorizationException text
    co_return response;
  }
  std::vector<acl_binding> acls;
  for (const auto& c : request.creations) acls.push_back(binding_of(c));
  auto task = ctx.services.metadata.create_acls(std::move(acls));
  auto created = co_await std::move(task);
  for (const auto& c : created) {
    result r;
    r.error_code = c.error;
    r.error_message = c.ok() ? std::nullopt : c.message;
    response.results.push_back(std::move(r));
  }
  co_return response;
}

net::awaitable<std::optional<protocol::describe_acls_response>> serve_describe_acls(
    request_context& ctx, const protocol::describe_acls_request& request) {
  protocol::describe_acls_response response;
  response.error_code = error_code::none;
  response.error_message = std::nullopt;
  request_authz authz(ctx);
  if (!authz.enabled()) {
    response.error_code = error_code::security_disabled;
    response.error_message = std::string(no_authorizer);
    co_return response;
  }
  if (!authz.allowed_on_cluster(acl_operation::describe)) {
    response.error_code = error_code::cluster_authorization_failed;
    response.error_message = "Cluster authorization failed.";
    co_return response;
  }
  acl_filter filter = filter_of(request);
  if (auto bad = security::invalid_filter(filter)) {
    response.error_code = error_code::invalid_request;
    response.error_message = *bad;
    co_return response;
  }
  // Grouped by resource pattern, as Kafka answers.
  using key = std::tuple<int8_t, std::string, int8_t>;
  std::map<key,
           std::vector<protocol::describe_acls_response::describe_acls_resource::acl_description>>
      groups;
  cluster::image_ptr image = ctx.services.metadata.image();
  for (const auto& [_, b] : image->acls.by_id()) {
    if (!security::matches(filter, b)) continue;
    protocol::describe_acls_response::describe_acls_resource::acl_description d;
    d.principal = b.principal;
    d.host = b.host;
    d.operation = static_cast<int8_t>(b.operation);
    d.permission_type = static_cast<int8_t>(b.permission);
    groups[key{static_cast<int8_t>(b.resource), b.name, static_cast<int8_t>(b.pattern)}].push_back(
        std::move(d));
  }
  for (auto& [k, acls] : groups) {
    protocol::describe_acls_response::describe_acls_resource r;
    r.resource_type = std::get<0>(k);
    r.resource_name = std::get<1>(k);
    r.pattern_type = std::get<2>(k);
    r.acls = std::move(acls);
    response.resources.push_back(std::move(r));
  }
  co_return response;
}

net::awaitable<std::optional<protocol::delete_acls_response>> serve_delete_acls(
    request_context& ctx, const protocol::delete_acls_request& request) {
  using filter_result = protocol::delete_acls_response::delete_acls_filter_result;
  protocol::delete_acls_response response;
  auto all_fail = [&](error_code e, std::string_view why) {
    for (size_t i = 0; i < request.filters.size(); ++i) {
      filter_result r;
      r.error_code = e;
      r.error_message = std::string(why);
      response.filter_results.push_back(std::move(r));
    }
  };
  request_authz authz(ctx);
  if (!authz.enabled()) {
    all_fail(error_code::security_disabled, no_authorizer);
    co_return response;
  }
  if (!authz.allowed_on_cluster(acl_operation::alter)) {
    all_fail(error_code::cluster_authorization_failed, "Cluster authorization failed.");
    co_return response;
  }
  std::vector<acl_filter> filters;
  for (const auto& f : request.filters) filters.push_back(filter_of(f));
  auto task = ctx.services.metadata.delete_acls(std::move(filters));
  auto deleted = co_await std::move(task);
  for (const auto& d : deleted) {
    filter_result r;
    r.error_code = d.error;
    r.error_message = d.ok() ? std::nullopt : d.message;
    for (const auto& b : d.deleted) {
      filter_result::delete_acls_matching_acl m;
      m.error_code = error_code::none;
      m.error_message = std::nullopt;
      m.resource_type = static_cast<int8_t>(b.resource);
      m.resource_name = b.name;
      m.pattern_type = static_cast<int8_t>(b.pattern);
      m.principal = b.principal;
      m.host = b.host;
      m.operation = static_cast<int8_t>(b.operation);
      m.permission_type = static_cast<int8_t>(b.permission);
      r.matching_acls.push_back(std::move(m));
    }
    response.filter_results.push_back(std::move(r));
  }
  co_return response;
}

}  // namespace vltava::kafka
