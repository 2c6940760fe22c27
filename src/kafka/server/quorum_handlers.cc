// The controller quorum's handlers (KRaft), with every version the codec parses: the mapping
// (quorum/net/rpc.h) implements each of them.

#include <array>

#include "kafka/handlers/quorum_apis.h"
#include "kafka/server/handler.h"

namespace vltava::kafka {

std::span<const handler> quorum_handlers() {
  static const std::array<handler, 4> handlers = {
      make_handler<protocol::vote_api, &serve_vote>(),
      make_handler<protocol::begin_quorum_epoch_api, &serve_begin_quorum_epoch>(),
      make_handler<protocol::end_quorum_epoch_api, &serve_end_quorum_epoch>(),
      make_handler<protocol::describe_quorum_api, &serve_describe_quorum>(),
  };
  return handlers;
}

}  // namespace vltava::kafka
