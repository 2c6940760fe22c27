// Three quorum_services on real disks (storage_log, quorum-state files in temp dirs), each
// behind its own net::server, talking Kafka's RPCs over loopback sockets through
// kafka_transport and rpc::answer: an election, replication and commit of real batches,
// DescribeQuorum, and a graceful resignation (EndQuorumEpoch) that elects a successor.
// Everything of the nodes runs on the one shard of a shard_pool; the test thread asks there.

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "net/kafka_call.h"
#include "net/server.h"
#include "protocol/framing.h"
#include "quorum/io/test_support.h"
#include "quorum/net/answer.h"
#include "quorum/net/transport.h"
#include "quorum/service/storage_disk.h"

namespace vltava::quorum::rpc {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

const std::vector<model::node_id> voters{model::node_id(1), model::node_id(2), model::node_id(3)};

quorum_config config() {
  quorum_config c;
  c.cluster_id = "socket-cluster";
  c.voters = voters;
  c.election_timeout = 150ms;
  c.fetch_timeout = 300ms;
  c.request_timeout = 200ms;
  c.retry_backoff = 10ms;
  c.fetch_max_wait = 50ms;
  return c;
}

milliseconds unix_ms_at_steady_zero() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch() -
                                     steady_clock::now().time_since_epoch());
}

struct node;
net::awaitable<net::handler_result> serve(node* n, net::frame_bytes frame);

struct node {
  node(net::shard_pool& pool, model::node_id id)
      : id(id),
        log(disk.open(id, voters)),
        state(disk.io, disk.dir, voters),
        durable(pool.shard(0).get_executor(), *log, state),
        server(pool, net::server_limits{}, [this](const net::connection_info&, net::frame_bytes f) {
          return serve(this, std::move(f));
        }) {
    EXPECT_TRUE(server.listen({"CONTROLLER", "127.0.0.1", 0}));
  }
  // Once every node listens: the service, with a transport to the others.
  void start(net::shard_pool& pool, const std::vector<peer_address>& peers) {
    transport_options o;
    o.request_timeout = 500ms;
    o.send.fetch.max_wait_ms = 50;
    transport = std::make_unique<kafka_transport>(pool.shard(0).get_executor(), peers, o);
    service = std::make_unique<quorum_service>(
        pool.shard(0).get_executor(), config(), id, *log, durable, *transport, state.read().value(),
        [this](const std::vector<entry>& es) {
          applied.insert(applied.end(), es.begin(), es.end());
        });
    service->start();
    server.start();
  }

  model::node_id id;
  quorum::testing::node_disk disk;
  std::unique_ptr<storage_log> log;
  quorum_state_file state;
  storage_disk durable;
  net::server server;
  std::unique_ptr<kafka_transport> transport;
  std::unique_ptr<quorum_service> service;
  std::vector<entry> applied;  // on the shard only
  bool stopped = false;
};

template <typename Response>
net::handler_result reply(const protocol::request_header& h, const Response& body) {
  protocol::writer w;
  protocol::write_response_header(w, protocol::response_header_version(h.api_key, h.api_version),
                                  h.correlation_id);
  body.encode(w, h.api_version);
  return net::handler_result{net::response{{std::move(w).take()}}};
}

template <typename Api>
std::optional<typename Api::request_type> decode(const protocol::request_header& h,
                                                 std::span<const std::byte> frame) {
  typename Api::request_type request;
  protocol::reader r(frame.subspan(h.body_offset), h.body_offset);
  if (!request.decode(r, h.api_version)) return std::nullopt;
  return request;
}

// What the lead's Kafka handlers do, in short: decode, rpc::answer, encode.
template <typename Api>
net::awaitable<net::handler_result> answer_api(node* n, const protocol::request_header& h,
                                               std::span<const std::byte> frame) {
  auto request = decode<Api>(h, frame);
  if (!request) co_return net::handler_result{std::nullopt, true};
  const local_quorum local{"socket-cluster", n->id};
  auto ask = [svc = n->service.get()](model::node_id from, message m) {
    return svc->handle_request(from, std::move(m));
  };
  auto response = co_await answer(std::move(*request), h.api_version,
                                  correlation_id(h.correlation_id), local, ask);
  if constexpr (std::is_same_v<decltype(response), fetch_answer>) {
    co_return reply(h, response.body);
  } else {
    co_return reply(h, response);
  }
}

