#pragma once

// DeleteRecords (API 21), versions 0-2: moves a partition's log start (whole segments below
// it are deleted); -1 means the high watermark; beyond it is OFFSET_OUT_OF_RANGE.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/delete_records.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::delete_records_response>> serve_delete_records(
    request_context& ctx, const protocol::delete_records_request& request);

}  // namespace vltava::kafka
