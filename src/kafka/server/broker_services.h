#pragma once

// What a request handler may reach: the node's identity and configuration, the shards, the
// metadata store and the partitions. Built once by broker/ and shared by every shard.

#include <string>

#include "config/config_def.h"
#include "kafka/server/listener_apis.h"
#include "model/fundamental.h"
#include "net/shard_pool.h"

namespace vltava::cluster {
class broker_channels;
class controller_channel;
class metadata_store;
class partition_manager;
}  // namespace vltava::cluster

namespace vltava::security {
class authorizer;
}  // namespace vltava::security

namespace vltava::coord {
class group_coordinator;
class txn_coordinator;
}  // namespace vltava::coord

namespace vltava::kafka {

class client_quotas;

struct broker_services {
  model::node_id node_id;
  const config::config_set& broker_config;  // static configs; read-only after start
  net::shard_pool& shards;
  cluster::metadata_store& metadata;
  cluster::partition_manager& partitions;
  // The group coordinator; null where a node (or a test) runs without one: group APIs then
  // answer COORDINATOR_NOT_AVAILABLE.
  coord::group_coordinator* groups = nullptr;
  // The transaction coordinator; null likewise (transactional APIs answer
  // COORDINATOR_NOT_AVAILABLE).
  coord::txn_coordinator* txns = nullptr;
  // The active controller, when it may be another node (on shard 0): requests only the
  // controller decides are forwarded there (server/forwarding.h). Null on a quorum of one.
  cluster::controller_channel* controller = nullptr;
  // The other brokers (cluster/broker_channels.h): KIP-890 verification with a transaction
  // coordinator on another broker. Null on a single node or in tests: such a coordinator is
  // then unreachable (the partition answers a retriable error).
  cluster::broker_channels* brokers = nullptr;
  // Kafka's StandardAuthorizer over the image's ACLs; null when authorizer.class.name is unset:
  // every request is then allowed and the ACL APIs answer SECURITY_DISABLED
  // (server/authorize.h).
  const security::authorizer* authorizer = nullptr;
  // Which APIs each listener serves (server/listener_apis.h). The default (no controller
  // listener) serves every API everywhere, as a single node and the handler tests need.
  listener_scopes listeners{};
  // Produce and Fetch byte-rate quotas (server/client_quotas.h); null in tests that have none:
  // nothing is then recorded or throttled.
  client_quotas* quotas = nullptr;
};

}  // namespace vltava::kafka
