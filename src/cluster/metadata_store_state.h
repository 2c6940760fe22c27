#pragma once

// metadata_store's shard-0 state, shared by its translation units (metadata_store.cc: topics,
// configs, the quorum; metadata_store_brokers.cc: the brokers' lifecycle). Not for other users.

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>

#include "cluster/metadata_store.h"
#include "quorum/io/quorum_state_file.h"
#include "quorum/io/storage_log.h"
#include "quorum/service/quorum_service.h"
#include "quorum/service/storage_disk.h"

namespace vltava::cluster {

// A quorum of one never calls its peers; a transport that is never used.
class no_peers final : public quorum::quorum_transport {
 public:
  net::awaitable<result<quorum::message, std::string>> call(model::node_id,
                                                            quorum::message) override {
    co_return fail(std::string("a quorum of one has no peers"));
  }
};

struct metadata_store::state {
  storage::file_io& io;
  std::unique_ptr<quorum::storage_log> log;
  std::unique_ptr<quorum::quorum_state_file> election_file;
  std::unique_ptr<quorum::storage_disk> disk;
  no_peers alone;
  std::unique_ptr<quorum::quorum_service> quorum;
  // What the quorum committed, applied in log order: the image every shard reads.
  metadata_image committed;
  topic_id_index committed_ids;
  // Shard 0's working image while this node is the active controller: everything committed
  // plus its own appends not committed yet. Validation runs against it, so a mutation sees
  // the ones appended before it. Reset to `committed` when an append fails.
  metadata_image working;
  topic_id_index ids;
  // The quorum epoch `working` was last rebuilt in (a new leader first catches up).
  std::optional<model::leader_epoch> working_epoch;
  bool closed = false;
  // Set once the image holds everything the log had at start (start_and_catch_up).
  std::future<result<void, quorum::errc>> caught_up;
  // This node's current producer id block: ids in [next, end) are free to hand out.
  int64_t producer_ids_next = 0;
  int64_t producer_ids_end = 0;
  // The active controller's broker sessions: when each broker last heartbeat, and since when
  // this node has been the active controller (every session counts from then at least).
  std::chrono::milliseconds session_timeout{9'000};
  std::map<model::node_id, std::chrono::steady_clock::time_point> last_contact;
  std::chrono::steady_clock::time_point sessions_since;
  std::unique_ptr<asio::steady_timer> session_timer;
  bool session_loop_running = false;
  // auto.leader.rebalance.enable, leader.imbalance.check.interval.seconds (the session loop
  // looks at it), when the next check is due.
  bool auto_leader_rebalance = true;
  std::chrono::milliseconds leader_imbalance_interval{300'000};
  std::chrono::steady_clock::time_point next_rebalance;
  // Snapshots: the triggers (from the broker config), the bytes of batches applied since the
  // last one, when it was written, and the newest applied record's timestamp.
  int64_t snapshot_bytes_max = 0;
  std::chrono::milliseconds snapshot_interval{0};
  int64_t retention_bytes = -1;
  int64_t retention_ms = -1;
  int64_t bytes_since_snapshot = 0;
  std::chrono::steady_clock::time_point last_snapshot;
  int64_t last_record_ms = -1;
  // Bootstrap metadata (bootstrap_metadata.h): the records of `vltava storage format`, written
  // by the first active controller of a log that holds no metadata record yet.
  std::vector<metadata_record> bootstrap;
  bool log_has_records = false;  // a metadata batch or a snapshot was applied

  explicit state(storage::file_io& i) : io(i) {}
};

}  // namespace vltava::cluster
