// The group coordinator's handlers and the versions each really serves (ApiVersions is
// computed from this list). Left out: FindCoordinator v5-6 (v6 share-group keys),
// OffsetCommit/OffsetFetch v10 (topic ids; unstable in Kafka 4.1), DescribeGroups v6.

#include <array>

#include "kafka/handlers/consumer_group_heartbeat.h"
#include "kafka/handlers/find_coordinator.h"
#include "kafka/handlers/group_admin.h"
#include "kafka/handlers/group_membership.h"
#include "kafka/handlers/group_offsets.h"
#include "kafka/server/handler.h"

namespace vltava::kafka {

std::span<const handler> group_handlers() {
  static const std::array<handler, 13> handlers = {
      make_handler<protocol::offset_commit_api, &serve_offset_commit>(0, 9),
      make_handler<protocol::offset_fetch_api, &serve_offset_fetch>(0, 9),
      make_handler<protocol::find_coordinator_api, &serve_find_coordinator>(0, 4),
      make_handler<protocol::join_group_api, &serve_join_group>(0, 9),
      make_handler<protocol::heartbeat_api, &serve_heartbeat>(0, 4),
      make_handler<protocol::leave_group_api, &serve_leave_group>(0, 5),
      make_handler<protocol::sync_group_api, &serve_sync_group>(0, 5),
      make_handler<protocol::describe_groups_api, &serve_describe_groups>(0, 6),
      make_handler<protocol::list_groups_api, &serve_list_groups>(0, 5),
      make_handler<protocol::delete_groups_api, &serve_delete_groups>(0, 2),
      make_handler<protocol::offset_delete_api, &serve_offset_delete>(0, 0),
      make_handler<protocol::consumer_group_heartbeat_api, &serve_consumer_group_heartbeat>(0, 1),
      make_handler<protocol::consumer_group_describe_api, &serve_consumer_group_describe>(0, 1),
  };
  return handlers;
}

}  // namespace vltava::kafka
