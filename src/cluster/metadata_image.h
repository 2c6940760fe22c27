#pragma once

// The cluster metadata as every shard reads it: an immutable snapshot, replaced as a whole
// on each change (readers hold a shared_ptr to the version they started with). Today it is
// applied from the node's local metadata log; with the controller quorum it is applied from
// the Raft metadata log, unchanged for its readers.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/fundamental.h"
#include "protocol/wire.h"
#include "security/acl_table.h"
#include "security/client_quota.h"
#include "security/credential_store.h"

namespace vltava::cluster {

// One partition's placement and leadership (a single node: replicas = isr = [this node],
// leader this node, epoch 0).
struct partition_assignment {
  std::vector<model::node_id> replicas;
  std::vector<model::node_id> isr;
  model::node_id leader{-1};
  model::leader_epoch leader_epoch{0};
  int32_t partition_epoch = 0;
};

struct topic_info {
  std::string name;
  protocol::uuid id;
  int32_t partition_count = 0;
  int16_t replication_factor = 1;
  // The topic's own config overrides (DescribeConfigs source DYNAMIC_TOPIC_CONFIG); effective
  // values come from config::topic_config(broker config, these).
  std::map<std::string, std::string, std::less<>> config_overrides;
  bool internal = false;  // __consumer_offsets, __transaction_state
  // Indexed by partition id, partition_count entries when the image comes from the metadata
  // store. Images built by hand (tests) may leave it empty: readers then take this node as
  // the only replica and leader, epoch 0.
  std::vector<partition_assignment> partitions;
};

struct broker_endpoint {
  std::string listener;  // listener name, e.g. PLAINTEXT
  std::string host;
  uint16_t port = 0;
  int16_t security_protocol = 0;  // Kafka's id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL
};

// A registered broker (RegisterBrokerRecord, then BrokerRegistrationChangeRecords). Only
// unfenced brokers are live: told to clients, given partitions, led by.
struct broker_info {
  model::node_id id;
  std::vector<broker_endpoint> endpoints;  // advertised
  std::optional<std::string> rack;
  // The offset of its registration record: a registration from an older process of the same
  // node id carries an older epoch and is stale.
  int64_t epoch = 0;
  protocol::uuid incarnation_id;  // the registering process, random per start
  // Fenced from registration until it has caught up with the metadata log, and again when its
  // heartbeats stop for broker.session.timeout.ms or it shuts down.
  bool fenced = true;
  bool in_controlled_shutdown = false;

  bool live() const { return !fenced; }
};

class metadata_image {
 public:
  int64_t version = 0;  // increases with every applied change
  // The offset of the last metadata log record applied (-1: none); a broker reports it in its
  // heartbeats, and the controller unfences it once it reaches the broker's registration.
  int64_t offset = -1;
  std::string cluster_id;
  model::node_id controller_id{-1};
  std::vector<broker_info> brokers;
  std::map<std::string, topic_info, std::less<>> topics;
  using override_map = std::map<std::string, std::string, std::less<>>;
  // Each node's dynamic broker configs (IncrementalAlterConfigs on the BROKER resource named by
  // its id), by node, then key.
  std::map<model::node_id, override_map> node_config_overrides;
  // Dynamic cluster-wide defaults (the BROKER resource with an empty name): below this node's
  // own dynamic configs, above the static ones. DescribeConfigs source
  // DYNAMIC_DEFAULT_BROKER_CONFIG.
  override_map cluster_config_overrides;
  // Producer ids below this were handed out in blocks (MetadataProducerIdsRecord); the next
  // block starts here.
  int64_t next_producer_id = 0;
  // The ACLs (AccessControlEntryRecords not removed since), by id and by resource pattern.
  security::acl_table acls;
  // The SCRAM credentials (UserScramCredentialRecords not removed since), by user and
  // mechanism: what SASL/SCRAM logins are checked against.
  security::scram_credential_map scram_credentials;
  // The client quotas (ClientQuotaRecords), by entity, then key: entities without any value are
  // not kept.
  security::client_quota_map client_quotas;

  const topic_info* find_topic(std::string_view name) const {
    auto it = topics.find(name);
    return it == topics.end() ? nullptr : &it->second;
  }
  const topic_info* find_topic(const protocol::uuid& id) const {
    for (const auto& [_, t] : topics) {
      if (t.id == id) return &t;
    }
    return nullptr;
  }
  const broker_info* find_broker(model::node_id id) const {
    for (const auto& b : brokers) {
      if (b.id == id) return &b;
    }
    return nullptr;
  }
  const override_map& broker_config_overrides(model::node_id node) const {
    static const override_map none;
    auto it = node_config_overrides.find(node);
    return it == node_config_overrides.end() ? none : it->second;
  }
  // Registered and not fenced: the brokers clients are told about and partitions are led by.
  bool is_live(model::node_id id) const {
    const broker_info* b = find_broker(id);
    return b != nullptr && b->live();
  }
  // The ControllerId told to clients (Metadata, DescribeCluster for brokers). Clients send
  // admin requests to it, so it must be a broker they can reach: the active controller when it
  // is a live broker (a combined node), else a live broker (the lowest id), which forwards
  // them; Kafka's KRaft brokers answer a random alive broker. An image without registrations
  // (a node before its own) keeps the controller's id.
  model::node_id controller_for_clients() const {
    if (brokers.empty() || is_live(controller_id)) return controller_id;
    std::optional<model::node_id> lowest;
    for (const auto& b : brokers) {
      if (b.live() && (!lowest || b.id < *lowest)) lowest = b.id;
    }
    return lowest.value_or(model::node_id(-1));
  }
  std::vector<const broker_info*> live_brokers() const {
    std::vector<const broker_info*> out;
    for (const auto& b : brokers) {
      if (b.live()) out.push_back(&b);
    }
    return out;
  }
};

using image_ptr = std::shared_ptr<const metadata_image>;

}  // namespace vltava::cluster
