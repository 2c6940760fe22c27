#pragma once

// The metadata log's batches as quorum entries, and KRaft's LeaderChangeMessage control batch
// in Kafka's layout: a control batch (attributes: control, not transactional), producer id,
// epoch and base sequence -1, one record whose key is the control key (version 0, type 2) and
// whose value is LeaderChangeMessage v0 (src/protocol/schema/leader_change_message.api).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "model/record.h"
#include "model/record_batch_header.h"
#include "quorum/log.h"

namespace vltava::quorum {

struct leader_change {
  model::node_id leader_id;
  std::vector<model::node_id> voters;
  std::vector<model::node_id> granting_voters;

  bool operator==(const leader_change&) const = default;
};

// A control batch of one record: key = control key (version 0, `type`), value = `value`;
// base offset 0 and epoch 0 until a writer stamps them.
std::vector<std::byte> build_control_batch(model::control_record_type type,
                                           std::span<const std::byte> value,
                                           model::timestamp_ms now);
// The value of a whole, valid control batch of `type` (its first record's value).
result<std::vector<std::byte>, std::string> read_control_value(std::span<const std::byte> batch,
                                                               model::control_record_type type);

// The control batch, base offset 0 and epoch 0 until append stamps them.
std::vector<std::byte> build_leader_change_batch(const leader_change& message,
                                                 model::timestamp_ms now);
// Reads a whole, valid LeaderChangeMessage control batch back; the error says what is wrong.
result<leader_change, std::string> read_leader_change(std::span<const std::byte> batch);

// The control record type of a control batch (its first record's key), or nullopt for a data
// batch or a control record that cannot be read.
std::optional<int16_t> control_type(std::span<const std::byte> batch,
                                    const model::record_batch_header& h);

// The entry one stored batch (exactly `batch`, whose header is `h`) stands for.
entry entry_of_batch(std::span<const std::byte> batch, const model::record_batch_header& h);

}  // namespace vltava::quorum
