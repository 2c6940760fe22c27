#include "kafka/handlers/describe_cluster.h"

#include "cluster/metadata_store.h"
#include "kafka/handlers/metadata.h"

namespace vltava::kafka {

std::vector<protocol::describe_cluster_response::describe_cluster_broker> cluster_brokers(
    const cluster::metadata_image& image, std::string_view listener, bool with_fenced) {
  std::vector<protocol::describe_cluster_response::describe_cluster_broker> out;
  for (const auto& b : image.brokers) {
    if (!b.live() && !with_fenced) continue;
    const cluster::broker_endpoint* e = endpoint_for(b, listener);
    if (!e) continue;
    auto& rb = out.emplace_back();
    rb.broker_id = b.id;
    rb.host = e->host;
    rb.port = e->port;
    rb.rack = b.rack;
    rb.is_fenced = b.fenced;
  }
  return out;
}

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
  // v2 (KIP-1073): the fenced brokers too, when asked.
  response.brokers = cluster_brokers(*image, ctx.connection.listener,
                                     ctx.version() >= 2 && request.include_fenced_brokers);
  if (request.include_cluster_authorized_operations) {
    response.cluster_authorized_operations = cluster_operations_all;
  }
  co_return response;
}

}  // namespace vltava::kafka
