#pragma once

// DescribeTopicPartitions (key 75), v0: the partitions of all or of the named topics in name
// order, at most response_partition_limit partitions per response (capped at Kafka's
// max.request.partition.size.limit default, 2000), resuming from the request's cursor and
// returning next_cursor when more remain.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/describe_topic_partitions.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_topic_partitions_response>>
serve_describe_topic_partitions(request_context& ctx,
                                const protocol::describe_topic_partitions_request& request);

}  // namespace vltava::kafka
