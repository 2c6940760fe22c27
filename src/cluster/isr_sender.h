#pragma once

// Kafka's AlterPartitionManager: the ISR changes partition leaders propose (partition_manager's
// ISR sink, from each shard's housekeeping) go to the active controller as AlterPartition v3
// (with the broker epochs of the replicas added, KIP-903), gathered into one request while
// another is in flight. A refused or unanswered change is handed back to its partition, which
// proposes again later; an accepted one reaches the partition through the metadata image.
// With a quorum of one (no controller channel) this node is the controller: the change goes
// to its own metadata store.
//
// Threading: the queue and the sending live on shard 0; submit() from any shard.

#include <memory>

#include "cluster/controller_channel.h"
#include "cluster/metadata_store.h"
#include "cluster/partition_manager.h"
#include "net/shard_pool.h"

namespace vltava::cluster {

class isr_sender {
 public:
  // Everything passed in must outlive the sender's last call in flight (stop the shards first).
  isr_sender(net::shard_pool& shards, partition_manager& partitions, metadata_store& store,
             controller_channel* channel);
  isr_sender(const isr_sender&) = delete;
  isr_sender& operator=(const isr_sender&) = delete;

  void submit(isr_change change);

  struct state;  // shared with the sending coroutine (isr_sender.cc)

 private:
  std::shared_ptr<state> _state;
};

}  // namespace vltava::cluster
