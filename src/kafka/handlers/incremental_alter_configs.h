#pragma once

// IncrementalAlterConfigs (key 44), v0-1: SET, DELETE, APPEND and SUBTRACT (lists only) of
// single keys, for topics and for this broker's dynamic configs, persisted in the metadata log
// (resource "" for the cluster-wide defaults); validate_only checks without changing.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/incremental_alter_configs.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::incremental_alter_configs_response>>
serve_incremental_alter_configs(request_context& ctx,
                                const protocol::incremental_alter_configs_request& request);

}  // namespace vltava::kafka
