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

#include <vector>

#include "cluster/metadata_image.h"
#include "cluster/metadata_records.h"
#include "model/fundamental.h"

namespace vltava::cluster {

std::vector<metadata_record> elect_without(const metadata_image& image, model::node_id leaving);
std::vector<metadata_record> elect_returning(const metadata_image& image, model::node_id back);

// The partitions `node` leads in `image`.
size_t leaderships(const metadata_image& image, model::node_id node);

}  // namespace vltava::cluster
