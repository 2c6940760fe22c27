// No coordinator config struct repeats a default: default-constructed, each equals what it
// builds from the broker table of a broker with nothing set (as cluster/config_defaults_test).

#include <gtest/gtest.h>

#include "config/broker_configs.h"
#include "coord/group_coordinator.h"
#include "coord/txn_coordinator.h"

namespace vltava::coord {
namespace {

config::config_set broker_defaults() {
  return config::load_broker_config("", "none", {}).value().values;
}

TEST(coord_config_defaults, coordinator_config_is_the_broker_table) {
  EXPECT_TRUE(coordinator_config{} == coordinator_config::from(broker_defaults()));
}

TEST(coord_config_defaults, txn_config_is_the_broker_table) {
  EXPECT_TRUE(txn_config{} == txn_config::from(broker_defaults()));
}

}  // namespace
}  // namespace vltava::coord
