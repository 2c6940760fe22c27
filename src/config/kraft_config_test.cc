#include "config/kraft_config.h"

#include <gtest/gtest.h>

#include "config/broker_configs.h"

namespace vltava::config {
namespace {

result<kraft_config, std::string> from(std::vector<std::string> sets) {
  auto cfg = load_broker_config("", "none", sets);
  if (!cfg) return fail(cfg.error());
  return kraft_config_from(cfg->values);
}

TEST(KraftConfig, NoFlagsIsAQuorumOfOneThatIsAlsoABroker) {
  auto k = from({});
  ASSERT_TRUE(k) << k.error();
  EXPECT_TRUE(k->broker);
  EXPECT_TRUE(k->controller);
  EXPECT_EQ(k->mode, quorum_mode::standalone);
  ASSERT_EQ(k->voters.size(), 1u);
  EXPECT_EQ(k->voters[0].id, model::node_id(1));
  EXPECT_EQ(k->inter_broker_listener, "PLAINTEXT");
  EXPECT_EQ(k->controller_listener, "CONTROLLER");
  EXPECT_EQ(k->timeouts.election, std::chrono::milliseconds(1000));
  EXPECT_EQ(k->timeouts.fetch, std::chrono::milliseconds(2000));
  EXPECT_EQ(k->timeouts.broker_session, std::chrono::milliseconds(9000));
  EXPECT_EQ(k->timeouts.broker_heartbeat, std::chrono::milliseconds(2000));
}

TEST(KraftConfig, ThreeCombinedNodes) {
  auto k = from({"node.id=2",
                 "controller.quorum.voters=1@127.0.0.2:9093,2@127.0.0.3:9093,"
                 "3@[::1]:9094",
                 "listeners=PLAINTEXT://127.0.0.3:9092,CONTROLLER://127.0.0.3:9093"});
  ASSERT_TRUE(k) << k.error();
  EXPECT_EQ(k->mode, quorum_mode::static_voters);
  ASSERT_EQ(k->voters.size(), 3u);
  EXPECT_EQ(k->voters[0], (quorum_voter{model::node_id(1), {"127.0.0.2", 9093}}));
  EXPECT_EQ(k->voters[2].address, (host_port{"::1", 9094}));
  EXPECT_TRUE(k->is_voter(model::node_id(2)));
  EXPECT_FALSE(k->is_voter(model::node_id(4)));
}

TEST(KraftConfig, ABrokerOnlyNodeFindsControllersThroughBootstrapServers) {
  auto k = from({"node.id=4", "process.roles=broker",
                 "controller.quorum.bootstrap.servers=127.0.0.2:9093,127.0.0.3:9093"});
  ASSERT_TRUE(k) << k.error();
  EXPECT_FALSE(k->controller);
  EXPECT_EQ(k->mode, quorum_mode::bootstrap);
  EXPECT_EQ(k->bootstrap[1], (host_port{"127.0.0.3", 9093}));
  EXPECT_TRUE(k->voters.empty());
}

TEST(KraftConfig, AControllerOnlyNodeListensOnTheControllerListenerOnly) {
  auto k = from({"node.id=1", "process.roles=controller",
                 "controller.quorum.voters=1@127.0.0.2:9093,2@127.0.0.3:9093,3@127.0.0.4:9093",
                 "listeners=CONTROLLER://127.0.0.2:9093"});
  ASSERT_TRUE(k) << k.error();
  EXPECT_TRUE(k->controller);
  EXPECT_FALSE(k->broker);
  EXPECT_TRUE(k->is_voter(model::node_id(1)));
  EXPECT_TRUE(k->inter_broker_listener.empty());
}

TEST(KraftConfig, ABrokerOnlyNodeObservesStaticVoters) {
  auto k = from({"node.id=5", "process.roles=broker",
                 "controller.quorum.voters=1@127.0.0.2:9093,2@127.0.0.3:9093,3@127.0.0.4:9093",
                 "listeners=PLAINTEXT://127.0.0.6:9092"});
  ASSERT_TRUE(k) << k.error();
  EXPECT_TRUE(k->broker);
  EXPECT_FALSE(k->controller);
  EXPECT_EQ(k->mode, quorum_mode::static_voters);
  EXPECT_FALSE(k->is_voter(model::node_id(5)));
  EXPECT_EQ(k->inter_broker_listener, "PLAINTEXT");
}

TEST(KraftConfig, KafkasRulesAreChecked) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"process.roles="}, "process.roles"},
      {{"process.roles=broker,broker"}, "named twice"},
      {{"process.roles=broker"}, "to find the controllers"},
      {{"controller.quorum.voters=1@h:1", "controller.quorum.bootstrap.servers=h:1"}, "both set"},
      {{"controller.quorum.voters=2@h:9093", "listeners=CONTROLLER://h:9093,PLAINTEXT://h:1"},
       "not in controller.quorum.voters"},
      {{"process.roles=broker", "controller.quorum.voters=1@h:9093"}, "has no controller"},
      {{"controller.quorum.voters=1@h:9093,2@h:9094"}, "must listen on CONTROLLER"},
      {{"controller.quorum.voters=1@h:1,1@h:2"}, "listed twice"},
      {{"controller.quorum.voters=x@h:1"}, "node id"},
      {{"controller.quorum.voters=1@h:0"}, "not a port"},
      {{"controller.quorum.voters=1@::1:9093"}, "brackets"},
      {{"controller.quorum.voters=1h:9093"}, "id@host:port"},
      {{"process.roles=broker", "controller.quorum.bootstrap.servers=h:1",
        "listeners=PLAINTEXT://h:1,CONTROLLER://h:2"},
       "is a controller listener"},
      {{"inter.broker.listener.name=INTERNAL"}, "not one of the listeners"},
      {{"listeners=CONTROLLER://h:2"}, "not a controller listener"},
      {{"process.roles=controller", "controller.quorum.voters=1@h:9093",
        "listeners=PLAINTEXT://h:9092,CONTROLLER://h:9093"},
       "has only controller listeners"},
      {{"process.roles=controller", "listeners=CONTROLLER://h:9093"},
       "process.roles=controller needs controller.quorum.voters"},
      {{"controller.quorum.voters=1@h:9093", "listeners=PLAINTEXT://h:9092,CONTROLLER://h:9093",
        "inter.broker.listener.name=CONTROLLER"},
       "is a controller listener"},
  };
  for (const auto& [sets, why] : bad) {
    auto k = from(sets);
    ASSERT_FALSE(k) << sets[0];
    EXPECT_NE(k.error().find(why), std::string::npos) << k.error();
  }
}

}  // namespace
}  // namespace vltava::config
