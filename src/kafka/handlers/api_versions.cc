#include "kafka/handlers/api_versions.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::api_versions_response>> serve_api_versions(
    request_context& ctx, const protocol::api_versions_request&) {
  // Per listener, as Kafka's ApiVersionManager: a controller listener advertises the
  // controller's APIs, a broker listener the broker's (server/listener_apis.h).
  const api_scope scope = ctx.services.listeners.scope_of(ctx.connection.listener);
  protocol::api_versions_response response;
  response.error_code = protocol::error_code::none;
  for (const auto& h : all_handlers()) {
    if (!served_in(h.key, scope)) continue;
    protocol::api_versions_response::api_version v;
    v.api_key = h.key;
    v.min_version = h.min_version;
    v.max_version = h.max_version;
    response.api_keys.push_back(v);
  }
  co_return response;
}

}  // namespace vltava::kafka
