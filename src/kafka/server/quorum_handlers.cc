// The controller's handlers (KRaft), with every version the codec parses: the quorum's RPCs
// (the mapping in quorum/net/rpc.h implements each version), the brokers' lifecycle and the
// Envelopes brokers forward admin requests in.

#include <array>

#include "kafka/handlers/broker_lifecycle_apis.h"
#include "kafka/handlers/quorum_apis.h"
#include "kafka/server/envelope.h"
#include "kafka/server/handler.h"
#include "protocol/generated/envelope.h"

namespace vltava::kafka {

std::span<const handler> quorum_handlers() {
  static const std::array<handler, 11> handlers = {
      make_handler<protocol::vote_api, &serve_vote>(),
      make_handler<protocol::begin_quorum_epoch_api, &serve_begin_quorum_epoch>(),
      make_handler<protocol::end_quorum_epoch_api, &serve_end_quorum_epoch>(),
      make_handler<protocol::describe_quorum_api, &serve_describe_quorum>(),
      handler{protocol::fetch_snapshot_api::key, protocol::fetch_snapshot_api::name,
              protocol::fetch_snapshot_api::min_version, protocol::fetch_snapshot_api::max_version,
              &serve_fetch_snapshot},
      make_handler<protocol::broker_registration_api, &serve_broker_registration>(),
      make_handler<protocol::broker_heartbeat_api, &serve_broker_heartbeat>(),
      make_handler<protocol::unregister_broker_api, &serve_unregister_broker>(),
      make_handler<protocol::allocate_producer_ids_api, &serve_allocate_producer_ids>(),
      make_handler<protocol::alter_partition_api, &serve_alter_partition>(),
      // Requests brokers forward, wrapped with the client's principal (server/envelope.h).
      handler{protocol::envelope_api::key, protocol::envelope_api::name,
              protocol::envelope_api::min_version, protocol::envelope_api::max_version,
              &serve_envelope},
  };
  return handlers;
}

}  // namespace vltava::kafka
