#pragma once

// Metadata (key 3), v0-13: brokers, cluster id, controller and the partitions of all or of
// the named topics (by name, or by topic id from v12), auto-creating missing topics when both
// auto.create.topics.enable and the request's allow_auto_topic_creation (v4+) allow it.
// Also the helpers DescribeTopicPartitions and DescribeCluster share.

#include <optional>
#include <vector>

#include "cluster/metadata_image.h"
#include "kafka/server/handler.h"
#include "protocol/generated/metadata.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::metadata_response>> serve_metadata(
    request_context& ctx, const protocol::metadata_request& request);

// One topic as Metadata describes it: each partition's leader, epoch, replicas, isr and
// offline replicas from its assignment, LEADER_NOT_AVAILABLE for one without a leader.
protocol::metadata_response::metadata_response_topic describe_topic(
    const cluster::metadata_image& image, const cluster::topic_info& t, model::node_id node,
    int16_t version, bool include_operations);
// The brokers Metadata lists: the live ones, with their endpoint on `listener`.
std::vector<protocol::metadata_response::metadata_response_broker> metadata_brokers(
    const cluster::metadata_image& image, std::string_view listener);

// A topic's partitions; an image built without assignments gets `node` as leader of each.
std::vector<cluster::partition_assignment> partitions_of(const cluster::topic_info& topic,
                                                         model::node_id node);

// The replicas of `a` that are not live brokers (fenced or unregistered): offline_replicas.
std::vector<model::node_id> offline_replicas(const cluster::metadata_image& image,
                                             const cluster::partition_assignment& a);
// A partition's own error in Metadata and DescribeTopicPartitions: LEADER_NOT_AVAILABLE while
// it has no leader (-1), as Kafka answers; none otherwise.
protocol::error_code partition_error(const cluster::partition_assignment& a);

// The endpoint of `broker` for the listener a client connected to (the first endpoint when
// none matches, e.g. in tests).
const cluster::broker_endpoint* endpoint_for(const cluster::broker_info& broker,
                                             std::string_view listener);

// After a metadata change: waits until every shard's partitions follow the newest image, so
// a client told "created" can produce at once (the store's subscribers apply it too; applying
// one image twice is harmless).
net::awaitable<void> sync_partitions(request_context& ctx);

// Kafka's authorized-operations bit sets when no authorizer is configured: every operation a
// topic or the cluster supports.
// Topic: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
inline constexpr int32_t topic_operations_all = 3576;
// Cluster: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS,
// IDEMPOTENT_WRITE.
inline constexpr int32_t cluster_operations_all = 8096;

}  // namespace vltava::kafka
