#pragma once

// The metadata image as the records of a KRaft snapshot (docs/formats/metadata-snapshot.md):
// the same metadata records the log carries, in an order apply_record accepts from an empty
// image, so loading a snapshot is replaying it through the one apply path. What the records
// cannot carry is not in a snapshot: the active controller (the quorum's leader, learnt from
// the quorum) and the image's version counter.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cluster/metadata_image.h"
#include "cluster/metadata_records.h"

namespace vltava::cluster {

// Records per snapshot batch (Kafka's snapshot writer batches by size; a bound keeps each
// batch far below metadata_batch_bytes_max).
inline constexpr std::size_t snapshot_records_per_batch = 1000;

// Brokers (registration, then controlled shutdown when set), dynamic broker configs, topics
// (topic record, its config overrides, its partitions with their current replicas, ISR,
// leader and epochs), the producer id block.
std::vector<metadata_record> image_records(const metadata_image& image);
std::vector<std::vector<std::byte>> image_batches(const metadata_image& image, int64_t now_ms);

struct loaded_image {
  metadata_image image;
  topic_id_index ids;
};
// Replays a snapshot's data batches onto an empty image of `cluster_id`; `end_offset` is the
// snapshot's end offset (the image's offset becomes end_offset - 1).
result<loaded_image, std::string> image_from_batches(
    std::span<const std::vector<std::byte>> batches, const std::string& cluster_id,
    int64_t end_offset);

}  // namespace vltava::cluster
