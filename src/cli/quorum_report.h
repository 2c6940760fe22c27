#pragma once
// `vltava cluster quorum`'s arithmetic, as kafka-metadata-quorum.sh describe --status and
// --replication show it: each replica's lag behind the leader and its times as "ms ago".
// Pure (no protocol or librdkafka types), unit-tested in cli_test.cc.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace vltava::cli {

// One replica of DescribeQuorum's answer; -1 where the version or the leader gives no value.
struct replica_status {
  int32_t id = -1;
  int64_t log_end_offset = -1;
  int64_t last_fetch_ms = -1;      // unix ms
  int64_t last_caught_up_ms = -1;  // unix ms
};

struct quorum_status {
  int32_t leader_id = -1;
  int32_t leader_epoch = -1;
  int64_t high_watermark = -1;
  std::vector<replica_status> voters;
  std::vector<replica_status> observers;
};

enum class replica_role { leader, follower, observer };
std::string_view role_name(replica_role r);  // "Leader", "Follower", "Observer" (Kafka's words)

struct replica_row {
  int32_t id = -1;
  replica_role role = replica_role::follower;
  int64_t log_end_offset = -1;
  int64_t lag = 0;  // the leader's log end offset minus this replica's
  std::optional<int64_t> last_fetch_ago_ms;
  std::optional<int64_t> last_caught_up_ago_ms;
};

// The leader first, then voters, then observers, each group by id (Kafka's order).
std::vector<replica_row> replication_rows(const quorum_status& q, int64_t now_ms);

struct quorum_summary {
  int64_t max_follower_lag = 0;
  // How far the most lagging voter's last catch-up trails the leader's; nullopt when a
  // timestamp is missing (Kafka prints -1 there).
  std::optional<int64_t> max_follower_lag_time_ms;
};
quorum_summary summarize(const quorum_status& q);

}  // namespace vltava::cli
