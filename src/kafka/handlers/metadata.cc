#include "kafka/handlers/metadata.h"

#include <set>

#include "cluster/metadata_store.h"
#include "cluster/partition_leadership.h"
#include "cluster/partition_manager.h"
#include "cluster/topic_name.h"
#include "config/broker_configs.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using response_topic = protocol::metadata_response::metadata_response_topic;
using response_partition = response_topic::metadata_response_partition;

// Bounds what one request makes the broker create (each topic is a log directory per
// partition); Kafka has no such limit, but a client asking for more is misbehaving.
constexpr size_t auto_create_topics_max = 1000;

}  // namespace

response_topic describe_topic(const cluster::metadata_image& image, const cluster::topic_info& t,
                              model::node_id node, int16_t version, bool include_operations) {
  response_topic out;
  out.error_code = error_code::none;
  out.name = t.name;
  out.topic_id = t.id;
  out.is_internal = t.internal;
  auto parts = partitions_of(t, node);
  out.partitions.reserve(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    response_partition p;
    p.error_code = partition_error(parts[i]);
    p.partition_index = model::partition_id(static_cast<int32_t>(i));
    p.leader_id = parts[i].leader;
    p.leader_epoch = parts[i].leader_epoch;
    p.replica_nodes = parts[i].replicas;
    p.isr_nodes = parts[i].isr;
    p.offline_replicas = offline_replicas(image, parts[i]);
    out.partitions.push_back(std::move(p));
  }
  if (version >= 8 && include_operations) out.topic_authorized_operations = topic_operations_all;
  return out;
}

namespace {

response_topic error_topic(error_code e, std::optional<std::string> name, protocol::uuid id = {}) {
  response_topic out;
  out.error_code = e;
  out.is_internal = name && cluster::is_internal_topic_name(*name);
  out.name = std::move(name);
  out.topic_id = id;
  return out;
}

}  // namespace

std::vector<cluster::partition_assignment> partitions_of(const cluster::topic_info& topic,
                                                         model::node_id node) {
  return cluster::assignments_of(topic, node);
}

std::vector<model::node_id> offline_replicas(const cluster::metadata_image& image,
                                             const cluster::partition_assignment& a) {
  std::vector<model::node_id> out;
  for (model::node_id r : a.replicas) {
    if (!image.is_live(r)) out.push_back(r);
  }
  return out;
}

error_code partition_error(const cluster::partition_assignment& a) {
  return a.leader() < 0 ? error_code::leader_not_available : error_code::none;
}

const cluster::broker_endpoint* endpoint_for(const cluster::broker_info& broker,
                                             std::string_view listener) {
  for (const auto& e : broker.endpoints) {
    if (e.listener == listener) return &e;
  }
  return broker.endpoints.empty() ? nullptr : &broker.endpoints.front();
}

std::vector<protocol::metadata_response::metadata_response_broker> metadata_brokers(
    const cluster::metadata_image& image, std::string_view listener) {
  std::vector<protocol::metadata_response::metadata_response_broker> out;
  // Only live brokers: a fenced one leads nothing and takes no requests (Kafka's metadata
  // cache lists unfenced brokers only).
  for (const cluster::broker_info* b : image.live_brokers()) {
    const cluster::broker_endpoint* e = endpoint_for(*b, listener);
    if (!e) continue;
    auto& rb = out.emplace_back();
    rb.node_id = b->id;
    rb.host = e->host;
    rb.port = e->port;
    rb.rack = b->rack;
  }
  return out;
}

net::awaitable<void> sync_partitions(request_context& ctx) {
  // Two steps: GCC 12 destroys temporaries of a co_await full-expression twice.
  auto task = ctx.services.partitions.apply_image_async(ctx.services.metadata.image());
  co_await std::move(task);
}

