#pragma once

// Which __consumer_offsets partition coordinates a group: abs(hashCode(group id)) % count, with
// Java's String.hashCode over UTF-16 code units and Kafka's Utils.abs (MIN_VALUE maps to 0),
// so every client and tool that computes it the Kafka way agrees with the broker.

#include <cstdint>
#include <string_view>

namespace vltava::coord {

inline constexpr std::string_view offsets_topic = "__consumer_offsets";

// Java's String.hashCode of the string the UTF-8 bytes `s` decode to. Invalid UTF-8 bytes count
// as U+FFFD, as Java's decoder replaces them.
int32_t java_string_hashcode(std::string_view s);

// abs(java_string_hashcode(group_id)) % partition_count (Kafka's Utils.abs semantics).
int32_t partition_for_group(std::string_view group_id, int32_t partition_count);

}  // namespace vltava::coord
