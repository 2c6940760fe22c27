#include "quorum/service/quorum_service.h"

#include <gtest/gtest.h>

#include <set>

#include "quorum/memory_log.h"

namespace vltava::quorum {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

struct test_node;

// Routes calls straight to the peer's handle_request, unless the link is cut.
struct cluster {
  std::map<model::node_id, test_node*> nodes;
  std::set<model::node_id> isolated;
};

struct loop_transport final : quorum_transport {
  loop_transport(cluster& c, model::node_id self) : c(c), self(self) {}
  net::awaitable<result<message, std::string>> call(model::node_id to, message request) override;
  cluster& c;
  model::node_id self;
};

// Flushes the memory log at once (a fast disk) and counts persisted election states.
struct memory_disk final : quorum_disk {
  explicit memory_disk(memory_log& l) : l(l) {}
  result<void, std::string> persist(const election_state& s) override {
    persisted = s;
    return {};
  }
  void flush(std::function<void(result<model::offset, std::string>)> done) override {
    done(l.flush());
  }
  std::optional<std::string> failure() const override { return std::nullopt; }
  memory_log& l;
  std::optional<election_state> persisted;
};

quorum_config three_voters() {
  quorum_config c;
  c.cluster_id = "test-cluster";
  c.voters = {model::node_id(1), model::node_id(2), model::node_id(3)};
  c.election_timeout = 100ms;
  c.fetch_timeout = 200ms;
  c.request_timeout = 100ms;
  c.retry_backoff = 10ms;
  c.fetch_max_wait = 50ms;
  return c;
}

struct test_node {
  test_node(asio::io_context& ctx, cluster& c, quorum_config cfg, model::node_id id)
      : disk(log),
        transport(c, id),
        service(ctx.get_executor(), std::move(cfg), id, log, disk, transport, {},
                [this](const std::vector<entry>& es) {
                  for (const auto& e : es) applied.push_back(e);
                }) {
    c.nodes[id] = this;
  }
  memory_log log;
  memory_disk disk;
  loop_transport transport;
  quorum_service service;
  std::vector<entry> applied;
};

net::awaitable<result<message, std::string>> loop_transport::call(model::node_id to,
                                                                  message request) {
  if (c.isolated.count(to) || c.isolated.count(self)) co_return fail(std::string("cut"));
  auto answer = co_await c.nodes.at(to)->service.handle_request(self, std::move(request));
  if (!answer || c.isolated.count(to) || c.isolated.count(self)) {
    co_return fail(std::string("no answer"));
  }
  co_return std::move(*answer);
}

// Runs the io_context until `done` holds or `limit` passes (real time: the service is real).
template <typename Pred>
bool run_until(asio::io_context& ctx, Pred done, milliseconds limit = 5s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until) {
    ctx.run_for(5ms);
    if (ctx.stopped()) ctx.restart();
  }
  return done();
}

test_node* leader_of(cluster& c) {
  for (auto& [id, n] : c.nodes) {
    if (!c.isolated.count(id) && n->service.node().current_role() == role::leader) return n;
  }
  return nullptr;
}

net::awaitable<void> append_one(test_node* n, std::string payload,
                                std::optional<result<model::offset, errc>>* out) {
  std::vector<batch> one{{std::move(payload), 1}};
  *out = co_await n->service.append(std::move(one));
}

net::awaitable<void> stop_all(cluster* c) {
  for (auto& [id, n] : c->nodes) co_await n->service.stop();
}

class quorum_service_test : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 3; ++i) {
      nodes.push_back(std::make_unique<test_node>(ctx, c, three_voters(), model::node_id(i)));
    }
    for (auto& n : nodes) n->service.start();
  }
  void TearDown() override {
    c.isolated.clear();
    bool stopped = false;
    asio::co_spawn(ctx, stop_all(&c), [&stopped](std::exception_ptr) { stopped = true; });
    run_until(ctx, [&] { return stopped; });
  }

  // Appends on the current leader and waits for the answer.
  result<model::offset, errc> append(const std::string& payload) {
    test_node* l = nullptr;
    if (!run_until(ctx, [&] { return (l = leader_of(c)) != nullptr; })) {
      return fail(errc::not_leader_or_follower);
    }
    std::optional<result<model::offset, errc>> out;
    asio::co_spawn(ctx, append_one(l, payload, &out), asio::detached);
    run_until(ctx, [&] { return out.has_value(); });
    return out ? *out : fail(errc::not_leader_or_follower);
  }

  asio::io_context ctx;
  cluster c;
  std::vector<std::unique_ptr<test_node>> nodes;
};

