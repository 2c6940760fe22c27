#include "coord/consumer_group.h"

#include <gtest/gtest.h>

namespace vltava::coord {
namespace {

protocol::uuid topic_id(uint8_t n) {
  protocol::uuid u;
  u.bytes[15] = static_cast<std::byte>(n);
  return u;
}

class consumer_group_test : public ::testing::Test {
 protected:
  consumer_group_test() {
    cfg.session_timeout_ms = 45000;
    cfg.heartbeat_interval_ms = 5000;
    topics["t"] = {topic_id(1), 12, false};
    topics["u"] = {topic_id(2), 2, false};
    topics["__consumer_offsets"] = {topic_id(9), 50, true};
  }

  consumer_heartbeat join_hb(std::string id) {
    consumer_heartbeat hb;
    hb.member_id = std::move(id);
    hb.member_epoch = 0;
    hb.rebalance_timeout_ms = 30000;
    hb.subscribed_topic_names = std::vector<std::string>{"t"};
    hb.owned = topic_partitions{};
    return hb;
  }

  consumer_heartbeat_result send(const consumer_heartbeat& hb) {
    auto [e, msg] = validate(hb);
    if (e != error_code::none) {
      consumer_heartbeat_result r;
      r.error = e;
      r.message = msg;
      return r;
    }
    return g.heartbeat(hb, topics, now, "server-chosen");
  }

  // A member's heartbeat reporting what it owns (the last assignment it was given).
  consumer_heartbeat_result beat(const std::string& id) {
    consumer_heartbeat hb;
    hb.member_id = id;
    hb.member_epoch = epochs[id];
    hb.owned = owned[id];
    auto r = send(hb);
    if (r.error == error_code::none) {
      epochs[id] = r.member_epoch;
      if (r.assignment) owned[id] = *r.assignment;
    }
    return r;
  }

  consumer_heartbeat_result join(const std::string& id) {
    auto r = send(join_hb(id));
    if (r.error == error_code::none) {
      epochs[id] = r.member_epoch;
      owned[id] = r.assignment.value_or(topic_partitions{});
    }
    return r;
  }

  // No partition owned by two members (as the members see it, and as the group sees it).
  void expect_disjoint() {
    std::map<std::pair<std::array<std::byte, 16>, int32_t>, std::string> owner;
    for (const auto& [id, m] : g.members()) {
      for (const auto* set : {&m.assigned, &m.pending_revocation}) {
        for (const auto& [t, ps] : *set) {
          for (int32_t p : ps) {
            auto [it, fresh] = owner.emplace(std::pair{t.bytes, p}, id);
            EXPECT_TRUE(fresh) << "partition " << p << " held by " << it->second << " and " << id;
          }
        }
      }
    }
  }

  // Heartbeats of every member until nothing changes.
  void converge() {
    for (int round = 0; round < 10; ++round) {
      for (auto& [id, _] : epochs) {
        if (g.members().contains(id)) beat(id);
        expect_disjoint();
      }
    }
  }

  consumer_group_config cfg;
  consumer_group g{"g", cfg};
  topic_catalog topics;
  int64_t now = 1000;
  std::map<std::string, int32_t> epochs;
  std::map<std::string, topic_partitions> owned;
};

TEST_F(consumer_group_test, first_member_gets_everything_at_epoch_one) {
  auto r = join("a");
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_id, "a");
  EXPECT_EQ(r.member_epoch, 1);
  EXPECT_EQ(r.heartbeat_interval_ms, 5000);
  ASSERT_TRUE(r.assignment);
  EXPECT_EQ(partition_count(*r.assignment), 12u);
  EXPECT_EQ(g.state(), consumer_group_state::stable);
  EXPECT_EQ(g.group_epoch(), 1);
  EXPECT_EQ(g.assignment_epoch(), 1);
}

TEST_F(consumer_group_test, v0_join_gets_a_server_member_id) {
  auto hb = join_hb("");
  hb.version = 0;
  auto r = send(hb);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_id, "server-chosen");
  hb.version = 1;
  EXPECT_EQ(send(hb).error, error_code::invalid_request);  // v1: the client names itself
}