net::awaitable<std::optional<protocol::metadata_response>> serve_metadata(
    request_context& ctx, const protocol::metadata_request& request) {
  const int16_t version = ctx.version();
  cluster::image_ptr image = ctx.services.metadata.image();
  protocol::metadata_response response;

  // v0: an empty list means every topic; v1+: null means every topic.
  bool all_topics = !request.topics || (version == 0 && request.topics->empty());
  std::vector<response_topic> topics;
  // Kafka's rules: every topic needs DESCRIBE; asked for all, the client sees only those it
  // may describe; asked by name or id, the others are TOPIC_AUTHORIZATION_FAILED (existing or
  // not, so names cannot be probed); auto-creation needs CREATE on the cluster or the topic.
  request_authz authz(ctx);
  auto describable = [&authz](std::string_view name) {
    return authz.allowed(acl_operation::describe, resource_type::topic, name);
  };
  const bool may_create_any = authz.allowed_on_cluster(acl_operation::create);
  if (all_topics) {
    for (const auto& [_, t] : image->topics) {
      if (!describable(t.name)) continue;
      topics.push_back(describe_topic(*image, t, ctx.services.node_id, version,
                                      request.include_topic_authorized_operations));
    }
  } else {
    // Missing topics keep their place in the response (request order): their slot is filled
    // once auto-creation (or the refusal) is known.
    std::vector<std::pair<std::string, size_t>> missing;
    std::set<std::string, std::less<>> seen;
    std::set<std::array<std::byte, 16>> seen_ids;
    for (const auto& rt : *request.topics) {
      if (version >= 10 && version < 12 && !rt.name) {
        // Kafka answers INVALID_REQUEST for the whole request; the closest per-topic answer.
        topics.push_back(error_topic(error_code::invalid_request, std::nullopt, rt.topic_id));
        continue;
      }
      if (rt.topic_id != protocol::uuid{} && version >= 12) {
        if (!seen_ids.insert(rt.topic_id.bytes).second) continue;
        const cluster::topic_info* t = image->find_topic(rt.topic_id);
        if (t && !describable(t->name)) {
          topics.push_back(
              error_topic(error_code::topic_authorization_failed, std::nullopt, rt.topic_id));
          continue;
        }
        topics.push_back(t ? describe_topic(*image, *t, ctx.services.node_id, version,
                                            request.include_topic_authorized_operations)
                           : error_topic(error_code::unknown_topic_id, std::nullopt, rt.topic_id));
        continue;
      }
      if (!rt.name || !seen.insert(*rt.name).second) continue;
      if (!describable(*rt.name)) {
        topics.push_back(error_topic(error_code::topic_authorization_failed, *rt.name));
        continue;
      }
      if (const cluster::topic_info* t = image->find_topic(*rt.name)) {
        topics.push_back(describe_topic(*image, *t, ctx.services.node_id, version,
                                        request.include_topic_authorized_operations));
      } else {
        missing.emplace_back(*rt.name, topics.size());
        topics.push_back(error_topic(error_code::unknown_topic_or_partition, *rt.name));
      }
    }
    bool allow_create =
        ctx.services.broker_config.get(config::broker_keys::auto_create_topics_enable) &&
        (version < 4 || request.allow_auto_topic_creation);
    std::vector<cluster::create_topic_request> to_create;
    std::vector<size_t> slots;
    for (const auto& [name, slot] : missing) {
      if (cluster::invalid_topic_name(name)) {
        topics[slot].error_code = error_code::invalid_topic_exception;
      } else if (allow_create && !may_create_any &&
                 !authz.allowed(acl_operation::create, resource_type::topic, name)) {
        topics[slot].error_code = error_code::topic_authorization_failed;
      } else if (allow_create && !cluster::is_internal_topic_name(name) &&
                 to_create.size() < auto_create_topics_max) {
        cluster::create_topic_request req;
        req.name = name;
        to_create.push_back(std::move(req));
        slots.push_back(slot);
      }
    }
    if (!to_create.empty()) {
      std::vector<std::string> names;
      for (const auto& r : to_create) names.push_back(r.name);
      // Two steps: GCC 12 destroys temporaries of a co_await full-expression twice.
      auto task =
          ctx.services.metadata.create_topics(std::move(to_create), cluster::validate_only::no);
      auto results = co_await std::move(task);
      for (size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        response_topic& out = topics[slots[i]];
        if (r.ok()) {
          out = describe_topic(*image, r.topic, ctx.services.node_id, version,
                               request.include_topic_authorized_operations);
        } else if (r.error == error_code::topic_already_exists) {
          // Created by another request meanwhile: describe it from the newest image.
          image = ctx.services.metadata.image();
          const cluster::topic_info* t = image->find_topic(names[i]);
          out = t ? describe_topic(*image, *t, ctx.services.node_id, version,
                                   request.include_topic_authorized_operations)
                  : error_topic(error_code::leader_not_available, names[i]);
        } else {
          out = error_topic(r.error, names[i]);
        }
      }
      co_await sync_partitions(ctx);
      image = ctx.services.metadata.image();
    }
  }

  response.brokers = metadata_brokers(*image, ctx.connection.listener);
  response.cluster_id = image->cluster_id;
  response.controller_id = image->controller_for_clients()();
  response.topics = std::move(topics);
  if (version >= 8 && version <= 10 && request.include_cluster_authorized_operations) {
    response.cluster_authorized_operations = cluster_operations_all;
  }
  co_return response;
}

}  // namespace vltava::kafka
