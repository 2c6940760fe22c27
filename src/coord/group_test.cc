#include "coord/group.h"

#include <gtest/gtest.h>

#include <memory>

namespace vltava::coord {
namespace {

std::vector<std::byte> meta(char c) {
  return {static_cast<std::byte>(c)};
}

class group_test : public ::testing::Test {
 protected:
  group_test() {
    cfg.min_session_timeout_ms = 6000;
    cfg.max_session_timeout_ms = 300000;
    cfg.initial_rebalance_delay_ms = 3000;
  }

  join_request request(std::string member_id = "", char m = 'x') {
    join_request r;
    r.member_id = std::move(member_id);
    r.client_id = "c";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 20000;
    r.protocol_type = "consumer";
    r.protocols = {{"range", meta(m)}, {"roundrobin", meta(m)}};
    r.require_known_member_id = true;
    return r;
  }

  using join_slot = std::shared_ptr<std::optional<join_result>>;
  using sync_slot = std::shared_ptr<std::optional<sync_result>>;

  join_slot join(join_request r) {
    auto slot = std::make_shared<std::optional<join_result>>();
    g.join(std::move(r), now, [slot](join_result jr) { *slot = std::move(jr); });
    return slot;
  }
  sync_slot sync(const std::string& member, int32_t generation,
                 std::vector<std::pair<std::string, std::vector<std::byte>>> assignments = {}) {
    auto slot = std::make_shared<std::optional<sync_result>>();
    sync_request r;
    r.member_id = member;
    r.generation_id = generation;
    r.assignments = std::move(assignments);
    g.sync(std::move(r), now, [slot](sync_result sr) { *slot = std::move(sr); });
    return slot;
  }
  // KIP-394's two steps: the id, then the real join (which waits).
  std::pair<std::string, join_slot> join_new(join_request r) {
    auto first = join(r);
    EXPECT_TRUE(*first);
    EXPECT_EQ((*first)->error, error_code::member_id_required);
    r.member_id = (*first)->member_id;
    return {r.member_id, join(r)};
  }
  void advance(int64_t ms) {
    now += ms;
    g.tick(now);
  }
  // One member through a whole first rebalance; returns its id.
  std::string form_one_member_group() {
    auto [id, slot] = join_new(request());
    advance(3000);
    EXPECT_TRUE(*slot);
    auto s = sync(id, g.generation(), {{id, meta('A')}});
    EXPECT_TRUE(*s);
    EXPECT_EQ(g.state(), group_state::stable);
    return id;
  }

  group_config cfg;
  int counter = 0;
  member_id_source ids = [this](std::string_view c) {
    return std::string(c) + "-" + std::to_string(++counter);
  };
  group g{"g", cfg, ids};
  int64_t now = 1'000'000;
};

TEST_F(group_test, first_join_requires_member_id_then_initial_delay) {
  auto [id, slot] = join_new(request());
  EXPECT_EQ(id, "c-1");
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
  advance(2999);
  EXPECT_FALSE(*slot);  // group.initial.rebalance.delay.ms holds the first generation
  advance(1);
  ASSERT_TRUE(*slot);
  const join_result& r = **slot;
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.leader, id);
  EXPECT_EQ(r.member_id, id);
  EXPECT_EQ(r.protocol_name, "range");
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].metadata, meta('x'));
  EXPECT_EQ(g.state(), group_state::completing_rebalance);
  auto s = sync(id, 1, {{id, meta('A')}});
  ASSERT_TRUE(*s);
  EXPECT_EQ((*s)->error, error_code::none);
  EXPECT_EQ((*s)->assignment, meta('A'));
  EXPECT_EQ(g.state(), group_state::stable);
  EXPECT_TRUE(g.take_dirty());
}

TEST_F(group_test, members_arriving_during_the_delay_extend_it_and_form_one_generation) {
  auto [a, ja] = join_new(request());
  advance(1000);
  auto [b, jb] = join_new(request("", 'y'));
  advance(2000);  // the first delay ends, but a member arrived: one more delay
  EXPECT_FALSE(*ja);
  advance(3000);
  ASSERT_TRUE(*ja);
  ASSERT_TRUE(*jb);
  EXPECT_EQ((*ja)->generation_id, 1);
  EXPECT_EQ((*jb)->generation_id, 1);
  EXPECT_EQ((*ja)->leader, a);
  EXPECT_EQ((*jb)->leader, a);
  EXPECT_EQ((*ja)->members.size(), 2u);
  EXPECT_TRUE((*jb)->members.empty());
  auto sb = sync(b, 1);  // the follower waits for the leader's assignment
  EXPECT_FALSE(*sb);
  auto sa = sync(a, 1, {{a, meta('A')}, {b, meta('B')}});
  ASSERT_TRUE(*sa);
  ASSERT_TRUE(*sb);
  EXPECT_EQ((*sa)->assignment, meta('A'));
  EXPECT_EQ((*sb)->assignment, meta('B'));
}

