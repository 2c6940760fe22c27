#pragma once

// ApiVersions (key 18): the versions this broker serves, computed from its handlers.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/api_versions.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::api_versions_response>> serve_api_versions(
    request_context& ctx, const protocol::api_versions_request& request);

}  // namespace vltava::kafka
