#pragma once

// AlterConfigs (key 33), v0-2, the legacy API: the given configs become the resource's whole
// override set (keys not given are removed), for topics and for this broker's dynamic configs
// (resource "" for the cluster-wide defaults); validate_only checks without changing.

#include <optional>

#include "kafka/handler.h"
#include "protocol/generated/alter_configs.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::alter_configs_response>> serve_alter_configs(
    request_context& ctx, const protocol::alter_configs_request& request);

}  // namespace vltava::kafka
