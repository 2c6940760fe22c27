#pragma once

// A partition's leader epochs and where each starts in its log (Kafka's LeaderEpochFileCache):
// the leader answers a follower's LastFetchedEpoch from it (DivergingEpoch, KIP-595/KIP-320),
// a follower finds from it where its log diverged from the leader's (KIP-101, KIP-279).
// In memory, rebuilt from the batches' partitionLeaderEpoch when the log opens.
// Deterministic, no I/O: unit-tested in epoch_cache_test.cc.

#include <cstdint>
#include <optional>
#include <vector>

#include "model/fundamental.h"

namespace vltava::cluster {

struct epoch_entry {
  model::leader_epoch epoch;
  model::offset start;  // the first offset written in this epoch
  bool operator==(const epoch_entry&) const = default;
};

// Kafka's endOffsetFor answer: the largest epoch <= the one asked for, and the offset where
// the next epoch starts (the log end for the latest). -1/-1 when the asked epoch is older than
// every epoch known.
struct epoch_end {
  model::leader_epoch epoch{-1};
  model::offset end_offset{-1};
  bool undefined() const { return epoch < model::leader_epoch(0); }
  bool operator==(const epoch_end&) const = default;
};

class epoch_cache {
 public:
  // A batch of `epoch` starts at `start`: a new entry when the epoch is newer than the latest.
  // An older epoch (a batch written by an older leader, kept by this log) changes nothing.
  void assign(model::leader_epoch epoch, model::offset start);
  // The log lost every offset >= `end` (truncation): entries starting there go.
  void truncate_from(model::offset end);
  // The log's start moved (retention): the entry covering `start` now starts there.
  void truncate_before(model::offset start);
  void clear() { _entries.clear(); }

  epoch_end end_offset_for(model::leader_epoch epoch, model::offset log_end) const;
  // The latest epoch (-1 when empty): a follower's LastFetchedEpoch.
  model::leader_epoch latest() const {
    return _entries.empty() ? model::leader_epoch(-1) : _entries.back().epoch;
  }
  // Where `epoch` starts, when it is known.
  std::optional<model::offset> start_of(model::leader_epoch epoch) const;
  const std::vector<epoch_entry>& entries() const { return _entries; }

 private:
  std::vector<epoch_entry> _entries;  // increasing epochs, increasing starts
};

}  // namespace vltava::cluster
