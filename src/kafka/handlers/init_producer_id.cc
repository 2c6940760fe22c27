#include "kafka/handlers/init_producer_id.h"

#include "base/log.h"
#include "cluster/metadata_store.h"
#include "coord/txn_coordinator.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {

using protocol::error_code;

net::awaitable<std::optional<protocol::init_producer_id_response>> serve_init_producer_id(
    request_context& ctx, const protocol::init_producer_id_request& request) {
  protocol::init_producer_id_response response;
  response.throttle_time_ms = 0;
  response.producer_id = model::producer_id(-1);
  response.producer_epoch = model::producer_epoch(-1);
  response.error_code = error_code::none;
  const bool has_id = request.producer_id() != -1;
  const bool has_epoch = request.producer_epoch() != -1;
  if (has_id != has_epoch) {
    response.error_code = error_code::invalid_request;
    co_return response;
  }
  // Kafka: a transactional producer needs WRITE on its id; an idempotent one IDEMPOTENT_WRITE
  // on the cluster or, since KIP-679, WRITE on some topic.
  request_authz authz(ctx);
  if (request.transactional_id &&
      !authz.allowed(acl_operation::write, resource_type::transactional_id,
                     *request.transactional_id)) {
    response.error_code = error_code::transactional_id_authorization_failed;
    co_return response;
  }
  if (!request.transactional_id && !authz.allowed_on_cluster(acl_operation::idempotent_write) &&
      !authz.allowed_on_any(acl_operation::write, resource_type::topic)) {
    response.error_code = error_code::cluster_authorization_failed;
    co_return response;
  }
  if (request.transactional_id) {
    if (request.transactional_id->empty()) {
      response.error_code = error_code::invalid_request;
      co_return response;
    }
    if (!ctx.services.txns) {
      response.error_code = error_code::coordinator_not_available;
      co_return response;
    }
    auto init = ctx.services.txns->init_producer_id(*request.transactional_id,
                                                    request.transaction_timeout_ms,
                                                    request.producer_id, request.producer_epoch);
    coord::init_pid_result r = co_await std::move(init);
    // PRODUCER_FENCED is new in v4 (KIP-588); older clients know INVALID_PRODUCER_EPOCH.
    response.error_code = r.error == error_code::producer_fenced && ctx.version() < 4
                              ? error_code::invalid_producer_epoch
                              : r.error;
    if (r.error == error_code::none) {
      response.producer_id = r.producer_id;
      response.producer_epoch = r.producer_epoch;
    }
    co_return response;
  }
  auto task = ctx.services.metadata.allocate_producer_id();
  cluster::producer_id_result r = co_await std::move(task);
  if (!r.ok()) {
    log::warn("kafka", "InitProducerId: {}", r.message.value_or("allocation failed"));
    // Retriable for every client: the metadata log failed, another attempt may succeed.
    response.error_code = error_code::coordinator_not_available;
    co_return response;
  }
  response.producer_id = r.id;
  response.producer_epoch = model::producer_epoch(0);
  co_return response;
}

}  // namespace vltava::kafka
