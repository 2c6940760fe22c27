#include "quorum/service/storage_disk.h"

#include <gtest/gtest.h>

#include "quorum/io/test_support.h"

namespace vltava::quorum {
namespace {

using namespace std::chrono_literals;
using model::leader_epoch;
using model::node_id;

quorum_config one_voter() {
  return {"disk-cluster", {node_id(1)}, 100ms, 200ms, 100ms, 10ms};
}

struct no_peers final : quorum_transport {
  net::awaitable<result<message, std::string>> call(node_id, message) override {
    co_return fail(std::string("no peers"));
  }
};

template <typename Pred>
bool run_until(asio::io_context& ctx, Pred done) {
  auto until = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < until) {
    ctx.run_for(5ms);
    if (ctx.stopped()) ctx.restart();
  }
  return done();
}

// One life of a node: its metadata log, quorum-state file and service over them.
struct node_life {
  node_life(asio::io_context& ctx, testing::node_disk& d)
      : log(d.open(node_id(1), {node_id(1)})),
        state(d.io, d.dir, {node_id(1)}),
        disk(ctx.get_executor(), *log, state),
        service(ctx.get_executor(), one_voter(), node_id(1), *log, disk, peers,
                state.read().value(), [this](const std::vector<entry>& es) {
                  applied.insert(applied.end(), es.begin(), es.end());
                }) {}

  std::unique_ptr<storage_log> log;
  quorum_state_file state;
  storage_disk disk;
  no_peers peers;
  quorum_service service;
  std::vector<entry> applied;
};

net::awaitable<void> append_two(quorum_service* s,
                                std::optional<result<model::offset, errc>>* out) {
  std::vector<batch> batches{testing::data(3, "a"), testing::data(1, "b")};
  *out = co_await s->append(std::move(batches));
}

void stop(asio::io_context& ctx, quorum_service& s) {
  bool stopped = false;
  asio::co_spawn(ctx, s.stop(), [&stopped](std::exception_ptr) { stopped = true; });
  ASSERT_TRUE(run_until(ctx, [&] { return stopped; }));
}

TEST(storage_disk, a_node_commits_on_disk_and_restarts_with_it) {
  asio::io_context ctx;
  testing::node_disk d;
  std::vector<entry> first_life;
  {
    node_life n(ctx, d);
    n.service.start();
    std::optional<result<model::offset, errc>> out;
    ASSERT_TRUE(run_until(ctx, [&] { return n.service.node().current_role() == role::leader; }));
    asio::co_spawn(ctx, append_two(&n.service, &out), asio::detached);
    ASSERT_TRUE(run_until(ctx, [&] { return out.has_value(); }));
    ASSERT_TRUE(*out);
    EXPECT_EQ(**out, model::offset(4));  // leader change [0], "a" [1,4), "b" [4]
    ASSERT_EQ(n.applied.size(), 3u);
    first_life = n.applied;
    stop(ctx, n.service);
  }
  node_life n(ctx, d);
  EXPECT_EQ(n.state.read().value(), (election_state{leader_epoch(1), node_id(1), node_id(1)}));
  n.service.start();
  ASSERT_TRUE(run_until(ctx, [&] { return n.applied.size() >= 4; }));
  EXPECT_TRUE(std::equal(first_life.begin(), first_life.end(), n.applied.begin()));
  EXPECT_EQ(n.applied[3].kind, entry_kind::leader_change);
  EXPECT_EQ(n.applied[3].epoch, leader_epoch(2));
  stop(ctx, n.service);
}

TEST(storage_disk, flush_reports_the_durable_end_on_the_executor) {
  asio::io_context ctx;
  testing::node_disk d;
  auto log = d.open();
  quorum_state_file state(d.io, d.dir, {node_id(1)});
  storage_disk disk(ctx.get_executor(), *log, state);
  log->append({{model::offset(0), leader_epoch(1), entry_kind::leader_change, {}, 1}});
  std::optional<result<model::offset, std::string>> end;
  disk.flush([&end](result<model::offset, std::string> r) { end = std::move(r); });
  EXPECT_FALSE(end.has_value());  // never inline: on the executor
  ASSERT_TRUE(run_until(ctx, [&] { return end.has_value(); }));
  ASSERT_TRUE(*end);
  EXPECT_EQ(**end, model::offset(1));
}

}  // namespace
}  // namespace vltava::quorum
