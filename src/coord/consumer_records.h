#pragma once

// The records of KIP-848 consumer groups in __consumer_offsets, in Kafka's layouts (its
// coordinator record types 3-8). Keys start with an int16 version that is the record type and
// are not flexible (int16-length strings); values are flexible version 0 (compact strings and
// arrays, tagged-field sections, unknown tags skipped on read):
//   3 ConsumerGroupMetadata               key (group)          value (epoch)
//   4 ConsumerGroupPartitionMetadata      key (group)          value: read past, never written
//     (Kafka 4.1 stopped writing it too; the topics are looked up in the image on load)
//   5 ConsumerGroupMemberMetadata         key (group, member)  value (instance id, rack id,
//     client id, client host, subscribed topic names, regex, rebalance timeout, assignor)
//   6 ConsumerGroupTargetAssignmentMetadata key (group)        value (assignment epoch)
//   7 ConsumerGroupTargetAssignmentMember key (group, member)  value (topic partitions)
//   8 ConsumerGroupCurrentMemberAssignment key (group, member) value (member epoch, previous
//     epoch, state, assigned partitions, partitions pending revocation)
// A null value (tombstone) deletes what its key names.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "coord/consumer_group.h"

namespace vltava::coord {

enum class consumer_record : int16_t {
  group_metadata = 3,
  partition_metadata = 4,
  member_metadata = 5,
  target_metadata = 6,
  target_member = 7,
  current_assignment = 8,
};

struct consumer_group_key {
  consumer_record type = consumer_record::group_metadata;
  std::string group;
  std::string member;  // types 5, 7, 8 only
  bool operator==(const consumer_group_key&) const = default;
};

struct consumer_member_value {
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  int32_t rebalance_timeout_ms = -1;
  std::optional<std::string> server_assignor;
  bool operator==(const consumer_member_value&) const = default;
};

struct consumer_assignment_value {
  int32_t member_epoch = 0;
  int32_t previous_member_epoch = -1;
  int8_t state = 0;  // Kafka's MemberState: 0 stable, 1 unrevoked, 2 unreleased partitions
  topic_partitions assigned;
  topic_partitions pending_revocation;
  bool operator==(const consumer_assignment_value&) const = default;
};

// Keys of the types above (the member for 5, 7, 8).
std::vector<std::byte> encode_key(const consumer_group_key& k);
// Values: 3 and 6 carry one int32 (the group or the assignment epoch).
std::vector<std::byte> encode_epoch_value(int32_t epoch);
std::vector<std::byte> encode_value(const consumer_member_value& v);
std::vector<std::byte> encode_target_value(const topic_partitions& v);
std::vector<std::byte> encode_value(const consumer_assignment_value& v);

// `version` is the key's first int16 (3-8), `bytes` what follows it.
result<consumer_group_key, std::string> decode_consumer_key(int16_t version,
                                                            std::span<const std::byte> bytes);
result<int32_t, std::string> decode_epoch_value(std::span<const std::byte> bytes);
result<consumer_member_value, std::string> decode_member_value(std::span<const std::byte> bytes);
result<topic_partitions, std::string> decode_target_value(std::span<const std::byte> bytes);
result<consumer_assignment_value, std::string> decode_assignment_value(
    std::span<const std::byte> bytes);

// Between the group's state and the records.
consumer_member_value to_record(const consumer_member& m);
consumer_assignment_value to_assignment_record(const consumer_member& m);
consumer_member from_records(const std::string& member_id, const consumer_member_value& meta,
                             const consumer_assignment_value* assignment);

}  // namespace vltava::coord
