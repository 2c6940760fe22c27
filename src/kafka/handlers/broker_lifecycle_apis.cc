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

}  // namespace vltava::kafka
