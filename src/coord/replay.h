#pragma once

// Rebuilding the groups of one __consumer_offsets partition from its records, oldest first:
// the last record per key wins and a null value (tombstone) deletes, as compaction would
// leave it. Pure: the coordinator feeds it the partition's batches.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "coord/group.h"
#include "coord/offsets_records.h"
#include "model/fundamental.h"

namespace vltava::coord {

// A KIP-848 consumer group's records, last per key.
struct replayed_consumer_group {
  std::optional<int32_t> group_epoch;
  std::optional<int32_t> assignment_epoch;
  std::map<std::string, consumer_member_value> members;
  std::map<std::string, topic_partitions> targets;
  std::map<std::string, consumer_assignment_value> current;
};

struct replayed_group {
  std::optional<replayed_consumer_group> consumer;
  std::optional<group_value> metadata;
  std::map<model::topic_partition, offset_value> offsets;
  group::txn_offsets pending;  // offsets of transactions without a marker yet
};

struct replay_state {
  std::map<std::string, replayed_group> groups;
  size_t records = 0;
  size_t skipped = 0;  // records whose key or value did not decode (logged by the caller)
  std::string last_error;
};

// One record (key, value; a null value is a tombstone).
void apply_record(replay_state& st, std::optional<std::span<const std::byte>> key,
                  std::optional<std::span<const std::byte>> value);

// Every record of whole record batches (as read from the log). A transactional batch's offsets
// stay pending under its producer id until that producer's marker (a control batch) commits or
// drops them; other control batches are skipped.
// The offset after the last batch applied, or nullopt when the bytes are not whole valid batches
// (the caller stops there).
std::optional<model::offset> apply_batches(replay_state& st, std::span<const std::byte> batches);

}  // namespace vltava::coord