TEST_F(group_test, heartbeat_errors_and_rebalance_on_new_member) {
  std::string a = form_one_member_group();
  EXPECT_EQ(g.heartbeat(a, std::nullopt, 1, now), error_code::none);
  EXPECT_EQ(g.heartbeat(a, std::nullopt, 7, now), error_code::illegal_generation);
  EXPECT_EQ(g.heartbeat("nobody", std::nullopt, 1, now), error_code::unknown_member_id);
  auto [b, jb] = join_new(request());
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
  EXPECT_EQ(g.heartbeat(a, std::nullopt, 1, now), error_code::rebalance_in_progress);
  auto ja = join(request(a));  // everyone is back: no delay for a group that was not empty
  ASSERT_TRUE(*ja);
  ASSERT_TRUE(*jb);
  EXPECT_EQ((*ja)->generation_id, 2);
  EXPECT_EQ((*ja)->leader, a);
  EXPECT_EQ(g.state(), group_state::completing_rebalance);
  EXPECT_EQ(g.validate_commit(2, a, std::nullopt, now), error_code::rebalance_in_progress);
  auto sync_old = sync(a, 1);
  ASSERT_TRUE(*sync_old);
  EXPECT_EQ((*sync_old)->error, error_code::illegal_generation);
}

TEST_F(group_test, session_expiry_removes_the_member_and_rebalances) {
  std::string a = form_one_member_group();
  auto [b, jb] = join_new(request());
  auto ja = join(request(a));
  ASSERT_TRUE(*jb);
  auto sa = sync(a, 2, {{a, meta('A')}, {b, meta('B')}});
  auto sb = sync(b, 2);
  ASSERT_TRUE(*sb);
  EXPECT_EQ(g.state(), group_state::stable);
  // b heartbeats, a goes silent.
  for (int i = 0; i < 3; ++i) {
    advance(3000);
    EXPECT_EQ(g.heartbeat(b, std::nullopt, 2, now), error_code::none);
  }
  EXPECT_TRUE(g.has_member(a));
  advance(3000);  // 12 s since a's last sign of life; its session is 10 s
  EXPECT_FALSE(g.has_member(a));
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
  EXPECT_EQ(g.heartbeat(b, std::nullopt, 2, now), error_code::rebalance_in_progress);
  auto jb2 = join(request(b));
  ASSERT_TRUE(*jb2);
  EXPECT_EQ((*jb2)->generation_id, 3);
  EXPECT_EQ((*jb2)->leader, b);  // the leader left, the next member leads
}

TEST_F(group_test, members_not_rejoining_within_the_rebalance_timeout_are_removed) {
  std::string a = form_one_member_group();
  auto [b, jb] = join_new(request());
  // a stays alive (heartbeats) but never rejoins: the rebalance timeout (20 s) ends the wait.
  for (int i = 0; i < 3; ++i) {
    advance(5000);
    EXPECT_EQ(g.heartbeat(a, std::nullopt, 1, now), error_code::rebalance_in_progress);
  }
  advance(4999);
  EXPECT_FALSE(*jb);
  advance(1);
  ASSERT_TRUE(*jb);
  EXPECT_EQ((*jb)->generation_id, 2);
  EXPECT_FALSE(g.has_member(a));
  EXPECT_EQ((*jb)->leader, b);
}

TEST_F(group_test, leave_rebalances_at_once_and_the_last_leaves_an_empty_group) {
  std::string a = form_one_member_group();
  EXPECT_EQ(g.leave("nobody", std::nullopt, now), error_code::unknown_member_id);
  EXPECT_EQ(g.leave(a, std::nullopt, now), error_code::none);
  EXPECT_EQ(g.state(), group_state::empty);
  EXPECT_EQ(g.generation(), 2);
  EXPECT_EQ(g.member_count(), 0u);
  // Simple commits are allowed again; a member commit is not.
  EXPECT_EQ(g.validate_commit(-1, "", std::nullopt, now), error_code::none);
  EXPECT_EQ(g.validate_commit(2, a, std::nullopt, now), error_code::unknown_member_id);
}

TEST_F(group_test, refused_joins) {
  auto r = request();
  r.session_timeout_ms = 100;
  auto j = join(r);
  EXPECT_EQ((*j)->error, error_code::invalid_session_timeout);
  r = request();
  r.protocols.clear();
  EXPECT_EQ((*join(r))->error, error_code::inconsistent_group_protocol);
  EXPECT_EQ((*join(request("made-up")))->error, error_code::unknown_member_id);
  std::string a = form_one_member_group();
  r = request();
  r.protocol_type = "connect";
  EXPECT_EQ((*join(r))->error, error_code::inconsistent_group_protocol);
  r = request();
  r.protocols = {{"sticky", meta('z')}};  // nothing in common with the members
  EXPECT_EQ((*join(r))->error, error_code::inconsistent_group_protocol);
  cfg.max_size = 1;
  EXPECT_EQ((*join(request()))->error, error_code::group_max_size_reached);
  EXPECT_EQ(g.state(), group_state::stable);
}

