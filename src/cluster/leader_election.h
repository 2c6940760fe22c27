#pragma once

// The controller's leader elections when a broker leaves or comes back, as Kafka's
// ReplicationControlManager makes them: each decision is a list of partition change records
// (the whole new isr, leader and epochs) for the metadata log, computed from an image.
//
// A broker leaves (fenced, or in controlled shutdown): it leaves every ISR it is in, except
// that the last member of an ISR stays (Kafka keeps it, so the partition can come back with
// its data when that broker does); a partition it led gets the first other in-sync replica
// that is live as its leader, or none (-1) when there is no such replica.
// A broker comes back (unfenced): every leaderless partition with it in the ISR gets it as
// leader.
// Every change bumps the partition epoch; a new leader (or none) bumps the leader epoch.

#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_image.h"
#include "cluster/metadata_records.h"
#include "model/fundamental.h"
#include "model/topic_partition.h"
#include "protocol/error_code.h"

namespace vltava::cluster {

std::vector<metadata_record> elect_without(const metadata_image& image, model::node_id leaving);
std::vector<metadata_record> elect_returning(const metadata_image& image, model::node_id back);

// ElectLeaders (API 43), as Kafka's ReplicationControlManager decides it for each partition:
// preferred: the first replica becomes leader when it is in the ISR and active (registered,
//   unfenced, not shutting down): ELECTION_NOT_NEEDED when it leads already,
//   PREFERRED_LEADER_NOT_AVAILABLE otherwise;
// unclean: a partition without a leader gets the first active replica of its ISR, or failing
//   that the first active replica at all, which becomes the whole ISR (what it lacks is lost:
//   the operator asked for it); ELECTION_NOT_NEEDED when it has a leader,
//   ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is active.
// Unknown topics and partitions: UNKNOWN_TOPIC_OR_PARTITION. With no partitions named (null in
// the request) every partition is considered and only those elected are answered for.
enum class election_type : int8_t { preferred = 0, unclean = 1 };

struct election_result {
  model::topic_partition partition;
  protocol::error_code error = protocol::error_code::none;
  std::optional<std::string> message;
};

struct election_plan {
  std::vector<metadata_record> records;  // one partition change per elected partition
  std::vector<election_result> results;  // in the order asked (by topic, then partition)
};

election_plan plan_elections(const metadata_image& image, election_type type,
                             const std::optional<std::vector<model::topic_partition>>& partitions);

// auto.leader.rebalance.enable: the partitions whose preferred replica could lead and does not
// (Kafka's KRaft controller rebalances every such partition at each
// leader.imbalance.check.interval.seconds; leader.imbalance.per.broker.percentage is not used
// by KRaft), at most `max` of them.
std::vector<model::topic_partition> imbalanced_partitions(const metadata_image& image, size_t max);

// The partitions `node` leads in `image`.
size_t leaderships(const metadata_image& image, model::node_id node);

}  // namespace vltava::cluster
