#include "kafka/handlers/find_coordinator.h"

#include "cluster/metadata_store.h"
#include "coord/group_coordinator.h"
#include "coord/txn_coordinator.h"

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

// This node's endpoint on the listener the client came in through.
answer this_node(const request_context& ctx) {
  answer a;
  auto image = ctx.services.metadata.image();
  const cluster::broker_info* b = image ? image->find_broker(ctx.services.node_id) : nullptr;
  if (!b || b->endpoints.empty()) {
    a.error = error_code::coordinator_not_available;
    return a;
  }
  const cluster::broker_endpoint* e = &b->endpoints.front();
  for (const auto& candidate : b->endpoints) {
    if (candidate.listener == ctx.connection.listener) e = &candidate;
  }
  a.node = ctx.services.node_id;
  a.host = e->host;
  a.port = e->port;
  return a;
}

net::awaitable<answer> find_one(request_context& ctx, int8_t key_type, std::string key) {
  answer a;
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
    co_return this_node(ctx);
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
  co_return this_node(ctx);
}

}  // namespace

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
