#include "kafka/server/listener_apis.h"

#include <gtest/gtest.h>

#include "config/broker_configs.h"
#include "protocol/generated/api_versions.h"
#include "protocol/generated/broker_heartbeat.h"
#include "protocol/generated/create_topics.h"
#include "protocol/generated/envelope.h"
#include "protocol/generated/fetch.h"
#include "protocol/generated/metadata.h"
#include "protocol/generated/produce.h"
#include "protocol/generated/vote.h"

namespace vltava::kafka {
namespace {

config::config_set load(std::vector<std::string> overrides) {
  auto loaded = config::load_broker_config("", "test", overrides);
  EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error());
  return std::move(loaded).value().values;
}

TEST(ListenerApis, NodeWithoutControllerListenerServesEverythingEverywhere) {
  // `vltava serve` with no flags: PLAINTEXT only, a quorum of one.
  const auto scopes = listener_scopes::from(load({}));
  EXPECT_TRUE(scopes.serve_all);
  EXPECT_EQ(scopes.scope_of("PLAINTEXT"), api_scope::all);
  EXPECT_TRUE(served_in(protocol::vote_api::key, api_scope::all));
  EXPECT_TRUE(served_in(protocol::produce_api::key, api_scope::all));
}

TEST(ListenerApis, CombinedNodeSplitsItsListeners) {
  const auto scopes = listener_scopes::from(load(
      {"process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@127.0.0.1:9093",
       "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"}));
  EXPECT_EQ(scopes.controller_listener, "CONTROLLER");
  EXPECT_EQ(scopes.scope_of("CONTROLLER"), api_scope::controller);
  EXPECT_EQ(scopes.scope_of("PLAINTEXT"), api_scope::broker);
}

TEST(ListenerApis, BrokerOnlyNodeServesTheBrokersApis) {
  const auto scopes = listener_scopes::from(
      load({"process.roles=broker", "node.id=4", "controller.quorum.voters=1@127.0.0.1:9093",
            "listeners=PLAINTEXT://127.0.0.1:9092"}));
  EXPECT_EQ(scopes.scope_of("PLAINTEXT"), api_scope::broker);
}

TEST(ListenerApis, ControllerListenerServesTheControllersApis) {
  for (int16_t key : {protocol::vote_api::key, protocol::broker_heartbeat_api::key,
                      protocol::envelope_api::key, protocol::create_topics_api::key,
                      protocol::fetch_api::key, protocol::api_versions_api::key}) {
    EXPECT_TRUE(served_in(key, api_scope::controller)) << key;
  }
  for (int16_t key : {protocol::produce_api::key, protocol::metadata_api::key}) {
    EXPECT_FALSE(served_in(key, api_scope::controller)) << key;
  }
}

TEST(ListenerApis, BrokerListenerServesNoQuorumRpcsOrEnvelopes) {
  for (int16_t key : {protocol::vote_api::key, protocol::broker_heartbeat_api::key,
                      protocol::envelope_api::key}) {
    EXPECT_FALSE(served_in(key, api_scope::broker)) << key;
  }
  for (int16_t key : {protocol::produce_api::key, protocol::metadata_api::key,
                      protocol::create_topics_api::key, protocol::api_versions_api::key}) {
    EXPECT_TRUE(served_in(key, api_scope::broker)) << key;
  }
  EXPECT_FALSE(served_in(9999, api_scope::broker));
}

}  // namespace
}  // namespace vltava::kafka
