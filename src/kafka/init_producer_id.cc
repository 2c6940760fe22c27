#include "kafka/init_producer_id.h"

#include "base/log.h"
#include "cluster/metadata_store.h"

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
  if (request.transactional_id) {
    response.error_code = request.transactional_id->empty()
                              ? error_code::invalid_request
                              : error_code::transactional_id_authorization_failed;
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
