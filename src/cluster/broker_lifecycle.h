#pragma once

// The broker's side of its lifecycle with the active controller (Kafka's
// BrokerLifecycleManager): at start it registers (a new incarnation id per process, its
// advertised listeners and rack) and heartbeats until the controller unfences it, which the
// controller does once this node has applied the metadata log up to its registration; then it
// heartbeats every broker.heartbeat.interval.ms, so the controller keeps it unfenced. At stop
// it asks for a controlled shutdown: the controller moves its leaderships away and fences it,
// and only then does the node stop serving.
//
// The controller is whichever node the metadata image names: this node itself (a single node,
// or the active controller of a bigger cluster) is asked directly, any other node through the
// controller channel. Errors (no controller yet, a controller that moved, a duplicate
// registration of a process that died within the session timeout) are retried after a backoff.
//
// Threading: runs on shard 0; start(), wait_unfenced() and shut_down() are called from the
// main thread.

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_image.h"
#include "model/fundamental.h"
#include "net/asio.h"
#include "net/shard_pool.h"

namespace vltava::cluster {

class metadata_store;
class controller_channel;

struct lifecycle_options {
  model::node_id node{-1};
  std::vector<broker_endpoint> endpoints;  // advertised
  std::optional<std::string> rack;
  std::chrono::milliseconds heartbeat_interval{2'000};  // broker.heartbeat.interval.ms
  // Between attempts while registering or unfencing, and after a failed call.
  std::chrono::milliseconds retry_backoff{50};
};

class broker_lifecycle {
 public:
  // `channel` (on shard 0) reaches the other controllers; null when this node is the only one.
  // Everything passed in must outlive the lifecycle.
  broker_lifecycle(net::shard_pool& shards, metadata_store& store, controller_channel* channel,
                   lifecycle_options options);
  ~broker_lifecycle();
  broker_lifecycle(const broker_lifecycle&) = delete;
  broker_lifecycle& operator=(const broker_lifecycle&) = delete;

  void start();
  // Blocks until the controller unfenced this broker; false after `timeout`.
  bool wait_unfenced(std::chrono::milliseconds timeout);
  // Controlled shutdown: blocks until the controller lets this broker go, or `timeout` passed
  // (the controller then fences it when its session expires). Ends the heartbeats.
  void shut_down(std::chrono::milliseconds timeout);

  struct state;

 private:
  static net::awaitable<void> run(std::shared_ptr<state> st);

  net::shard_pool& _shards;
  std::shared_ptr<state> _state;
};

}  // namespace vltava::cluster
