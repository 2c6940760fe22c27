#include "kafka/handlers/describe_cluster.h"

#include "cluster/metadata_store.h"
#include "kafka/handlers/metadata.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_cluster_response>> serve_describe_cluster(
    request_context& ctx, const protocol::describe_cluster_request& request) {
  cluster::image_ptr image = ctx.services.metadata.image();
  protocol::describe_cluster_response response;
  response.error_code = protocol::error_code::none;
  response.error_message = std::nullopt;
  int8_t type = ctx.version() >= 1 ? request.endpoint_type : 1;
  if (type != 1 && type != 2) {
    response.error_code = protocol::error_code::unsupported_endpoint_type;
    response.error_message = "Unsupported endpoint type " + std::to_string(type);
    co_return response;
  }
  response.endpoint_type = type;
  response.cluster_id = image->cluster_id;
  response.controller_id = image->controller_id();
  for (const auto& b : image->brokers) {
    const cluster::broker_endpoint* e = endpoint_for(b, ctx.connection.listener);
    if (!e) continue;
    protocol::describe_cluster_response::describe_cluster_broker out;
    out.broker_id = b.id;
    out.host = e->host;
    out.port = e->port;
    out.rack = b.rack;
    out.is_fenced = false;
    response.brokers.push_back(std::move(out));
  }
  if (request.include_cluster_authorized_operations) {
    response.cluster_authorized_operations = cluster_operations_all;
  }
  co_return response;
}

}  // namespace vltava::kafka
