#pragma once

// The error codes a quorum RPC answers with. Values are Kafka's (protocol/error_code.h has the
// full table); quorum/ sits below protocol/, so it names the few it needs and the adapter maps
// them with a static_cast.

#include <cstdint>

namespace vltava::quorum {

enum class errc : int16_t {
  none = 0,
  not_leader_or_follower = 6,
  invalid_request = 42,
  fenced_leader_epoch = 74,
  unknown_leader_epoch = 75,
  inconsistent_voter_set = 94,
  snapshot_not_found = 98,
  position_out_of_range = 99,
  inconsistent_cluster_id = 104,
};

const char* to_string(errc e);

}  // namespace vltava::quorum
