#include "cluster/replica_placement.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace vltava::cluster {
namespace {

std::vector<placement_broker> brokers(std::vector<std::pair<int, const char*>> spec) {
  std::vector<placement_broker> out;
  for (auto [id, rack] : spec) {
    out.push_back({model::node_id(id), rack ? std::optional<std::string>(rack) : std::nullopt});
  }
  return out;
}

TEST(replica_placement, leaders_and_replicas_spread_evenly) {
  auto placed = place_replicas(brokers({{1, nullptr}, {2, nullptr}, {3, nullptr}}), 12, 2, 0);
  ASSERT_EQ(placed.size(), 12u);
  std::map<int, int> leaders, replicas;
  for (const auto& r : placed) {
    ASSERT_EQ(r.size(), 2u);
    EXPECT_NE(r[0], r[1]);
    ++leaders[r[0]()];
    for (auto id : r) ++replicas[id()];
  }
  for (int id : {1, 2, 3}) {
    EXPECT_EQ(leaders[id], 4) << id;
    EXPECT_EQ(replicas[id], 8) << id;
  }
}

TEST(replica_placement, replication_factor_one_round_robins) {
  auto placed = place_replicas(brokers({{3, nullptr}, {1, nullptr}, {2, nullptr}}), 4, 1, 1);
  ASSERT_EQ(placed.size(), 4u);
  EXPECT_EQ(placed[0], std::vector<model::node_id>{model::node_id(2)});
  EXPECT_EQ(placed[1], std::vector<model::node_id>{model::node_id(3)});
  EXPECT_EQ(placed[2], std::vector<model::node_id>{model::node_id(1)});
  EXPECT_EQ(placed[3], std::vector<model::node_id>{model::node_id(2)});
}

TEST(replica_placement, replicas_of_a_partition_land_on_different_racks) {
  auto placed = place_replicas(
      brokers({{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}, {5, "c"}, {6, "c"}}), 30, 3, 0);
  const std::map<int, char> rack{{1, 'a'}, {2, 'a'}, {3, 'b'}, {4, 'b'}, {5, 'c'}, {6, 'c'}};
  int spread = 0;
  for (const auto& r : placed) {
    std::set<int> ids;
    std::set<char> racks;
    for (auto id : r) {
      ids.insert(id());
      racks.insert(rack.at(id()));
    }
    EXPECT_EQ(ids.size(), 3u);
    spread += racks.size() == 3 ? 1 : 0;
  }
  // The first n partitions always span the racks; later shifts may pair two of one rack.
  EXPECT_GE(spread, 6);
}

TEST(replica_placement, every_broker_can_hold_every_replica) {
  for (uint32_t start = 0; start < 5; ++start) {
    auto placed = place_replicas(brokers({{1, nullptr}, {2, nullptr}, {3, nullptr}}), 7, 3, start);
    for (const auto& r : placed) EXPECT_EQ(std::set<model::node_id>(r.begin(), r.end()).size(), 3u);
  }
}

}  // namespace
}  // namespace vltava::cluster
