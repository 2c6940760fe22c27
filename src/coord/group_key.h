#pragma once

// Which partition of a coordinator's topic coordinates a key (a group id in __consumer_offsets,
// a transactional id in __transaction_state): abs(hashCode(key)) % count, with Java's
// String.hashCode over UTF-16 code units and Kafka's Utils.abs (MIN_VALUE maps to 0), so every
// client and tool that computes it the Kafka way agrees with the broker.

#include <cstdint>
#include <string_view>

#include "model/fundamental.h"

namespace vltava::coord {

inline constexpr std::string_view offsets_topic = "__consumer_offsets";

// Java's String.hashCode of the string the UTF-8 bytes `s` decode to. Invalid UTF-8 bytes count
// as U+FFFD, as Java's decoder replaces them.
int32_t java_string_hashcode(std::string_view s);

// abs(java_string_hashcode(key)) % partition_count (Kafka's Utils.abs semantics).
model::partition_id partition_for_key(std::string_view key, int32_t partition_count);

}  // namespace vltava::coord
