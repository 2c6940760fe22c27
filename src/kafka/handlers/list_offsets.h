#pragma once

// ListOffsets (API 2), versions 0-10: earliest (-2), latest (-1), max timestamp (-3), earliest
// local (-4, = earliest without tiered storage), earliest pending upload (-5, = latest), and
// the first record at or after a timestamp (exact record inside the batch).

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/list_offsets.h"

namespace vltava::cluster {
class partition;
}

namespace vltava::kafka {

net::awaitable<std::optional<protocol::list_offsets_response>> serve_list_offsets(
    request_context& ctx, const protocol::list_offsets_request& request);

// The answer for one partition: offset and timestamp (-1/-1 when there is none), or an error.
struct offset_answer {
  protocol::error_code error = protocol::error_code::none;
  int64_t offset = -1;
  int64_t timestamp = -1;
};
offset_answer list_offset(cluster::partition& p, int64_t timestamp);

}  // namespace vltava::kafka
