#include "kafka/handlers/find_coordinator.h"

#include "cluster/metadata_store.h"
#include "cluster/partition_leadership.h"
#include "coord/group_coordinator.h"
#include "coord/group_key.h"
#include "coord/txn_coordinator.h"
#include "coord/txn_records.h"
#include "kafka/handlers/metadata.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

constexpr int8_t key_type_group = 0;
constexpr int8_t key_type_transaction = 1;

struct answer {
  error_code error = error_code::none;
  std::optional<std::string> message;
  model::node_id node{-1};
  std::string host;
  int32_t port = -1;
};

// The coordinator of partition `p` of `topic`, on the listener the client came in through.
answer leader_of(const request_context& ctx, std::string_view topic,
                 std::optional<model::partition_id> p) {
  answer a;
  a.error = error_code::coordinator_not_available;
  auto image = ctx.services.metadata.image();
  if (!image) return a;
  auto at = locate_coordinator(*image, topic, p, ctx.services.node_id, ctx.connection.listener);
  a.error = at.error;
  a.node = at.node;
  a.host = std::move(at.host);
  a.port = at.port;
  return a;
}

// Kafka: DESCRIBE on the group or the transactional id, before anything else.
error_code refusal_of(const request_context& ctx, int8_t key_type, const std::string& key) {
  request_authz authz(ctx);
  if (key_type == key_type_transaction &&
      !authz.allowed(acl_operation::describe, resource_type::transactional_id, key)) {
    return error_code::transactional_id_authorization_failed;
  }
  if (key_type == key_type_group &&
      !authz.allowed(acl_operation::describe, resource_type::group, key)) {
    return error_code::group_authorization_failed;
  }
  return error_code::none;
}

net::awaitable<answer> find_one(request_context& ctx, int8_t key_type, std::string key) {
  answer a;
  if (error_code refused = refusal_of(ctx, key_type, key); refused != error_code::none) {
    a.error = refused;
    co_return a;
  }
  if (key_type == key_type_transaction) {
    if (key.empty()) {
      a.error = error_code::invalid_request;
      a.message = "empty transactional id";
      co_return a;
    }
    if (!ctx.services.txns) {
      a.error = error_code::coordinator_not_available;
      co_return a;
    }
    error_code e = co_await ctx.services.txns->ensure_topic();
    if (e != error_code::none) {
      a.error = e;
      co_return a;
    }
    co_return leader_of(ctx, coord::transaction_topic, ctx.services.txns->partition_of(key));
  }
  if (key_type != key_type_group) {
    a.error = error_code::invalid_request;
    a.message = "unknown coordinator key type " + std::to_string(key_type);
    co_return a;
  }
  if (key.empty()) {
    a.error = error_code::invalid_group_id;
    co_return a;
  }
  if (!ctx.services.groups) {
    a.error = error_code::coordinator_not_available;
    co_return a;
  }
  error_code e = co_await ctx.services.groups->ensure_offsets_topic();
  if (e != error_code::none) {
    a.error = e;
    co_return a;
  }
  co_return leader_of(ctx, coord::offsets_topic, ctx.services.groups->partition_of(key));
}

}  // namespace

coordinator_location locate_coordinator(const cluster::metadata_image& image,
                                        std::string_view topic,
                                        std::optional<model::partition_id> p, model::node_id self,
                                        std::string_view listener) {
  coordinator_location out;
  const cluster::topic_info* t = image.find_topic(topic);
  if (!t || !p || (*p)() < 0 || (*p)() >= t->partition_count) return out;
  const model::node_id leader = cluster::assignment_of(*t, (*p)(), self).leader;
  // Kafka answers COORDINATOR_NOT_AVAILABLE until the partition has a live leader.
  if (leader() < 0 || !image.is_live(leader)) return out;
  const cluster::broker_endpoint* e = endpoint_for(*image.find_broker(leader), listener);
  if (!e) return out;
  out.error = error_code::none;
  out.node = leader;
  out.host = e->host;
  out.port = e->port;
  return out;
}

net::awaitable<std::optional<protocol::find_coordinator_response>> serve_find_coordinator(
    request_context& ctx, const protocol::find_coordinator_request& request) {
  protocol::find_coordinator_response response;
  if (ctx.version() < 4) {
    answer a = co_await find_one(ctx, request.key_type, request.key);
    response.error_code = a.error;
    response.error_message = a.message;
    response.node_id = a.node;
    response.host = a.host;
    response.port = a.port;
    co_return response;
  }
  for (const auto& key : request.coordinator_keys) {
    answer a = co_await find_one(ctx, request.key_type, key);
    auto& c = response.coordinators.emplace_back();
    c.key = key;
    c.node_id = a.node;
    c.host = a.host;
    c.port = a.port;
    c.error_code = a.error;
    c.error_message = a.message;
  }
  co_return response;
}

}  // namespace vltava::kafka
