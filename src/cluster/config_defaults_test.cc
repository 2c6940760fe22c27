// No struct repeats a config default: each struct that carries config values, default-
// constructed, equals what it builds from the config tables of a broker with nothing set. A
// literal written into a struct (or a from() reading the wrong key) fails here as soon as it
// differs from the table. A new config-carrying struct gets a line here.

#include <gtest/gtest.h>

#include "cluster/partition.h"
#include "config/broker_configs.h"
#include "config/topic_configs.h"
#include "net/server.h"
#include "storage/log_config.h"

namespace vltava::cluster {
namespace {

struct tables {
  config::config_set broker = config::load_broker_config("", "none", {}).value().values;
  config::config_set topic = config::topic_config(broker, {}).value();
};

TEST(config_defaults, log_config_is_the_topic_tables) {
  tables t;
  EXPECT_TRUE(storage::log_config{} == storage::log_config::from(t.topic));
}

TEST(config_defaults, partition_settings_are_the_tables) {
  tables t;
  partition_settings from_tables = settings_from(t.topic);
  from_tables.producer_id_expiration_ms =
      t.broker.get(config::broker_keys::producer_id_expiration_ms);
  EXPECT_TRUE(partition_settings{} == from_tables);
}

TEST(config_defaults, server_limits_are_the_broker_tables) {
  tables t;
  EXPECT_TRUE(net::server_limits{} == net::server_limits::from(t.broker));
}

}  // namespace
}  // namespace vltava::cluster
