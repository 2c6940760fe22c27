#include "kafka/handlers/group_admin.h"

#include <algorithm>
#include <cctype>

#include "coord/group_coordinator.h"
#include "kafka/handlers/group_membership.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

// The operations a group offers (READ, DELETE, DESCRIBE) as DescribeGroups reports them when
// asked: a bit per ACL operation code the principal is allowed.
int32_t group_operations(const request_authz& authz, std::string_view group) {
  int32_t out = 0;
  for (auto op : {acl_operation::read, acl_operation::del, acl_operation::describe}) {
    if (authz.allowed(op, resource_type::group, group)) out |= 1 << static_cast<int>(op);
  }
  return out;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool matches(const std::vector<std::string>& filter, std::string_view value) {
  return filter.empty() || std::any_of(filter.begin(), filter.end(), [value](const auto& f) {
           return equal_ignoring_case(f, value);
         });
}

}  // namespace

net::awaitable<std::optional<protocol::list_groups_response>> serve_list_groups(
    request_context& ctx, const protocol::list_groups_request& request) {
  protocol::list_groups_response response;
  if (!ctx.services.groups) {
    response.error_code = error_code::coordinator_not_available;
    co_return response;
  }
  auto task = ctx.services.groups->list_groups();
  std::vector<coord::listed_group> groups = co_await std::move(task);
  std::sort(groups.begin(), groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  // Kafka: DESCRIBE on the cluster lists every group, otherwise the groups one may describe.
  request_authz authz(ctx);
  const bool all = authz.allowed_on_cluster(acl_operation::describe);
  for (const auto& g : groups) {
    if (!all && !authz.allowed(acl_operation::describe, resource_type::group, g.group_id)) {
      continue;
    }
    std::string_view state = g.state_text;
    if (ctx.version() >= 4 && !matches(request.states_filter, state)) continue;
    if (ctx.version() >= 5 && !matches(request.types_filter, g.group_type)) continue;
    auto& out = response.groups.emplace_back();
    out.group_id = g.group_id;
    out.protocol_type = g.protocol_type;
    out.group_state = std::string(state);
    out.group_type = g.group_type;
  }
  co_return response;
}

net::awaitable<std::optional<protocol::describe_groups_response>> serve_describe_groups(
    request_context& ctx, const protocol::describe_groups_request& request) {
  protocol::describe_groups_response response;
  request_authz authz(ctx);
  for (const auto& id : request.groups) {
    auto& out = response.groups.emplace_back();
    out.group_id = id;
    if (ctx.version() >= 3 && request.include_authorized_operations) {
      out.authorized_operations = group_operations(authz, id);
    }
    if (auto refusal = group_request_refusal(ctx, id, acl_operation::describe);
        refusal != error_code::none) {
      out.error_code = refusal;
      continue;
    }
    auto task = ctx.services.groups->describe(id);
    coord::described_group d = co_await std::move(task);
    out.error_code = d.error;
    if (ctx.version() >= 6 && d.error == error_code::none && d.state == coord::group_state::dead) {
      // KIP-1043: v6 names a group that does not exist instead of describing it as Dead.
      out.error_code = error_code::group_id_not_found;
      out.error_message = "Group " + id + " not found.";
      continue;
    }
    out.group_state = d.state_text.empty() ? std::string(coord::state_name(d.state)) : d.state_text;
    out.protocol_type = d.protocol_type;
    out.protocol_data = d.protocol;
    for (auto& m : d.members) {
      auto& om = out.members.emplace_back();
      om.member_id = std::move(m.member_id);
      om.group_instance_id = std::move(m.group_instance_id);
      om.client_id = std::move(m.client_id);
      om.client_host = std::move(m.client_host);
      om.member_metadata = std::move(m.metadata);
      om.member_assignment = std::move(m.assignment);
    }
  }
  co_return response;
}

net::awaitable<std::optional<protocol::delete_groups_response>> serve_delete_groups(
    request_context& ctx, const protocol::delete_groups_request& request) {
  protocol::delete_groups_response response;
  for (const auto& id : request.groups_names) {
    auto& out = response.results.emplace_back();
    out.group_id = id;
    if (auto refusal = group_request_refusal(ctx, id, acl_operation::del);
        refusal != error_code::none) {
      out.error_code = refusal;
      continue;
    }
    auto task = ctx.services.groups->delete_group(id);
    out.error_code = co_await std::move(task);
  }
  co_return response;
}

}  // namespace vltava::kafka
