#pragma once

// quorum_service: runs one raft_node on a real executor (shard 0). It is the only place where
// the state machine meets time, the disk and the network: a tick timer drives its deadlines,
// its outputs are executed in order (the election state made durable before any message that
// depends on it), requests to peers go out through a transport and their answers come back
// in, requests from peers (the Kafka handlers of Vote, BeginQuorumEpoch, EndQuorumEpoch and
// Fetch) are answered when the node answers, and the log is flushed whenever it holds more
// than is durable. Callers append on the leader and resume once the entries are committed.
//
// Everything runs on the one executor given at construction; the public calls must be made
// there (the Kafka handlers reach it with net::on_shard).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/asio.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {

// What the service needs from the disk besides the log.
class quorum_disk {
 public:
  virtual ~quorum_disk() = default;
  // Makes the election state durable before returning (Kafka's quorum-state file).
  virtual result<void, std::string> persist(const election_state& state) = 0;
  // Starts making the log durable. `done` runs on the service's executor with the durable end,
  // which must describe the log as it is when `done` runs (never a truncated tail).
  virtual void flush(std::function<void(result<model::offset, std::string>)> done) = 0;
  // The first write, read or fsync of the log that failed: the log's append and truncate
  // cannot return errors to raft_node, so the service asks after every call into it.
  virtual std::optional<std::string> failure() const = 0;
};

// What the service needs from the network: one request to a peer, its answer or an error.
class quorum_transport {
 public:
  virtual ~quorum_transport() = default;
  virtual net::awaitable<result<message, std::string>> call(model::node_id to, message request) = 0;
};

// Entries committed, in log order, for the metadata image (every node applies the same).
using committed_fn = std::function<void(const std::vector<entry>&)>;
// A snapshot fetched from the leader replaced the log: load it in place of everything applied.
using snapshot_fn = std::function<void(snapshot_id)>;

class quorum_service {
 public:
  quorum_service(asio::any_io_executor ex, quorum_config config, model::node_id self, log& log,
                 quorum_disk& disk, quorum_transport& transport, election_state durable,
                 committed_fn on_committed);
  ~quorum_service();
  quorum_service(const quorum_service&) = delete;
  quorum_service& operator=(const quorum_service&) = delete;

  // Set before start().
  void set_snapshot_loader(snapshot_fn fn) { _on_snapshot = std::move(fn); }
  // Starts the tick loop.
  void start();
  // A leader resigns (EndQuorumEpoch, so a successor is elected at once); then the loop ends
  // and every waiter is answered. Resumes once nothing of the service runs any more.
  net::awaitable<void> stop();

  // A request from peer `from`; resumes with the node's answer (a held Fetch answers when
  // there is news or its wait ends), or an error when the service stops first.
  net::awaitable<result<message, errc>> handle_request(model::node_id from, message request);

  // On the leader: appends the batches and resumes once they are committed (below the high
  // watermark), with the offset of the last record. NOT_LEADER_OR_FOLLOWER when this node is
  // not the leader or loses leadership before the entries commit (they may still commit).
  net::awaitable<result<model::offset, errc>> append(std::vector<batch> batches);

  // Resumes once everything the log held at the call is committed: on a follower, the
  // metadata it serves is then at least as new as the log it had (Kafka's "caught up").
  net::awaitable<result<void, errc>> wait_committed(model::offset end);

  const raft_node& node() const { return _node; }
  // The log or the election state could not be written: this node left the quorum.
  bool failed() const { return _failed; }
  quorum_description describe() const { return _node.describe(); }

 private:
  struct waiter;
  using waiter_ptr = std::shared_ptr<waiter>;

  std::chrono::milliseconds now() const;
  net::awaitable<void> tick_loop();
  net::awaitable<void> call_peer(model::node_id to, message request);
  // Executes the node's outputs, hands out committed entries, wakes waiters, flushes.
  void drain();
  void execute(const send_message& s);
  void flush_if_needed();
  void wake_commit_waits();
  void fail_everyone(errc e);

  asio::any_io_executor _ex;
  log& _log;
  quorum_disk& _disk;
  quorum_transport& _transport;
  committed_fn _on_committed;
  snapshot_fn _on_snapshot;
  raft_node _node;
  std::pair<role, model::leader_epoch> _last_role_and_epoch;
  bool _running = false;
  bool _flushing = false;
  bool _failed = false;  // persisting the election state failed: the node stops answering
  int _tasks = 0;        // coroutines of this service still running (stop waits for them)
  std::unique_ptr<asio::steady_timer> _ticker;
  // Peers' requests waiting for the node's answer, by (peer, correlation id).
  std::map<std::pair<model::node_id, correlation_id>, waiter_ptr> _inbound;
  // Callers waiting for the high watermark to reach an offset; an append also names the epoch
  // it was appended in (it fails when that epoch ends here first).
  struct commit_wait {
    std::optional<model::leader_epoch> epoch;
    waiter_ptr w;
  };
  std::multimap<model::offset, commit_wait> _commit_waits;
};

}  // namespace vltava::quorum
