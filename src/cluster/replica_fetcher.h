#pragma once

// The follower side of replication (Kafka's ReplicaFetcherManager): for each broker that leads
// partitions this node follows, one fetch loop that asks it for all of them in one Fetch over
// the broker's one inter-broker connection (broker_channels.h), with ReplicaState (this node
// and its broker epoch), each partition's CurrentLeaderEpoch, FetchOffset and LastFetchedEpoch.
// Answers are applied on each partition's shard: DivergingEpoch truncates, records are appended
// with the leader's offsets, epochs and timestamps, the leader's high watermark is taken. The
// next fetch goes out only once what was appended is durable, so the fetch offset the leader
// counts is always a durable end (Vltava's durability rule; partition.h).
//
// Sessionless full fetches (no KIP-227 session yet); num.replica.fetchers = 1.
// Threading: the loops run on shard 0 (broker_channels' home) and hop to the partitions' shards.

#include <atomic>
#include <memory>
#include <set>

#include "cluster/broker_channels.h"
#include "cluster/partition_manager.h"
#include "config/config_def.h"
#include "net/asio.h"

namespace vltava::cluster {

struct replica_fetcher_config {
  int32_t wait_max_ms = 500;                  // replica.fetch.wait.max.ms
  int32_t partition_max_bytes = 1 << 20;      // replica.fetch.max.bytes
  int32_t response_max_bytes = 10 << 20;      // replica.fetch.response.max.bytes
  std::chrono::milliseconds backoff{1000};    // replica.fetch.backoff.ms
  std::chrono::milliseconds image_poll{100};  // how often the set of leaders is looked at

  static replica_fetcher_config from(const config::config_set& broker);
};

class replica_fetchers {
 public:
  // Everything passed in must outlive stop().
  replica_fetchers(net::shard_pool& shards, partition_manager& partitions, broker_channels& brokers,
                   replica_fetcher_config cfg);
  ~replica_fetchers();
  replica_fetchers(const replica_fetchers&) = delete;
  replica_fetchers& operator=(const replica_fetchers&) = delete;

  void start();
  // Blocks until every loop has ended (within a fetch's wait and timeout); not from a shard.
  void stop();

  struct state;  // shared with the loops (replica_fetcher.cc)

 private:
  net::shard_pool& _shards;
  std::shared_ptr<state> _state;
};

}  // namespace vltava::cluster
