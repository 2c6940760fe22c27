#include "kafka/handlers/api_versions.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::api_versions_response>> serve_api_versions(
    request_context&, const protocol::api_versions_request&) {
  protocol::api_versions_response response;
  response.error_code = protocol::error_code::none;
  for (const auto& h : all_handlers()) {
    protocol::api_versions_response::api_version v;
    v.api_key = h.key;
    v.min_version = h.min_version;
    v.max_version = h.max_version;
    response.api_keys.push_back(v);
  }
  co_return response;
}

}  // namespace vltava::kafka