TEST_F(consumer_group_test, second_member_waits_for_revocation) {
  join("a");
  auto rb = join("b");
  // b is at the new epoch but gets nothing while a still owns all 12.
  EXPECT_EQ(rb.member_epoch, 2);
  EXPECT_EQ(partition_count(*rb.assignment), 0u);
  expect_disjoint();
  // a is told to give up 6 and stays at epoch 1 until it reports them gone.
  auto ra = beat("a");
  EXPECT_EQ(ra.member_epoch, 1);
  EXPECT_EQ(partition_count(*ra.assignment), 6u);
  EXPECT_EQ(g.state(), consumer_group_state::reconciling);
  // b again: a still owns them (its heartbeat has not reported the revocation yet).
  EXPECT_EQ(partition_count(beat("b").assignment.value_or(topic_partitions{})), 0u);
  ra = beat("a");  // reports the 6 it owns now
  EXPECT_EQ(ra.member_epoch, 2);
  auto rb2 = beat("b");
  ASSERT_TRUE(rb2.assignment);
  EXPECT_EQ(partition_count(*rb2.assignment), 6u);
  EXPECT_TRUE(intersect(owned["a"], owned["b"]).empty());
  EXPECT_EQ(g.state(), consumer_group_state::stable);
}

TEST_F(consumer_group_test, three_members_join_and_leave_never_overlap) {
  join("a");
  join("b");
  join("c");
  converge();
  for (const auto& id : {"a", "b", "c"}) EXPECT_EQ(partition_count(owned[id]), 4u) << id;
  EXPECT_EQ(g.state(), consumer_group_state::stable);
  consumer_heartbeat leave;
  leave.member_id = "b";
  leave.member_epoch = leave_epoch;
  auto r = send(leave);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_epoch, -1);
  epochs.erase("b");
  converge();
  EXPECT_EQ(partition_count(owned["a"]) + partition_count(owned["c"]), 12u);
  EXPECT_TRUE(intersect(owned["a"], owned["c"]).empty());
}

TEST_F(consumer_group_test, stale_and_future_epochs_are_fenced) {
  join("a");
  consumer_heartbeat hb;
  hb.member_id = "a";
  hb.member_epoch = 7;
  EXPECT_EQ(send(hb).error, error_code::fenced_member_epoch);
  join("b");
  converge();
  ASSERT_GE(epochs["a"], 2);
  hb.member_epoch = epochs["a"] - 1;  // its previous epoch, but owning what it no longer has
  hb.owned = topic_partitions{{topic_id(1), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}};
  EXPECT_EQ(send(hb).error, error_code::fenced_member_epoch);
  hb.owned = owned["a"];  // the previous epoch with what it owns: a lost answer, accepted
  auto r = send(hb);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_epoch, epochs["a"]);
  hb.member_epoch = 0 - 0;  // epoch 0 again: a rejoin, answered in full
  hb.rebalance_timeout_ms = 1000;
  hb.owned = topic_partitions{};
  hb.subscribed_topic_names = std::vector<std::string>{"t"};
  r = send(hb);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_TRUE(r.assignment);
}

TEST_F(consumer_group_test, unknown_member_and_bad_requests) {
  consumer_heartbeat hb;
  hb.member_id = "ghost";
  hb.member_epoch = 3;
  EXPECT_EQ(send(hb).error, error_code::unknown_member_id);
  hb.member_epoch = leave_epoch;
  EXPECT_EQ(send(hb).error, error_code::unknown_member_id);
  hb.member_epoch = -3;
  EXPECT_EQ(send(hb).error, error_code::invalid_request);
  hb.member_epoch = static_leave_epoch;  // without an instance id
  EXPECT_EQ(send(hb).error, error_code::invalid_request);
  auto j = join_hb("x");
  j.rebalance_timeout_ms = -1;
  EXPECT_EQ(send(j).error, error_code::invalid_request);
  j = join_hb("x");
  j.subscribed_topic_names.reset();
  EXPECT_EQ(send(j).error, error_code::invalid_request);
  j = join_hb("x");
  j.owned = topic_partitions{{topic_id(1), {0}}};
  EXPECT_EQ(send(j).error, error_code::invalid_request);
  j = join_hb("x");
  j.instance_id = "";
  EXPECT_EQ(send(j).error, error_code::invalid_request);
  j = join_hb("x");
  j.server_assignor = "sticky";
  EXPECT_EQ(send(j).error, error_code::unsupported_assignor);
  j = join_hb("x");
  j.subscribed_topic_regex = "(unclosed";
  EXPECT_EQ(send(j).error, error_code::invalid_regular_expression);
  EXPECT_TRUE(g.members().empty());
}

