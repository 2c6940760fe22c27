#pragma once

// DescribeProducers (API 61), version 0 (KIP-664): per partition, the producers its state
// remembers (id, epoch, last sequence, last timestamp, coordinator epoch of the last marker,
// first offset of the ongoing transaction), as kafka-transactions.sh describe-producers shows.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/describe_producers.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_producers_response>> serve_describe_producers(
    request_context& ctx, const protocol::describe_producers_request& request);

}  // namespace vltava::kafka