std::vector<std::string> data_payloads(const std::vector<entry>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) {
    if (e.kind == entry_kind::data) out.push_back(e.payload);
  }
  return out;
}

TEST_F(quorum_service_test, ElectsOneLeaderAndEveryNodeAppliesWhatItCommits) {
  ASSERT_TRUE(append("a"));
  ASSERT_TRUE(append("b"));
  auto committed = append("c");
  ASSERT_TRUE(committed);
  ASSERT_TRUE(run_until(ctx, [&] {
    for (auto& n : nodes) {
      if (data_payloads(n->applied).size() < 3) return false;
    }
    return true;
  }));
  for (auto& n : nodes) {
    EXPECT_EQ(data_payloads(n->applied), (std::vector<std::string>{"a", "b", "c"}));
    ASSERT_TRUE(n->disk.persisted);  // every voter voted or learned the leader durably
  }
}

TEST_F(quorum_service_test, AnIsolatedLeaderIsReplacedAndItsPendingAppendFails) {
  ASSERT_TRUE(append("before"));
  test_node* old = leader_of(c);
  ASSERT_NE(old, nullptr);
  const auto old_epoch = old->service.node().epoch();
  c.isolated.insert(old->service.node().id());
  // The isolated leader cannot commit: its append fails once it resigns (check-quorum).
  std::optional<result<model::offset, errc>> stuck;
  asio::co_spawn(ctx, append_one(old, "lost?", &stuck), asio::detached);
  ASSERT_TRUE(run_until(ctx, [&] { return stuck.has_value(); }));
  EXPECT_FALSE(*stuck);
  // The other two elect a new leader that commits.
  ASSERT_TRUE(append("after"));
  test_node* now_leading = leader_of(c);
  ASSERT_NE(now_leading, nullptr);
  EXPECT_NE(now_leading, old);
  EXPECT_GT(now_leading->service.node().epoch(), old_epoch);
  // Healed, the old leader follows and applies the same entries.
  c.isolated.clear();
  ASSERT_TRUE(
      run_until(ctx,
                [&] {
                  return data_payloads(old->applied) == std::vector<std::string>{"before", "after"};
                }))
      << "the old leader applied " << data_payloads(old->applied).size() << " entries";
}

TEST_F(quorum_service_test, AFollowerRefusesAnAppend) {
  ASSERT_TRUE(append("x"));
  for (auto& n : nodes) {
    if (n.get() == leader_of(c)) continue;
    std::optional<result<model::offset, errc>> out;
    asio::co_spawn(ctx, append_one(n.get(), "no", &out), asio::detached);
    ASSERT_TRUE(run_until(ctx, [&] { return out.has_value(); }));
    ASSERT_FALSE(*out);
    EXPECT_EQ(out->error(), errc::not_leader_or_follower);
  }
}

TEST(quorum_service_single, AOneVoterQuorumCommitsAlone) {
  asio::io_context ctx;
  cluster c;
  quorum_config cfg = three_voters();
  cfg.voters = {model::node_id(1)};
  test_node n(ctx, c, cfg, model::node_id(1));
  n.service.start();
  std::optional<result<model::offset, errc>> out;
  run_until(ctx, [&] { return n.service.node().current_role() == role::leader; });
  asio::co_spawn(ctx, append_one(&n, "solo", &out), asio::detached);
  ASSERT_TRUE(run_until(ctx, [&] { return out.has_value(); }));
  ASSERT_TRUE(*out);
  EXPECT_EQ(data_payloads(n.applied), std::vector<std::string>{"solo"});
  bool stopped = false;
  asio::co_spawn(ctx, n.service.stop(), [&stopped](std::exception_ptr) { stopped = true; });
  run_until(ctx, [&] { return stopped; });
}

}  // namespace
}  // namespace vltava::quorum