TEST_F(consumer_group_test, session_timeout_frees_partitions) {
  join("a");
  join("b");
  converge();
  now += 40000;
  beat("a");  // a stays alive, b goes quiet
  now += 6000;
  EXPECT_EQ(g.tick(now), 1u);
  EXPECT_FALSE(g.members().contains("b"));
  epochs.erase("b");
  converge();
  EXPECT_EQ(partition_count(owned["a"]), 12u);
}

TEST_F(consumer_group_test, member_that_never_revokes_is_removed_after_rebalance_timeout) {
  join("a");
  join("b");
  beat("a");  // told to revoke 6
  auto it = g.members().find("a");
  ASSERT_EQ(it->second.state, member_state::unrevoked_partitions);
  now += 30000;
  EXPECT_EQ(g.tick(now), 1u);
  EXPECT_FALSE(g.members().contains("a"));
  epochs.erase("a");
  converge();
  EXPECT_EQ(partition_count(owned["b"]), 12u);
}

TEST_F(consumer_group_test, static_member_leaves_and_its_instance_returns) {
  auto j = join_hb("a1");
  j.instance_id = "inst";
  ASSERT_EQ(send(j).error, error_code::none);
  auto dup = join_hb("a2");
  dup.instance_id = "inst";
  EXPECT_EQ(send(dup).error, error_code::unreleased_instance_id);
  consumer_heartbeat leave;
  leave.member_id = "a1";
  leave.member_epoch = static_leave_epoch;
  leave.instance_id = "inst";
  auto r = send(leave);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_epoch, static_leave_epoch);
  const int32_t epoch_before = g.group_epoch();
  r = send(dup);  // the new instance takes over: same epoch, same partitions
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_epoch, 1);
  EXPECT_EQ(partition_count(*r.assignment), 12u);
  EXPECT_EQ(g.group_epoch(), epoch_before);
  EXPECT_FALSE(g.members().contains("a1"));
}

TEST_F(consumer_group_test, group_max_size) {
  cfg.max_size = 1;
  join("a");
  EXPECT_EQ(join("b").error, error_code::group_max_size_reached);
}

TEST_F(consumer_group_test, regex_subscription_and_new_partitions) {
  auto j = join_hb("a");
  j.subscribed_topic_names.reset();
  j.subscribed_topic_regex = "t|u|__.*";
  auto r = send(j);
  ASSERT_EQ(r.error, error_code::none);
  EXPECT_EQ(partition_count(*r.assignment), 14u);  // internal topics are never matched
  topics["t"].partitions = 16;                     // partitions added: the group epoch moves
  epochs["a"] = r.member_epoch;
  owned["a"] = *r.assignment;
  auto r2 = beat("a");
  EXPECT_EQ(r2.member_epoch, 2);
  EXPECT_EQ(partition_count(*r2.assignment), 18u);
}

TEST_F(consumer_group_test, range_assignor_chosen_by_members) {
  auto j = join_hb("a");
  j.server_assignor = "range";
  send(j);
  j.member_id = "b";
  send(j);
  EXPECT_EQ(g.assignor(), "range");
  EXPECT_EQ(g.target().at("a").at(topic_id(1)), (std::set<int32_t>{0, 1, 2, 3, 4, 5}));
}

TEST_F(consumer_group_test, offset_commit_checks_member_epoch) {
  EXPECT_EQ(g.validate_commit("", -1), error_code::none);  // empty group: admin commits
  join("a");
  EXPECT_EQ(g.validate_commit("", -1), error_code::unknown_member_id);
  EXPECT_EQ(g.validate_commit("zz", 1), error_code::unknown_member_id);
  EXPECT_EQ(g.validate_commit("a", 1), error_code::none);
  EXPECT_EQ(g.validate_commit("a", 0), error_code::stale_member_epoch);
}

}  // namespace
}  // namespace vltava::coord
