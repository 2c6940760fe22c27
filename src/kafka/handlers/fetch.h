#pragma once

// Fetch (API 1), versions 4-18: whole batches below the high watermark from each partition's
// shard, long poll (max_wait_ms/min_bytes; parked fetches wake on append), max_bytes and
// partition_max_bytes (the first partition with data always gets one whole batch so consumers
// progress), fetch sessions (fetch_session.h), topic ids (v13+).

#include <optional>
#include <vector>

#include "kafka/handlers/fetch_session.h"
#include "kafka/server/handler.h"
#include "protocol/generated/fetch.h"
#include "security/client_quota.h"
#include "storage/log.h"

namespace vltava::kafka {

// The response and, for each records field's splice_id, the file ranges of its batches.
struct fetch_outcome {
  protocol::fetch_response response;
  std::vector<std::vector<storage::file_range>> ranges;
  // What the response tells the client, recorded in its fetch session once it is sent (a
  // throttled fetch is answered empty and records nothing).
  std::vector<sent_state> sent;
  // The consumer's byte-rate quota, when one applies (server/client_quotas.h).
  std::optional<security::applied_quota> quota;
};

net::awaitable<fetch_outcome> serve_fetch(request_context& ctx,
                                          const protocol::fetch_request& request);

// Header + body with the file ranges inserted at the writer's splice points (sendfile).
net::response encode_fetch_response(const request_context& ctx, const fetch_outcome& outcome);

// The handler_fn registered for Fetch (decode, serve, encode).
net::awaitable<net::handler_result> handle_fetch(request_context& ctx,
                                                 std::span<const std::byte> body);

}  // namespace vltava::kafka