net::awaitable<net::handler_result> serve(node* n, net::frame_bytes frame) {
  auto h = protocol::parse_request_header(frame);
  if (!h) co_return net::handler_result{std::nullopt, true};
  switch (h->api_key) {
    case protocol::vote_api::key:
      co_return co_await answer_api<protocol::vote_api>(n, *h, frame);
    case protocol::begin_quorum_epoch_api::key:
      co_return co_await answer_api<protocol::begin_quorum_epoch_api>(n, *h, frame);
    case protocol::end_quorum_epoch_api::key:
      co_return co_await answer_api<protocol::end_quorum_epoch_api>(n, *h, frame);
    case protocol::fetch_api::key:
      co_return co_await answer_api<protocol::fetch_api>(n, *h, frame);
    case protocol::describe_quorum_api::key: {
      auto request = decode<protocol::describe_quorum_api>(*h, frame);
      if (!request) co_return net::handler_result{std::nullopt, true};
      co_return reply(
          *h, describe_quorum(*request, n->service->describe(), n->id, unix_ms_at_steady_zero()));
    }
    default:
      co_return net::handler_result{std::nullopt, true};
  }
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto id : voters) _nodes.push_back(std::make_unique<node>(_pool, id));
    std::vector<peer_address> peers;
    for (auto& n : _nodes) peers.push_back({n->id, "127.0.0.1", n->server.bound_port(0)});
    for (auto& n : _nodes) n->start(_pool, peers);
    _pool.start();
  }
  void TearDown() override {
    for (auto& n : _nodes) {
      if (n->service && !n->stopped) stop(*n);
    }
    for (auto& n : _nodes) n->server.shutdown(500ms);
    _pool.stop();
    _nodes.clear();
  }

  // Runs `f` on the shard and returns its result.
  template <typename F>
  auto on_shard(F f) {
    std::promise<decltype(f())> p;
    asio::post(_pool.shard(0), [&p, &f] { p.set_value(f()); });
    return p.get_future().get();
  }
  template <typename Pred>
  bool eventually(Pred pred, milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (on_shard(pred)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  // On the shard: how many nodes lead (a stopped one still counts its last role).
  int leaders_now() {
    int leaders = 0;
    for (auto& n : _nodes) {
      leaders += !n->stopped && n->service->node().current_role() == role::leader;
    }
    return leaders;
  }
  node* leader() {
    return on_shard([this]() -> node* {
      for (auto& n : _nodes) {
        if (n->service && n->service->node().current_role() == role::leader) return n.get();
      }
      return nullptr;
    });
  }
  void stop(node& n) {
    n.stopped = true;
    std::promise<void> stopped;
    asio::co_spawn(_pool.shard(0), n.service->stop(),
                   [&stopped](std::exception_ptr) { stopped.set_value(); });
    stopped.get_future().get();
  }

  net::shard_pool _pool{1};
  std::vector<std::unique_ptr<node>> _nodes;
};

net::awaitable<void> append_batches(quorum_service* s,
                                    std::promise<result<model::offset, errc>>* out) {
  std::vector<batch> batches{quorum::testing::data(3, "a"), quorum::testing::data(2, "b")};
  out->set_value(co_await s->append(std::move(batches)));
}

using described = result<net::decoded_response<protocol::describe_quorum_response>, net::call_errc>;

net::awaitable<void> describe(net::kafka_client* c, std::promise<described>* out) {
  protocol::describe_quorum_request r;
  r.topics.push_back({"__cluster_metadata", {{model::partition_id(0), {}}}, {}});
  out->set_value(co_await net::call<protocol::describe_quorum_api>(*c, r, 2));
}

TEST_F(ClusterTest, ElectsReplicatesAndCommitsOverSockets) {
  ASSERT_TRUE(eventually([this] { return leaders_now() == 1; }));
  node* l = leader();
  ASSERT_NE(l, nullptr);
  std::promise<result<model::offset, errc>> appended;
  asio::co_spawn(_pool.shard(0), append_batches(l->service.get(), &appended), asio::detached);
  auto last = appended.get_future().get();
  ASSERT_TRUE(last);
  // Every node applies the same entries: the leader change and the two batches (5 records).
  ASSERT_TRUE(eventually([this, &last] {
    for (auto& n : _nodes) {
      if (n->applied.empty() || n->applied.back().next_offset() != *last + 1) return false;
    }
    return true;
  }));
  auto same = on_shard([this] {
    return _nodes[0]->applied == _nodes[1]->applied && _nodes[1]->applied == _nodes[2]->applied;
  });
  EXPECT_TRUE(same);

  // DescribeQuorum from a client, as kafka-metadata-quorum.sh asks.
  std::promise<described> d;
  auto client = std::make_unique<net::kafka_client>(_pool.shard(0).get_executor(), "127.0.0.1",
                                                    l->server.bound_port(0));
  asio::co_spawn(_pool.shard(0), describe(client.get(), &d), asio::detached);
  auto answer = d.get_future().get();
  on_shard([&client] {
    client.reset();  // on its executor
    return 0;
  });
  ASSERT_TRUE(answer);
  const auto& p = answer->body.topics.at(0).partitions.at(0);
  EXPECT_EQ(p.leader_id, l->id);
  EXPECT_EQ(p.current_voters.size(), 3u);
  EXPECT_GE(p.high_watermark, *last + 1);
}

TEST_F(ClusterTest, AResigningLeaderIsSucceededAtOnce) {
  ASSERT_TRUE(eventually([this] { return leaders_now() == 1; }));
  node* old = leader();
  const auto old_epoch = on_shard([old] { return old->service->node().epoch(); });
  const auto t0 = std::chrono::steady_clock::now();
  stop(*old);  // resigns with EndQuorumEpoch
  ASSERT_TRUE(eventually([this, old, old_epoch] {
    for (auto& n : _nodes) {
      if (n.get() != old && n->service->node().current_role() == role::leader &&
          n->service->node().epoch() > old_epoch) {
        return true;
      }
    }
    return false;
  }));
  // A leader that vanished silently would cost the fetch timeout (300 ms) and an election
  // timeout (150-300 ms) before anyone stood; EndQuorumEpoch starts the election at once.
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
  std::printf("successor elected %lld ms after the resignation began\n",
              static_cast<long long>(took.count()));
  EXPECT_LT(took, 1s);
}

}  // namespace
}  // namespace vltava::quorum::rpc
