#include "kafka/handlers/describe_cluster.h"

#include "cluster/metadata_store.h"
#include "config/broker_configs.h"
#include "config/kraft_config.h"
#include "kafka/handlers/metadata.h"

namespace vltava::kafka {

namespace {

constexpr int8_t endpoint_brokers = 1;
constexpr int8_t endpoint_controllers = 2;

const char* endpoint_name(int8_t type) {
  return type == endpoint_controllers ? "CONTROLLER" : "BROKER";
}

// KIP-919: a controller listener describes the controllers (the voters of the static quorum,
// at their controller.quorum.voters addresses, which are their controller listeners) and
// names the active controller.
std::vector<protocol::describe_cluster_response::describe_cluster_broker> quorum_controllers(
    const config::config_set& cfg) {
  std::vector<protocol::describe_cluster_response::describe_cluster_broker> out;
  for (const auto& text : cfg.get(config::broker_keys::controller_quorum_voters)) {
    auto v = config::parse_voter(text);
    if (!v) continue;  // checked at start-up
    auto& rb = out.emplace_back();
    rb.broker_id = v->id;
    rb.host = v->address.host;
    rb.port = v->address.port;
    rb.rack = std::nullopt;
    rb.is_fenced = false;
  }
  return out;
}

bool on_controller_listener(const request_context& ctx) {
  const auto names = ctx.services.broker_config.get(config::broker_keys::controller_listener_names);
  return !names.empty() && ctx.connection.listener == names.front();
}

}  // namespace

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
  // Brokers answer for brokers, controllers (on their controller listener) for controllers.
  const int8_t served = on_controller_listener(ctx) ? endpoint_controllers : endpoint_brokers;
  if (type != served) {
    response.error_code = protocol::error_code::unsupported_endpoint_type;
    response.error_message = std::string("The request was sent to an endpoint of type ") +
                             endpoint_name(served) + ", but it asks for an endpoint of type " +
                             endpoint_name(type);
    co_return response;
  }
  response.endpoint_type = type;
  response.cluster_id = image->cluster_id;
  if (served == endpoint_controllers) {
    response.controller_id = image->controller_id();
    response.brokers = quorum_controllers(ctx.services.broker_config);
    co_return response;
  }
  response.controller_id = image->controller_for_clients()();
  // v2 (KIP-1073): the fenced brokers too, when asked.
  response.brokers = cluster_brokers(*image, ctx.connection.listener,
                                     ctx.version() >= 2 && request.include_fenced_brokers);
  if (request.include_cluster_authorized_operations) {
    response.cluster_authorized_operations = cluster_operations_all;
  }
  co_return response;
}

}  // namespace vltava::kafka
