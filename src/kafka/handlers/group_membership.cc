#include "kafka/handlers/group_membership.h"

#include "coord/group_coordinator.h"
#include "kafka/server/authorize.h"

// GCC 12 misreads asio's coroutine frame allocator (its own operator new and delete) as a
// mismatched pair in some coroutines (GCC PR 109224, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace vltava::kafka {

using protocol::error_code;

error_code group_request_refusal(const request_context& ctx, std::string_view group_id,
                                 acl_operation op) {
  if (!request_authz(ctx).allowed(op, resource_type::group, group_id)) {
    return error_code::group_authorization_failed;
  }
  if (group_id.empty()) return error_code::invalid_group_id;
  if (!ctx.services.groups) return error_code::coordinator_not_available;
  return error_code::none;
}

std::string client_host_of(const net::connection_info& c) {
  auto colon = c.peer.rfind(':');
  std::string host = colon == std::string::npos ? c.peer : c.peer.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return "/" + host;
}

net::awaitable<std::optional<protocol::join_group_response>> serve_join_group(
    request_context& ctx, const protocol::join_group_request& request) {
  protocol::join_group_response response;
  response.member_id = request.member_id;
  if (ctx.version() < 7) response.protocol_name = std::string();
  if (auto refusal = group_request_refusal(ctx, request.group_id, acl_operation::read);
      refusal != error_code::none) {
    response.error_code = refusal;
    co_return response;
  }
  coord::join_request jr;
  jr.member_id = request.member_id;
  jr.group_instance_id = request.group_instance_id;
  jr.client_id = ctx.header.client_id.value_or("");
  jr.client_host = client_host_of(ctx.connection);
  jr.session_timeout_ms = request.session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout bounds the rebalance too.
  jr.rebalance_timeout_ms =
      ctx.version() == 0 ? request.session_timeout_ms : request.rebalance_timeout_ms;
  jr.protocol_type = request.protocol_type;
  for (const auto& p : request.protocols) jr.protocols.push_back({p.name, p.metadata});
  jr.require_known_member_id = ctx.version() >= 4;
  jr.supports_skip_assignment = ctx.version() >= 9;
  auto task = ctx.services.groups->join(request.group_id, std::move(jr));
  coord::join_result r = co_await std::move(task);
  response.error_code = r.error;
  response.generation_id = r.generation_id;
  response.protocol_type = r.protocol_type;
  response.protocol_name = r.protocol_name;
  if (ctx.version() < 7 && !response.protocol_name) response.protocol_name = std::string();
  response.leader = r.leader;
  response.skip_assignment = r.skip_assignment;
  response.member_id = r.member_id;
  for (auto& m : r.members) {
    auto& out = response.members.emplace_back();
    out.member_id = std::move(m.member_id);
    out.group_instance_id = std::move(m.group_instance_id);
    out.metadata = std::move(m.metadata);
  }
  co_return response;
}

net::awaitable<std::optional<protocol::sync_group_response>> serve_sync_group(
    request_context& ctx, const protocol::sync_group_request& request) {
  protocol::sync_group_response response;
  if (auto refusal = group_request_refusal(ctx, request.group_id, acl_operation::read);
      refusal != error_code::none) {
    response.error_code = refusal;
    co_return response;
  }
  coord::sync_request sr;
  sr.member_id = request.member_id;
  sr.group_instance_id = request.group_instance_id;
  sr.generation_id = request.generation_id;
  if (ctx.version() >= 5) {
    sr.protocol_type = request.protocol_type;
    sr.protocol_name = request.protocol_name;
  }
  for (const auto& a : request.assignments) sr.assignments.emplace_back(a.member_id, a.assignment);
  auto task = ctx.services.groups->sync(request.group_id, std::move(sr));
  coord::sync_result r = co_await std::move(task);
  response.error_code = r.error;
  response.protocol_type = r.protocol_type;
  response.protocol_name = r.protocol_name;
  response.assignment = std::move(r.assignment);
  co_return response;
}

net::awaitable<std::optional<protocol::heartbeat_response>> serve_heartbeat(
    request_context& ctx, const protocol::heartbeat_request& request) {
  protocol::heartbeat_response response;
  if (auto refusal = group_request_refusal(ctx, request.group_id, acl_operation::read);
      refusal != error_code::none) {
    response.error_code = refusal;
    co_return response;
  }
  auto task = ctx.services.groups->heartbeat(request.group_id, request.member_id,
                                             request.group_instance_id, request.generation_id);
  response.error_code = co_await std::move(task);
  co_return response;
}

net::awaitable<std::optional<protocol::leave_group_response>> serve_leave_group(
    request_context& ctx, const protocol::leave_group_request& request) {
  protocol::leave_group_response response;
  if (auto refusal = group_request_refusal(ctx, request.group_id, acl_operation::read);
      refusal != error_code::none) {
    response.error_code = refusal;
    co_return response;
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> members;
  if (ctx.version() < 3) {
    members.emplace_back(request.member_id, std::nullopt);
  } else {
    for (const auto& m : request.members) members.emplace_back(m.member_id, m.group_instance_id);
  }
  auto task = ctx.services.groups->leave(request.group_id, members);
  coord::leave_result r = co_await std::move(task);
  if (ctx.version() < 3) {
    // One member: its error is the request's.
    response.error_code = r.error != error_code::none ? r.error : r.members.at(0);
    co_return response;
  }
  response.error_code = r.error;
  for (size_t i = 0; i < members.size() && i < r.members.size(); ++i) {
    auto& out = response.members.emplace_back();
    out.member_id = members[i].first;
    out.group_instance_id = members[i].second;
    out.error_code = r.members[i];
  }
  co_return response;
}

}  // namespace vltava::kafka
