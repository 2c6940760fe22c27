#pragma once

// The record batches coordinators append to their internal topics: keyed records (a null
// value is a tombstone), uncompressed, one timestamp. `options` carries a producer id, epoch
// and the transactional flag when the group coordinator writes a transaction's offsets.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "model/record_batch_builder.h"

namespace vltava::coord {

using record_list =
    std::vector<std::pair<std::vector<std::byte>, std::optional<std::vector<std::byte>>>>;

std::vector<std::byte> build_coordinator_batch(const record_list& records, int64_t now_ms,
                                               model::batch_options options = {});

}  // namespace vltava::coord
