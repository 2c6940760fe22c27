#pragma once

// Domain integers of the Kafka model, each its own type (see base/strong_type.h).

#include <cstdint>

#include "base/strong_type.h"

namespace vltava::model {

using offset = named_type<int64_t, struct offset_tag>;
// A partition leader epoch; in Vltava it is also the partition's Raft term.
using leader_epoch = named_type<int32_t, struct leader_epoch_tag>;
using partition_id = named_type<int32_t, struct partition_id_tag>;
using node_id = named_type<int32_t, struct node_id_tag>;
using producer_id = named_type<int64_t, struct producer_id_tag>;
using producer_epoch = named_type<int16_t, struct producer_epoch_tag>;
using sequence = named_type<int32_t, struct sequence_tag>;
using timestamp_ms = named_type<int64_t, struct timestamp_ms_tag>;

}  // namespace vltava::model
