#include "quorum/config_from.h"

#include <gtest/gtest.h>

#include "config/broker_configs.h"

namespace vltava::quorum {
namespace {

using model::node_id;
using std::chrono::milliseconds;

config::kraft_config kraft(std::vector<std::string> sets) {
  auto loaded = config::load_broker_config("", "none", sets);
  EXPECT_TRUE(loaded) << loaded.error();
  auto k = config::kraft_config_from(loaded->values);
  EXPECT_TRUE(k) << k.error();
  return *k;
}

TEST(quorum_config_from, a_node_with_no_flags_is_its_own_quorum_with_kafkas_timeouts) {
  auto c = quorum_config_from(kraft({}), "cluster-a");
  EXPECT_EQ(c.cluster_id, "cluster-a");
  EXPECT_EQ(c.voters, std::vector<node_id>{node_id(1)});
  EXPECT_EQ(c.election_timeout, milliseconds(1000));
  EXPECT_EQ(c.fetch_timeout, milliseconds(2000));
  EXPECT_EQ(c.request_timeout, milliseconds(2000));
  EXPECT_EQ(c.retry_backoff, milliseconds(20));
}

TEST(quorum_config_from, reads_the_configured_voters_and_timeouts) {
  auto c = quorum_config_from(
      kraft({"node.id=2",
             "controller.quorum.voters=1@127.0.0.2:9093,2@127.0.0.3:9093,3@127.0.0.4:9093",
             "listeners=PLAINTEXT://127.0.0.3:9092,CONTROLLER://127.0.0.3:9093",
             "controller.quorum.election.timeout.ms=300", "controller.quorum.fetch.timeout.ms=700",
             "controller.quorum.request.timeout.ms=400", "controller.quorum.retry.backoff.ms=5"}),
      "cluster-b");
  EXPECT_EQ(c.voters, (std::vector<node_id>{node_id(1), node_id(2), node_id(3)}));
  EXPECT_EQ(c.election_timeout, milliseconds(300));
  EXPECT_EQ(c.fetch_timeout, milliseconds(700));
  EXPECT_EQ(c.request_timeout, milliseconds(400));
  EXPECT_EQ(c.retry_backoff, milliseconds(5));
}

}  // namespace
}  // namespace vltava::quorum
