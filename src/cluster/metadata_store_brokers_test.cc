// The controller's side of the brokers' lifecycle (metadata_store_brokers.cc) on a quorum of
// one: node 1 is the controller and a registered broker; brokers 2 and 3 are registered
// through the same calls their BrokerRegistration and BrokerHeartbeat requests make.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "cluster/metadata_store_fixture.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;
using testing::store_fixture;
using testing::topic;

broker_registration_request registration(metadata_store& s, int id,
                                         protocol::uuid incarnation = random_uuid()) {
  broker_registration_request r;
  r.id = model::node_id(id);
  r.cluster_id = s.image()->cluster_id;
  r.incarnation_id = incarnation;
  r.endpoints = {broker_endpoint{"PLAINTEXT", "127.0.0." + std::to_string(id), 9092, 0}};
  r.rack = "rack-" + std::to_string(id);
  return r;
}

struct harness {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f;

  explicit harness(std::vector<std::string> overrides = {})
      : f(dir.path(), io, std::move(overrides)) {}

  metadata_store& store() { return f.store(); }
  broker_registration_result do_register(broker_registration_request r) {
    return f.run([&]() { return store().register_broker(r); });
  }
  broker_heartbeat_result beat(int id, int64_t epoch, bool shut_down = false,
                               std::optional<int64_t> offset = std::nullopt) {
    broker_heartbeat_request r;
    r.id = model::node_id(id);
    r.broker_epoch = epoch;
    r.metadata_offset = offset.value_or(store().image()->offset);
    r.want_shut_down = shut_down;
    return f.run([&]() { return store().broker_heartbeat(r); });
  }
  // Registers and unfences broker `id`; its epoch.
  int64_t join(int id) {
    auto r = do_register(registration(store(), id));
    EXPECT_TRUE(r.ok()) << r.message.value_or("");
    auto hb = beat(id, r.broker_epoch);
    EXPECT_TRUE(hb.ok() && !hb.fenced);
    return r.broker_epoch;
  }
  const partition_assignment& partition(const std::string& t, int p) {
    return store().image()->find_topic(t)->partitions.at(static_cast<size_t>(p));
  }
};

TEST(metadata_store_brokers, a_registered_broker_is_fenced_until_it_has_caught_up) {
  harness h;
  ASSERT_TRUE(h.f.ok()) << h.f.error();
  auto r = h.do_register(registration(h.store(), 2));
  ASSERT_TRUE(r.ok()) << r.message.value_or("");
  const broker_info* b = h.store().image()->find_broker(model::node_id(2));
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->fenced);
  EXPECT_EQ(b->epoch, r.broker_epoch);
  EXPECT_EQ(b->rack, "rack-2");
  EXPECT_FALSE(h.store().image()->is_live(model::node_id(2)));

  // Behind its registration: still fenced, not caught up.
  auto behind = h.beat(2, r.broker_epoch, false, r.broker_epoch - 1);
  EXPECT_TRUE(behind.ok());
  EXPECT_FALSE(behind.caught_up);
  EXPECT_TRUE(behind.fenced);
  auto caught_up = h.beat(2, r.broker_epoch);
  EXPECT_TRUE(caught_up.caught_up);
  EXPECT_FALSE(caught_up.fenced);
  EXPECT_TRUE(h.store().image()->is_live(model::node_id(2)));
}

TEST(metadata_store_brokers, registration_errors_are_kafkas) {
  harness h;
  ASSERT_TRUE(h.f.ok()) << h.f.error();
  auto wrong_cluster = registration(h.store(), 2);
  wrong_cluster.cluster_id = "AAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_EQ(h.do_register(wrong_cluster).error, error_code::inconsistent_cluster_id);

  const auto incarnation = random_uuid();
  auto first = h.do_register(registration(h.store(), 2, incarnation));
  ASSERT_TRUE(first.ok());
  // The same process again (its answer was lost): the same epoch, nothing new written.
  const auto offset = h.store().image()->offset;
  auto again = h.do_register(registration(h.store(), 2, incarnation));
  EXPECT_EQ(again.broker_epoch, first.broker_epoch);
  EXPECT_EQ(h.store().image()->offset, offset);
  // Another process with the same id while the first one's session lasts.
  EXPECT_EQ(h.do_register(registration(h.store(), 2)).error,
            error_code::duplicate_broker_registration);
  // Heartbeats of an old or unknown registration.
  EXPECT_EQ(h.beat(2, first.broker_epoch + 1).error, error_code::stale_broker_epoch);
  EXPECT_EQ(h.beat(7, 0).error, error_code::stale_broker_epoch);
  EXPECT_EQ(h.f.run([&]() { return h.store().unregister_broker(model::node_id(7)); }).error,
            error_code::broker_id_not_registered);
}

