#pragma once

// KIP-848's server-side assignors: the group coordinator computes each member's target
// partitions whenever the group epoch moves (a member joins, leaves or changes its subscription,
// a subscribed topic gains partitions). Pure functions of the members' subscriptions, the
// topics' partition counts and the previous target (for stickiness).
//   uniform (the default, Kafka's UniformAssignor): every partition of the subscribed topics to
//     one subscribed member, loads differing by at most one when subscriptions are the same;
//     a partition stays with its previous target owner while that owner is under its share.
//   range (Kafka's RangeAssignor): per topic, the subscribed members in member id order take
//     contiguous ranges, the first ones one partition more.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/wire.h"

namespace vltava::coord {

struct uuid_less {
  bool operator()(const protocol::uuid& a, const protocol::uuid& b) const {
    return a.bytes < b.bytes;
  }
};

// Partitions by topic id (a member's assignment, current or target).
using topic_partitions = std::map<protocol::uuid, std::set<int32_t>, uuid_less>;

inline constexpr std::string_view uniform_assignor = "uniform";
inline constexpr std::string_view range_assignor = "range";

struct assignor_member {
  std::set<protocol::uuid, uuid_less> topics;  // subscribed topics that exist
};

struct assignor_input {
  std::map<std::string, assignor_member> members;                 // by member id
  std::map<protocol::uuid, int32_t, uuid_less> partition_counts;  // subscribed topics
  std::map<std::string, topic_partitions> previous;               // the previous target
};

// The target assignment by member id (every member of the input has an entry).
using target_assignment = std::map<std::string, topic_partitions>;

bool is_known_assignor(std::string_view name);
target_assignment assign_uniform(const assignor_input& in);
target_assignment assign_range(const assignor_input& in);
// `name` must be known (is_known_assignor).
target_assignment assign(std::string_view name, const assignor_input& in);

size_t partition_count(const topic_partitions& tp);
// a minus b, a intersect b.
topic_partitions minus(const topic_partitions& a, const topic_partitions& b);
topic_partitions intersect(const topic_partitions& a, const topic_partitions& b);

}  // namespace vltava::coord
