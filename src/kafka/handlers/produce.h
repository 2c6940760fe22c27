#pragma once

// Produce (API 0), versions 3-13: validates each partition's record batches, appends them on
// the partition's shard and answers per acks (0: no response, 1: written, -1: durable).

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/produce.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::produce_response>> serve_produce(
    request_context& ctx, const protocol::produce_request& request);

}  // namespace vltava::kafka
