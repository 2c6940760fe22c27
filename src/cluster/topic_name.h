#pragma once

// Topic name rules, as Kafka enforces them (CreateTopics, Metadata auto-creation): 1 to 249
// characters from [a-zA-Z0-9._-], and neither "." nor "..". 249 leaves room for the
// "-<partition>" suffix and the ".deleted"/".swap" suffixes of directory names within 255.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vltava::cluster {

inline constexpr size_t topic_name_max_chars = 249;

// nullopt when `name` is a valid topic name, else why not (for the error message).
std::optional<std::string> invalid_topic_name(std::string_view name);

// Kafka warns that '.' and '_' collide in metric names ("a.b" and "a_b"); returns true when
// both names map to the same metric name.
bool topic_names_collide(std::string_view a, std::string_view b);

// Internal topics start with "__" (__consumer_offsets, __transaction_state); clients may not
// create them by hand.
bool is_internal_topic_name(std::string_view name);

}  // namespace vltava::cluster
