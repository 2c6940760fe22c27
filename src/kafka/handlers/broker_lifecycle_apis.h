#pragma once

// The controller's side of the brokers' lifecycle RPCs: BrokerRegistration, BrokerHeartbeat,
// UnregisterBroker and AllocateProducerIds (a block of producer ids for a broker), answered by the
// metadata store's active controller (cluster/metadata_store.h). A node that is not the active
// controller answers NOT_CONTROLLER; the broker asks the next controller its image names.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/allocate_producer_ids.h"
#include "protocol/generated/alter_partition.h"
#include "protocol/generated/broker_heartbeat.h"
#include "protocol/generated/broker_registration.h"
#include "protocol/generated/unregister_broker.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::broker_registration_response>> serve_broker_registration(
    request_context& ctx, const protocol::broker_registration_request& request);
net::awaitable<std::optional<protocol::broker_heartbeat_response>> serve_broker_heartbeat(
    request_context& ctx, const protocol::broker_heartbeat_request& request);
net::awaitable<std::optional<protocol::unregister_broker_response>> serve_unregister_broker(
    request_context& ctx, const protocol::unregister_broker_request& request);

// AlterPartition (API 56): a partition leader's ISR changes, to the active controller.
net::awaitable<std::optional<protocol::alter_partition_response>> serve_alter_partition(
    request_context& ctx, const protocol::alter_partition_request& request);

net::awaitable<std::optional<protocol::allocate_producer_ids_response>> serve_allocate_producer_ids(
    request_context& ctx, const protocol::allocate_producer_ids_request& request);

}  // namespace vltava::kafka
