#pragma once

// DeleteTopics (key 20), v0-6: deletes topics by name, and from v6 by name or topic id, each
// with its own error (UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, TOPIC_DELETION_DISABLED).
// The deletions of one request are one durable metadata batch.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/delete_topics.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::delete_topics_response>> serve_delete_topics(
    request_context& ctx, const protocol::delete_topics_request& request);

}  // namespace vltava::kafka
