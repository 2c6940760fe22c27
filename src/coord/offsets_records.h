#pragma once

// The records the group coordinator writes to __consumer_offsets, in Kafka's own layouts so
// that Kafka's tools can read our partitions and ours can read theirs
// (docs/formats/consumer-offsets.md):
//   offset commit:   key v1 (group, topic, partition), value v3 (offset, leader epoch,
//                    metadata, commit timestamp); a null value deletes the offset.
//   group metadata:  key v2 (group), value v3 (protocol type, generation, protocol, leader,
//                    state timestamp, members with subscription and assignment); a null value
//                    deletes the group.
// Keys and values start with an int16 version; strings are int16-length UTF-8, bytes and
// arrays int32-length, all big-endian (the protocol's non-flexible encoding).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "coord/consumer_records.h"

namespace vltava::coord {

inline constexpr int16_t offset_key_version = 1;  // 0 and 1 share the layout
inline constexpr int16_t group_key_version = 2;
inline constexpr int16_t offset_value_version = 3;  // the newest non-flexible version
inline constexpr int16_t group_value_version = 3;

struct offset_key {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  bool operator==(const offset_key&) const = default;
};

struct group_key {
  std::string group;
  bool operator==(const group_key&) const = default;
};

struct offset_value {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
  int64_t expire_timestamp_ms = -1;  // read from v1 values only; never written
  bool operator==(const offset_value&) const = default;
};

struct member_value {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = -1;
  int32_t session_timeout_ms = 0;
  std::vector<std::byte> subscription;
  std::vector<std::byte> assignment;
  bool operator==(const member_value&) const = default;
};

struct group_value {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp_ms = -1;
  std::vector<member_value> members;
  bool operator==(const group_value&) const = default;
};

// Classic keys, or a KIP-848 consumer group key (versions 3-8, consumer_records.h).
using record_key = std::variant<offset_key, group_key, consumer_group_key>;

std::vector<std::byte> encode_key(const offset_key& k);
std::vector<std::byte> encode_key(const group_key& k);
std::vector<std::byte> encode_value(const offset_value& v);
std::vector<std::byte> encode_value(const group_value& v);

// Decoders accept every version Kafka defines up to the flexible ones (offset value v0-3,
// group value v0-3); anything else, or bytes left over, is an error with a reason.
result<record_key, std::string> decode_key(std::span<const std::byte> bytes);
result<offset_value, std::string> decode_offset_value(std::span<const std::byte> bytes);
result<group_value, std::string> decode_group_value(std::span<const std::byte> bytes);

}  // namespace vltava::coord