TEST(metadata_store_brokers, partitions_spread_over_the_live_brokers) {
  harness h;
  ASSERT_TRUE(h.f.ok()) << h.f.error();
  h.join(2);
  h.join(3);
  auto created = h.f.run([&]() { return h.store().create_topic(topic("spread", 12)); });
  ASSERT_TRUE(created.ok()) << created.message.value_or("");
  std::map<int, int> leaders;
  for (int p = 0; p < 12; ++p) {
    const auto& a = h.partition("spread", p);
    ASSERT_EQ(a.replicas.size(), 1u);
    EXPECT_EQ(a.isr, a.replicas);
    EXPECT_EQ(a.leader, a.replicas.front());
    ++leaders[a.leader()];
  }
  EXPECT_EQ(leaders, (std::map<int, int>{{1, 4}, {2, 4}, {3, 4}}));
  auto rf3 = topic("three", 2);
  rf3.replication_factor = 3;
  EXPECT_TRUE(h.f.run([&]() { return h.store().create_topic(rf3); }).ok());
  auto rf4 = topic("four", 1);
  rf4.replication_factor = 4;
  EXPECT_EQ(h.f.run([&]() { return h.store().create_topic(rf4); }).error,
            error_code::invalid_replication_factor);
}

TEST(metadata_store_brokers, an_expired_session_fences_and_a_heartbeat_brings_leadership_back) {
  harness h({"broker.session.timeout.ms=300", "broker.heartbeat.interval.ms=100"});
  ASSERT_TRUE(h.f.ok()) << h.f.error();
  const int64_t epoch = h.join(2);
  auto manual = topic("on-two");
  manual.num_partitions = -1;
  manual.replication_factor = -1;
  manual.assignments = {{0, {model::node_id(2)}}};
  ASSERT_TRUE(h.f.run([&]() { return h.store().create_topic(manual); }).ok());
  auto pair = manual;
  pair.name = "pair";
  pair.assignments = {{0, {model::node_id(2), model::node_id(1)}}};
  ASSERT_TRUE(h.f.run([&]() { return h.store().create_topic(pair); }).ok());
  // Node 1 heartbeats (its own lifecycle would); broker 2 goes silent.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (h.store().image()->is_live(model::node_id(2)) &&
         std::chrono::steady_clock::now() < deadline) {
    h.beat(1, h.store().image()->find_broker(model::node_id(1))->epoch);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(h.store().image()->is_live(model::node_id(2)));
  EXPECT_TRUE(h.store().image()->is_live(model::node_id(1)));
  // The only replica keeps its place in the ISR and the partition has no leader; with another
  // in-sync replica, that one leads.
  EXPECT_EQ(h.partition("on-two", 0).leader, model::node_id(-1));
  EXPECT_EQ(h.partition("on-two", 0).isr, std::vector<model::node_id>{model::node_id(2)});
  EXPECT_EQ(h.partition("on-two", 0).leader_epoch, model::leader_epoch(1));
  EXPECT_EQ(h.partition("pair", 0).leader, model::node_id(1));
  EXPECT_EQ(h.partition("pair", 0).isr, std::vector<model::node_id>{model::node_id(1)});
  // Broker 2 heartbeats again: unfenced, and it leads its leaderless partition again.
  auto back = h.beat(2, epoch);
  EXPECT_FALSE(back.fenced);
  EXPECT_EQ(h.partition("on-two", 0).leader, model::node_id(2));
  EXPECT_EQ(h.partition("on-two", 0).leader_epoch, model::leader_epoch(2));
}

TEST(metadata_store_brokers, controlled_shutdown_moves_leadership_then_lets_go) {
  harness h;
  ASSERT_TRUE(h.f.ok()) << h.f.error();
  const int64_t epoch = h.join(2);
  auto manual = topic("shared");
  manual.num_partitions = -1;
  manual.replication_factor = -1;
  manual.assignments = {{0, {model::node_id(2), model::node_id(1)}}};
  ASSERT_TRUE(h.f.run([&]() { return h.store().create_topic(manual); }).ok());
  EXPECT_EQ(h.partition("shared", 0).leader, model::node_id(2));
  auto bye = h.beat(2, epoch, true);
  EXPECT_TRUE(bye.shut_down);
  EXPECT_TRUE(bye.fenced);
  EXPECT_EQ(h.partition("shared", 0).leader, model::node_id(1));
  EXPECT_FALSE(h.store().image()->is_live(model::node_id(2)));
  // Its id is free again at once: the next process registers without waiting for a session.
  auto next = h.do_register(registration(h.store(), 2));
  EXPECT_TRUE(next.ok());
  EXPECT_GT(next.broker_epoch, epoch);
  // And it can be removed altogether.
  EXPECT_TRUE(h.f.run([&]() { return h.store().unregister_broker(model::node_id(2)); }).ok());
  EXPECT_EQ(h.store().image()->find_broker(model::node_id(2)), nullptr);
}

TEST(metadata_store_brokers, registrations_survive_a_restart) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  int64_t epoch = 0;
  {
    store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok()) << f.error();
    epoch = f.store().image()->find_broker(model::node_id(1))->epoch;
    f.store().close();
  }
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  const broker_info* b = f.store().image()->find_broker(model::node_id(1));
  ASSERT_NE(b, nullptr);
  EXPECT_GT(b->epoch, epoch);  // registered again, as every start does
  EXPECT_TRUE(b->live());
  f.store().close();
}

}  // namespace
}  // namespace vltava::cluster
