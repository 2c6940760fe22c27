#pragma once

// CreateTopics (key 19), v0-7: per topic, Kafka's checks (name, duplicates in the request,
// existence, counts, manual assignments, configs) and creation in one durable metadata batch;
// validate_only (v1+) checks without creating. From v5 the result carries the partition
// count, replication factor and every config with its source; from v7 the topic id.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/create_topics.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::create_topics_response>> serve_create_topics(
    request_context& ctx, const protocol::create_topics_request& request);

}  // namespace vltava::kafka
