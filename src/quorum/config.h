#pragma once

// What a quorum node is configured with. The timeouts carry Kafka's config names; their
// defaults live in the config table only (config/broker_config_table.h), and
// quorum_config_from (config_from.h) reads them, so this struct repeats none of them. The voter
// set is a value (KIP-853 will change it at run time), never assumed elsewhere.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/fundamental.h"

namespace vltava::quorum {

using std::chrono::milliseconds;

struct quorum_config {
  std::string cluster_id;
  std::vector<model::node_id> voters;
  // controller.quorum.election.timeout.ms: an election starts after a random time in [t, 2t).
  milliseconds election_timeout;
  // controller.quorum.fetch.timeout.ms: a follower that hears nothing from its leader this long
  // starts an election; a leader that no majority fetched from this long resigns.
  milliseconds fetch_timeout;
  // controller.quorum.request.timeout.ms: an unanswered request is given up and resent.
  milliseconds request_timeout;
  // controller.quorum.retry.backoff.ms: the step between successors' elections after
  // EndQuorumEpoch.
  milliseconds retry_backoff;
  // Not configs (Kafka's KRaft client hard-codes its own): how long a leader holds a fetch that
  // has nothing new (KRaft's fetch max wait), and the most entries one fetch response carries.
  milliseconds fetch_max_wait{500};
  std::size_t fetch_max_entries = 64;
  // The most snapshot bytes one FetchSnapshot response carries (Kafka's KRaft client asks for
  // 8 MiB chunks).
  uint32_t fetch_snapshot_max_bytes = 8 << 20;
};

}  // namespace vltava::quorum
