#include "kafka/handlers/broker_lifecycle_apis.h"

#include "cluster/metadata_store.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::broker_registration_response>> serve_broker_registration(
    request_context& ctx, const protocol::broker_registration_request& request) {
  cluster::broker_registration_request req;
  req.id = request.broker_id;
  req.cluster_id = request.cluster_id;
  req.incarnation_id = request.incarnation_id;
  for (const auto& l : request.listeners) {
    req.endpoints.push_back({l.name, l.host, l.port, l.security_protocol});
  }
  req.rack = request.rack;
  auto r = co_await ctx.services.metadata.register_broker(std::move(req));
  protocol::broker_registration_response out;
  out.error_code = r.error;
  out.broker_epoch = r.ok() ? r.broker_epoch : -1;
  co_return out;
}

net::awaitable<std::optional<protocol::broker_heartbeat_response>> serve_broker_heartbeat(
    request_context& ctx, const protocol::broker_heartbeat_request& request) {
  cluster::broker_heartbeat_request req;
  req.id = request.broker_id;
  req.broker_epoch = request.broker_epoch;
  req.metadata_offset = request.current_metadata_offset;
  req.want_fence = request.want_fence;
  req.want_shut_down = request.want_shut_down;
  auto r = co_await ctx.services.metadata.broker_heartbeat(req);
  protocol::broker_heartbeat_response out;
  out.error_code = r.error;
  out.is_caught_up = r.caught_up;
  out.is_fenced = r.fenced;
  out.should_shut_down = r.shut_down;
  co_return out;
}

net::awaitable<std::optional<protocol::unregister_broker_response>> serve_unregister_broker(
    request_context& ctx, const protocol::unregister_broker_request& request) {
  auto r = co_await ctx.services.metadata.unregister_broker(request.broker_id);
  protocol::unregister_broker_response out;
  out.error_code = r.error;
  out.error_message = r.message;
  co_return out;
}

net::awaitable<std::optional<protocol::allocate_producer_ids_response>> serve_allocate_producer_ids(
    request_context& ctx, const protocol::allocate_producer_ids_request& request) {
  auto r = co_await ctx.services.metadata.allocate_producer_id_block(request.broker_id,
                                                                     request.broker_epoch);
  protocol::allocate_producer_ids_response out;
  out.error_code = r.error;
  out.producer_id_start = r.ok() ? r.first : -1;
  out.producer_id_len = r.ok() ? r.length : 0;
  co_return out;
}

namespace {

cluster::alter_partition_request to_store(const protocol::alter_partition_request& request,
                                          int16_t version) {
  cluster::alter_partition_request req;
  req.broker = request.broker_id;
  req.broker_epoch = request.broker_epoch;
  req.version = version;
  for (const auto& t : request.topics) {
    for (const auto& p : t.partitions) {
      cluster::alter_partition_item item;
      item.topic_id = t.topic_id;
      item.topic_name = t.topic_name;
      item.partition = p.partition_index();
      item.leader_epoch = p.leader_epoch;
      item.partition_epoch = p.partition_epoch;
      if (version >= 3) {
        for (const auto& b : p.new_isr_with_epochs) {
          item.new_isr.push_back({b.broker_id, b.broker_epoch});
        }
      } else {
        for (int32_t id : p.new_isr) item.new_isr.push_back({model::node_id(id), -1});
      }
      req.items.push_back(std::move(item));
    }
  }
  return req;
}

}  // namespace

net::awaitable<std::optional<protocol::alter_partition_response>> serve_alter_partition(
    request_context& ctx, const protocol::alter_partition_request& request) {
  const int16_t v = ctx.version();
  auto r = co_await ctx.services.metadata.alter_partition(to_store(request, v));
  protocol::alter_partition_response out;
  out.error_code = r.error;
  if (!r.ok()) co_return out;
  size_t i = 0;
  for (const auto& t : request.topics) {
    auto& rt = out.topics.emplace_back();
    rt.topic_id = t.topic_id;
    rt.topic_name = t.topic_name;
    for (const auto& p : t.partitions) {
      const auto& item = r.items.at(i++);
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      rp.error_code = item.error;
      rp.leader_id = item.state.leader;
      rp.leader_epoch = item.state.leader_epoch;
      for (auto n : item.state.isr) rp.isr.push_back(n());
      rp.partition_epoch = item.state.partition_epoch;
    }
  }
  co_return out;
}

}  // namespace vltava::kafka
