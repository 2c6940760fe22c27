#pragma once

// InitProducerId (API 22), versions 0-5. For idempotent producers (no transactional.id): a
// producer id never used before (from a durable block, metadata_store::allocate_producer_id),
// epoch 0.
//
// - An idempotent producer that already has an id and asks again (v3+, KIP-360: after
//   UNKNOWN_PRODUCER_ID or a sequence it cannot recover) gets a fresh id at epoch 0, as Kafka's
//   coordinator answers every request without a transactional id: a new id can never collide
//   with batches of the old one, whereas a bumped epoch would need the old id's state.
// - producer_id and producer_epoch must be both -1 or both set (INVALID_REQUEST), as in Kafka.
// - With a transactional.id: the transaction coordinator (coord/txn_coordinator.h) bumps the
//   epoch (fencing an older instance, aborting its open transaction) or hands out a first id;
//   PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH for v0-3, as Kafka maps it.
// - v6 (two-phase commit, KIP-939) is not offered.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/init_producer_id.h"

namespace vltava::kafka {

inline constexpr int16_t init_producer_id_max_version = 5;

net::awaitable<std::optional<protocol::init_producer_id_response>> serve_init_producer_id(
    request_context& ctx, const protocol::init_producer_id_request& request);

}  // namespace vltava::kafka
