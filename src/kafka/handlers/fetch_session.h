#pragma once

// Fetch sessions (KIP-227): a consumer that fetches many partitions names them once; later
// requests carry only what changed (incremental fetches, forgotten topics) and responses only
// the partitions with news. Sessions live in one bounded cache per broker, shared by every
// shard (one short lock per Fetch), evicting the least recently used session when full.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "model/fundamental.h"
#include "model/topic_partition.h"
#include "protocol/error_code.h"
#include "protocol/wire.h"

namespace vltava::kafka {

// One partition a Fetch asks for (resolved to the topic's name and id).
struct fetch_want {
  model::topic_partition tp;
  protocol::uuid topic_id;
  model::offset fetch_offset;
  int32_t max_bytes = 0;
  // A follower's fetch (Fetch v12+): its leader epoch and the epoch of its last batch.
  model::leader_epoch current_leader_epoch{-1};
  model::leader_epoch last_fetched_epoch{-1};
  // What the session last sent for it (incremental responses skip partitions without news).
  model::offset sent_high_watermark{-1};
  model::offset sent_log_start{-1};
};

// What a Fetch request's session fields mean for this request.
struct session_view {
  protocol::error_code error = protocol::error_code::none;
  int32_t session_id = 0;         // for the response: 0 = sessionless
  bool incremental = false;       // respond only with partitions that have news
  std::vector<fetch_want> wants;  // every partition to fetch, in session (or request) order
};

// What a response told the client about one partition (recorded for incremental sessions).
struct sent_state {
  model::topic_partition tp;
  model::offset high_watermark;
  model::offset log_start;
};

class fetch_session_cache {
 public:
  // Kafka's max.incremental.fetch.session.cache.slots default is 1000.
  explicit fetch_session_cache(size_t max_sessions = 1000,
                               size_t max_partitions_per_session = 100'000)
      : _max_sessions(max_sessions), _max_partitions(max_partitions_per_session) {}

  // Applies the request's session id/epoch, partitions and forgotten partitions.
  session_view begin(int32_t session_id, int32_t epoch, std::vector<fetch_want> requested,
                     const std::vector<model::topic_partition>& forgotten);
  // Records what the response carried, so the next incremental response can skip no news.
  void sent(int32_t session_id, const std::vector<sent_state>& states);

  size_t size() const;

 private:
  using key = model::topic_partition;
  struct session {
    int32_t next_epoch = 1;
    std::map<key, fetch_want> partitions;
    std::vector<key> order;  // insertion order, for stable responses
    std::chrono::steady_clock::time_point last_used;
  };
  int32_t new_id();
  void evict_one();

  size_t _max_sessions;
  size_t _max_partitions;
  mutable std::mutex _mu;
  std::map<int32_t, session> _sessions;
  uint32_t _next_id_seed = 0x5eed;
};

// The broker's one cache (sessions outlive connections; a client may reconnect to any shard).
fetch_session_cache& broker_fetch_sessions();

}  // namespace vltava::kafka
