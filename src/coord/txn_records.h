#pragma once

// The records the transaction coordinator writes to __transaction_state, in Kafka's own layouts
// (docs/formats/transaction-state.md) so that Kafka's tools read our partitions and ours read
// theirs:
//   key   v0: transactional id (int16-length string)
//   value v0: producer id, producer epoch, timeout, status (int8), partitions (nullable array of
//             topic + int32 ids), last update timestamp, start timestamp
// We write value v0 (non-flexible, readable by every Kafka since 0.11); we read v0 and v1 (v1
// is flexible and adds tagged fields for KIP-890's transaction version 2, which we skip).
// A null value (tombstone) deletes the transactional id (transactional.id.expiration.ms).

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/topic_partition.h"

namespace vltava::coord {

inline constexpr std::string_view transaction_topic = "__transaction_state";
inline constexpr int16_t txn_key_version = 0;
inline constexpr int16_t txn_value_version = 0;

// Kafka's TransactionState ids (TransactionMetadata.scala). prepare_epoch_fence is a pending
// state only: it is never written (the fence writes PrepareAbort with the bumped epoch).
enum class txn_status : int8_t {
  empty = 0,
  ongoing = 1,
  prepare_commit = 2,
  prepare_abort = 3,
  complete_commit = 4,
  complete_abort = 5,
  dead = 6,
  prepare_epoch_fence = 7,
};

// The names DescribeTransactions and ListTransactions use ("Ongoing", "CompleteCommit", ...).
std::string_view txn_status_name(txn_status s);

struct txn_value {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t timeout_ms = 0;
  txn_status status = txn_status::empty;
  std::set<model::topic_partition> partitions;
  int64_t last_update_ms = -1;
  int64_t start_ms = -1;
  bool operator==(const txn_value&) const = default;
};

std::vector<std::byte> encode_txn_key(std::string_view transactional_id);
std::vector<std::byte> encode_txn_value(const txn_value& v);

// Bounded decoders: versions other than key v0 and value v0-1, unknown statuses, truncation and
// trailing bytes are errors with a reason.
result<std::string, std::string> decode_txn_key(std::span<const std::byte> bytes);
result<txn_value, std::string> decode_txn_value(std::span<const std::byte> bytes);

}  // namespace vltava::coord