TEST_F(group_test, static_member_rejoins_without_rebalance) {
  auto r = request();
  r.group_instance_id = "i1";
  auto j = join(r);  // a static member needs no MEMBER_ID_REQUIRED round
  advance(3000);
  ASSERT_TRUE(*j);
  std::string a = (*j)->member_id;
  auto s = sync(a, 1, {{a, meta('A')}});
  ASSERT_TRUE(*s);
  auto r2 = request();
  r2.group_instance_id = "i2";
  auto j2 = join(r2);
  auto ja = join([&] {
    auto x = request(a);
    x.group_instance_id = "i1";
    return x;
  }());
  ASSERT_TRUE(*j2);
  std::string b = (*j2)->member_id;
  sync(a, 2, {{a, meta('A')}, {b, meta('B')}});
  auto sb = sync(b, 2);
  ASSERT_TRUE(*sb);
  EXPECT_EQ(g.state(), group_state::stable);
  // b restarts: same instance id, no member id, same subscription.
  auto again = join(r2);
  ASSERT_TRUE(*again);
  EXPECT_EQ((*again)->error, error_code::none);
  EXPECT_EQ((*again)->generation_id, 2);
  EXPECT_NE((*again)->member_id, b);
  EXPECT_EQ(g.state(), group_state::stable);
  std::string b2 = (*again)->member_id;
  auto sb2 = sync(b2, 2);
  ASSERT_TRUE(*sb2);
  EXPECT_EQ((*sb2)->assignment, meta('B'));  // its partitions, back without a rebalance
  // The old incarnation is fenced.
  EXPECT_EQ(g.heartbeat(b, std::string("i2"), 2, now), error_code::fenced_instance_id);
  EXPECT_EQ(g.validate_commit(2, b, std::string("i2"), now), error_code::fenced_instance_id);
  EXPECT_EQ(g.leave(b, std::string("i2"), now), error_code::fenced_instance_id);
  // New metadata for the same protocol: still no rebalance (Kafka compares the protocol).
  auto changed = request();
  changed.group_instance_id = "i2";
  changed.protocols = {{"range", meta('q')}, {"roundrobin", meta('q')}};
  ASSERT_TRUE(*join(changed));
  EXPECT_EQ(g.state(), group_state::stable);
  // A subscription that changes the group's protocol does rebalance.
  changed.protocols = {{"roundrobin", meta('q')}};
  join(changed);
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
  // Leaving by instance id.
  EXPECT_EQ(g.leave("", std::string("i1"), now), error_code::none);
  EXPECT_FALSE(g.has_member(a));
}

TEST_F(group_test, pending_member_that_never_returns_expires) {
  std::string a = form_one_member_group();
  auto first = join(request());
  EXPECT_EQ((*first)->error, error_code::member_id_required);
  EXPECT_EQ(g.pending_count(), 1u);
  EXPECT_EQ(g.state(), group_state::stable);  // no rebalance for a member id handed out
  advance(5000);
  EXPECT_EQ(g.heartbeat(a, std::nullopt, 1, now), error_code::none);
  advance(4999);
  EXPECT_EQ(g.heartbeat(a, std::nullopt, 1, now), error_code::none);
  EXPECT_EQ(g.pending_count(), 1u);
  advance(1);
  EXPECT_EQ(g.pending_count(), 0u);
  EXPECT_EQ(g.state(), group_state::stable);
}

TEST_F(group_test, record_round_trip_restores_an_empty_group_with_its_generation) {
  std::string a = form_one_member_group();
  group_value v = g.to_record();
  EXPECT_EQ(v.generation, 1);
  EXPECT_EQ(v.protocol, "range");
  EXPECT_EQ(v.leader, a);
  ASSERT_EQ(v.members.size(), 1u);
  EXPECT_EQ(v.members[0].assignment, meta('A'));
  EXPECT_EQ(v.members[0].subscription, meta('x'));
  group restored("g", cfg, ids);
  restored.restore(v);
  EXPECT_EQ(restored.state(), group_state::empty);
  EXPECT_EQ(restored.generation(), 1);
  EXPECT_EQ(restored.protocol_type(), "consumer");
  // The old member finds out it must rejoin.
  EXPECT_EQ(restored.heartbeat(a, std::nullopt, 1, now), error_code::unknown_member_id);
}

TEST_F(group_test, waiters_are_answered_on_shutdown) {
  auto [a, ja] = join_new(request());
  g.fail_waiters(error_code::not_coordinator);
  ASSERT_TRUE(*ja);
  EXPECT_EQ((*ja)->error, error_code::not_coordinator);
}

}  // namespace
}  // namespace vltava::coord
