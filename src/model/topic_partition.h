#pragma once

// A partition named the way clients name it: topic name and partition index (Redpanda's
// model::ntp without the namespace). The one spelling of "topic-partition" in storage, cluster,
// coord and kafka; ordered and hashable so it keys maps and sets.

#include <compare>
#include <cstddef>
#include <functional>
#include <string>

#include "model/fundamental.h"

namespace vltava::model {

struct topic_partition {
  std::string topic;
  partition_id partition{0};

  auto operator<=>(const topic_partition&) const = default;
  bool operator==(const topic_partition&) const = default;

  // "orders-3", as Kafka names the partition's directory and its log lines.
  std::string describe() const { return topic + "-" + std::to_string(partition()); }
};

}  // namespace vltava::model

template <>
struct std::hash<vltava::model::topic_partition> {
  size_t operator()(const vltava::model::topic_partition& tp) const noexcept {
    return std::hash<std::string>{}(tp.topic) * 31 + std::hash<int32_t>{}(tp.partition());
  }
};
