#pragma once

// DescribeLogDirs (API 35), versions 0-4: the node's one data directory, with each hosted
// partition's size (offset lag 0: no future replicas), and the file system's total and usable
// bytes (v4).

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/describe_log_dirs.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_log_dirs_response>> serve_describe_log_dirs(
    request_context& ctx, const protocol::describe_log_dirs_request& request);

}  // namespace vltava::kafka
