#include "kafka/handlers/consumer_group_heartbeat.h"

#include "coord/group_coordinator.h"
#include "kafka/handlers/group_membership.h"
#include "kafka/server/authorize.h"

// GCC 12 misreads asio's coroutine frame allocator (its own operator new and delete) as a
// mismatched pair in some coroutines (GCC PR 109224, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace vltava::kafka {

using protocol::error_code;

namespace {

coord::consumer_heartbeat from_request(const request_context& ctx,
                                       const protocol::consumer_group_heartbeat_request& req) {
  coord::consumer_heartbeat hb;
  hb.version = ctx.version();
  hb.member_id = req.member_id;
  hb.member_epoch = req.member_epoch;
  hb.instance_id = req.instance_id;
  hb.rack_id = req.rack_id;
  hb.rebalance_timeout_ms = req.rebalance_timeout_ms;
  hb.subscribed_topic_names = req.subscribed_topic_names;
  hb.subscribed_topic_regex = req.subscribed_topic_regex;
  hb.server_assignor = req.server_assignor;
  if (req.topic_partitions) {
    coord::topic_partitions owned;
    for (const auto& t : *req.topic_partitions) {
      owned[t.topic_id].insert(t.partitions.begin(), t.partitions.end());
    }
    hb.owned = std::move(owned);
  }
  hb.client_id = ctx.header.client_id.value_or("");
  hb.client_host = client_host_of(ctx.connection);
  return hb;
}

protocol::consumer_group_describe::assignment described(
    const coord::topic_partitions& tp,
    const std::map<protocol::uuid, std::string, coord::uuid_less>& names) {
  protocol::consumer_group_describe::assignment out;
  for (const auto& [t, ps] : tp) {
    auto& o = out.topic_partitions.emplace_back();
    o.topic_id = t;
    auto n = names.find(t);
    if (n != names.end()) o.topic_name = n->second;
    o.partitions.assign(ps.begin(), ps.end());
  }
  return out;
}

// The operations a group offers (READ, DELETE, DESCRIBE), a bit per ACL operation code.
int32_t group_operations(const request_authz& authz, std::string_view group) {
  int32_t out = 0;
  for (auto op : {acl_operation::read, acl_operation::del, acl_operation::describe}) {
    if (authz.allowed(op, resource_type::group, group)) out |= 1 << static_cast<int>(op);
  }
  return out;
}

}  // namespace

net::awaitable<std::optional<protocol::consumer_group_heartbeat_response>>
serve_consumer_group_heartbeat(request_context& ctx,
                               const protocol::consumer_group_heartbeat_request& request) {
  protocol::consumer_group_heartbeat_response response;
  auto refuse = [&response](error_code e, std::string message) {
    response.error_code = e;
    if (!message.empty()) response.error_message = std::move(message);
  };
  if (auto refusal = group_request_refusal(ctx, request.group_id, acl_operation::read);
      refusal != error_code::none) {
    // Kafka answers the empty group id as a bad request here.
    if (refusal == error_code::invalid_group_id) {
      refuse(error_code::invalid_request, "GroupId can't be empty.");
    } else {
      refuse(refusal, {});
    }
    co_return response;
  }
  coord::consumer_heartbeat hb = from_request(ctx, request);
  if (auto [e, message] = coord::validate(hb); e != error_code::none) {
    refuse(e, std::move(message));
    co_return response;
  }
  auto task = ctx.services.groups->consumer_group_heartbeat(request.group_id, std::move(hb));
  coord::consumer_heartbeat_result r = co_await std::move(task);
  if (r.error != error_code::none) {
    refuse(r.error, std::move(r.message));
    co_return response;
  }
  response.member_id = r.member_id;
  response.member_epoch = r.member_epoch;
  response.heartbeat_interval_ms = r.heartbeat_interval_ms;
  if (r.assignment) {
    auto& a = response.assignment.emplace();
    for (const auto& [t, ps] : *r.assignment) {
      auto& o = a.topic_partitions.emplace_back();
      o.topic_id = t;
      o.partitions.assign(ps.begin(), ps.end());
    }
  }
  co_return response;
}

net::awaitable<std::optional<protocol::consumer_group_describe_response>>
serve_consumer_group_describe(request_context& ctx,
                              const protocol::consumer_group_describe_request& request) {
  protocol::consumer_group_describe_response response;
  request_authz authz(ctx);
  for (const auto& id : request.group_ids) {
    auto& out = response.groups.emplace_back();
    out.group_id = id;
    if (auto refusal = group_request_refusal(ctx, id, acl_operation::describe);
        refusal != error_code::none) {
      out.error_code = refusal;
      continue;
    }
    auto task = ctx.services.groups->describe_consumer_group(id);
    coord::described_consumer_group d = co_await std::move(task);
    out.error_code = d.error;
    if (!d.message.empty()) out.error_message = d.message;
    if (d.error != error_code::none) continue;
    out.group_state = d.state;
    out.group_epoch = d.group_epoch;
    out.assignment_epoch = d.assignment_epoch;
    out.assignor_name = d.assignor;
    if (request.include_authorized_operations) {
      out.authorized_operations = group_operations(authz, id);
    }
    for (const auto& m : d.members) {
      auto& om = out.members.emplace_back();
      om.member_id = m.id;
      om.instance_id = m.instance_id;
      om.rack_id = m.rack_id;
      om.member_epoch = m.epoch;
      om.client_id = m.client_id;
      om.client_host = m.client_host;
      om.subscribed_topic_names = m.subscribed_topic_names;
      om.subscribed_topic_regex = m.subscribed_topic_regex;
      om.assignment = described(m.assigned, d.topic_names);
      auto t = d.targets.find(m.id);
      if (t != d.targets.end()) om.target_assignment = described(t->second, d.topic_names);
      om.member_type = 1;  // consumer (no classic members join consumer groups here)
    }
  }
  co_return response;
}

}  // namespace vltava::kafka
