#include "net/kafka_client.h"

#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <string>
#include <thread>

#include "bytes/endian.h"
#include "net/kafka_call.h"
#include "net/server.h"
#include "protocol/framing.h"
#include "protocol/generated/vote.h"

namespace vltava::net {
namespace {

using std::chrono::milliseconds;
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);
// Text requests travel as DescribeQuorum v0 (header v2), typed ones as Vote v2.
constexpr int16_t test_key = 55;
constexpr int16_t test_version = 0;

std::vector<std::byte> to_bytes(std::string_view s) {
  std::vector<std::byte> b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return b;
}

std::string to_string(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

void answer_vote(protocol::writer& w, std::span<const std::byte> body, int16_t version) {
  protocol::vote_request request;
  protocol::reader r(body);
  if (!request.decode(r, version) || request.cluster_id == "garbage") {
    w.write_raw(to_bytes("garbage"));
    return;
  }
  protocol::vote_response response;
  response.topics.push_back({"__cluster_metadata", {{}}});
  response.topics[0].partitions[0].vote_granted = true;
  response.topics[0].partitions[0].leader_epoch =
      model::leader_epoch(request.topics.at(0).partitions.at(0).replica_epoch);
  response.encode(w, version);
}

// The peer's test protocol, on the request body: "d<ms>:<text>" answers <text> after <ms>;
// "big:<n>" answers n bytes; "wrong-id" answers with another correlation id; anything else is
// echoed. A Vote request is granted, or answered with garbage for cluster id "garbage".
awaitable<handler_result> test_peer(const connection_info&, frame_bytes frame) {
  auto header = protocol::parse_request_header(frame);
  if (!header) co_return handler_result{std::nullopt, true};
  auto body = std::span<const std::byte>(frame).subspan(header->body_offset);
  std::string text = to_string(body);
  int32_t correlation_id = header->correlation_id;
  protocol::writer w;
  if (text == "wrong-id") ++correlation_id;
  protocol::write_response_header(
      w, protocol::response_header_version(header->api_key, header->api_version), correlation_id);
  if (header->client_id != "test-client") text = "bad client id";
  if (header->api_key == protocol::vote_api::key) {
    answer_vote(w, body, header->api_version);
    co_return handler_result{response{{std::move(w).take()}}};
  }
  if (text.starts_with("d")) {
    const size_t colon = text.find(':');
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(milliseconds(std::stoi(text.substr(1, colon - 1))));
    co_await t.async_wait(as_tuple);
    text = text.substr(colon + 1);
  } else if (text.starts_with("big:")) {
    text = std::string(std::stoul(text.substr(4)), 'x');
  }
  w.write_raw(to_bytes(text));
  co_return handler_result{response{{std::move(w).take()}}};
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

template <typename T>
awaitable<void> store(awaitable<T> a, std::optional<T>& out) {
  out.emplace(co_await std::move(a));
}

// Runs `a` on `ctx` until it completes (the client's own loops keep the context busy).
template <typename T>
T run(asio::io_context& ctx, awaitable<T> a) {
  std::optional<T> out;
  ctx.restart();  // a context that ran out of work stays stopped until restarted
  asio::co_spawn(ctx, store(std::move(a), out), rethrow);
  while (!out) {
    if (ctx.run_one() == 0) throw std::runtime_error("the awaited call never completes");
  }
  return std::move(*out);
}

using call_result = result<response_frame, call_errc>;

awaitable<call_result> send(kafka_client& c, std::string text, milliseconds timeout) {
  co_return co_await c.call(test_key, test_version, 2, to_bytes(text), timeout);
}

std::string body_of(const call_result& r) {
  return r ? to_string(r->body()) : to_string(r.error());
}

// Several calls at once: results in call order.
awaitable<std::vector<call_result>> send_all(kafka_client& c, std::vector<std::string> texts,
                                             milliseconds timeout) {
  std::vector<std::optional<call_result>> slots(texts.size());
  auto ex = co_await asio::this_coro::executor;
  size_t done = 0;
  asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
  for (size_t i = 0; i < texts.size(); ++i) {
    asio::co_spawn(ex, store(send(c, texts[i], timeout), slots[i]),
                   [&done, &all_done, n = texts.size()](std::exception_ptr e) {
                     rethrow(e);
                     if (++done == n) all_done.cancel();
                   });
  }
  while (done < texts.size()) co_await all_done.async_wait(as_tuple);
  std::vector<call_result> out;
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

class KafkaClientTest : public ::testing::Test {
 protected:
  void start_peer(uint16_t port = 0) {
    _pool = std::make_unique<shard_pool>(1);
    _server = std::make_unique<server>(*_pool, server_limits{}, test_peer);
    ASSERT_TRUE(_server->listen({"CONTROLLER", "127.0.0.1", port}));
    _server->start();
    _pool->start();
    _port = _server->bound_port(0);
  }
  void stop_peer() {
    _server->shutdown(milliseconds(500));
    _pool->stop();
    _server.reset();
    _pool.reset();
  }
  void TearDown() override {
    _client.reset();
    if (_server) stop_peer();
  }
  kafka_client& client(client_options o = {}) {
    o.client_id = "test-client";
    _client = std::make_unique<kafka_client>(_ctx.get_executor(), "127.0.0.1", _port, o);
    return *_client;
  }

  asio::io_context _ctx;
  std::unique_ptr<shard_pool> _pool;
  std::unique_ptr<server> _server;
  std::unique_ptr<kafka_client> _client;
  uint16_t _port = 0;
};

TEST_F(KafkaClientTest, RoundTrip) {
  start_peer();
  auto& c = client();
  EXPECT_EQ(body_of(run(_ctx, send(c, "hello", milliseconds(5000)))), "hello");
  EXPECT_EQ(body_of(run(_ctx, send(c, "again", milliseconds(5000)))), "again");
}

TEST_F(KafkaClientTest, PipelinedCallsAreAnsweredInOrder) {
  start_peer();
  auto& c = client();
  std::vector<std::string> texts;
  // Later requests finish first at the peer; each call still gets its own answer.
  for (int i = 0; i < 8; ++i)
    texts.push_back("d" + std::to_string((8 - i) * 10) + ":r" + std::to_string(i));
  auto results = run(_ctx, send_all(c, texts, milliseconds(5000)));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(body_of(results[i]), "r" + std::to_string(i));
}

TEST_F(KafkaClientTest, TimeoutFailsTheCallAndTheNextCallReconnects) {
  start_peer();
  auto& c = client();
  auto r = run(_ctx, send(c, "d300:late", milliseconds(50)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), call_errc::timed_out);
  // The late answer must not be taken for the next call's: the connection was closed.
  EXPECT_EQ(body_of(run(_ctx, send(c, "next", milliseconds(5000)))), "next");
}

TEST_F(KafkaClientTest, TimeoutClosesTheConnectionForOtherCallsInFlight) {
  start_peer();
  auto& c = client();
  auto results = run(_ctx, send_all(c, {"d1000:slow", "d1000:other"}, milliseconds(1)));
  EXPECT_FALSE(results[0]);
  EXPECT_FALSE(results[1]);
}

TEST_F(KafkaClientTest, OversizedResponseIsRefused) {
  start_peer();
  client_options o;
  o.response_max_bytes = 1000;
  auto& c = client(o);
  EXPECT_EQ(body_of(run(_ctx, send(c, "big:900", milliseconds(5000)))).size(), 900u);
  auto r = run(_ctx, send(c, "big:2000", milliseconds(5000)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), call_errc::response_too_large);
  EXPECT_EQ(body_of(run(_ctx, send(c, "after", milliseconds(5000)))), "after");
}

TEST_F(KafkaClientTest, WrongCorrelationIdFailsEveryCallInFlight) {
  start_peer();
  auto& c = client();
  auto results = run(_ctx, send_all(c, {"wrong-id", "d50:second"}, milliseconds(5000)));
  ASSERT_FALSE(results[0]);
  EXPECT_EQ(results[0].error(), call_errc::protocol_error);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error(), call_errc::protocol_error);
  EXPECT_EQ(body_of(run(_ctx, send(c, "after", milliseconds(5000)))), "after");
}

TEST_F(KafkaClientTest, ConnectFailsWhenNobodyListens) {
  start_peer();
  stop_peer();  // the port is now free
  auto& c = client();
  auto r = run(_ctx, send(c, "x", milliseconds(5000)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), call_errc::connect_failed);
}

TEST_F(KafkaClientTest, ReconnectsAfterThePeerRestarts) {
  start_peer();
  client_options o;
  o.retry_backoff = milliseconds(100);
  auto& c = client(o);
  EXPECT_EQ(body_of(run(_ctx, send(c, "before", milliseconds(5000)))), "before");
  const uint16_t port = _port;
  stop_peer();
  auto down = run(_ctx, send(c, "while down", milliseconds(5000)));
  ASSERT_FALSE(down);
  start_peer(port);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(body_of(run(_ctx, send(c, "after", milliseconds(5000)))), "after");
  // The failure before was at most a few ms ago: the new connection waited for the backoff.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(50));
}

TEST_F(KafkaClientTest, TooManyCallsInFlight) {
  start_peer();
  client_options o;
  o.max_in_flight = 2;
  auto& c = client(o);
  auto results = run(_ctx, send_all(c, {"d50:a", "d50:b", "c"}, milliseconds(5000)));
  EXPECT_EQ(body_of(results[0]), "a");
  EXPECT_EQ(body_of(results[1]), "b");
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error(), call_errc::too_many_in_flight);
}

TEST_F(KafkaClientTest, DestroyingTheClientFailsCallsInFlight) {
  start_peer();
  auto& c = client();
  std::optional<call_result> out;
  asio::co_spawn(_ctx, store(send(c, "d1000:never", milliseconds(5000)), out), rethrow);
  for (int i = 0; i < 20; ++i) _ctx.poll();
  _client.reset();
  while (!out && _ctx.run_one() > 0) {
  }
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error(), call_errc::closed);
}

// A peer that reads one request, writes `reply` and closes: for replies net::server never sends.
class raw_peer {
 public:
  explicit raw_peer(std::vector<std::byte> reply)
      : _acceptor(_ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        _thread([this, reply = std::move(reply)] { serve(reply); }) {}
  ~raw_peer() { _thread.join(); }
  uint16_t port() const { return _acceptor.local_endpoint().port(); }
  // The address the client's connection came from, once accepted.
  std::string source() { return _source.get_future().get(); }

 private:
  void serve(const std::vector<std::byte>& reply) {
    tcp::socket s(_ctx);
    _acceptor.accept(s);
    _source.set_value(s.remote_endpoint().address().to_string());
    std::array<std::byte, 4> prefix;
    asio::read(s, asio::buffer(prefix));
    std::vector<std::byte> request(static_cast<size_t>(bytes::load_be<int32_t>(prefix.data())));
    asio::read(s, asio::buffer(request));
    asio::write(s, asio::buffer(reply));
  }
  asio::io_context _ctx;
  tcp::acceptor _acceptor;
  std::promise<std::string> _source;
  std::thread _thread;
};

TEST_F(KafkaClientTest, PeerClosingMidResponseFailsTheCall) {
  std::vector<std::byte> half(4 + 4 + 1 + 3);
  bytes::store_be<int32_t>(half.data(), 100);  // announces 100 bytes, sends 8
  raw_peer peer(half);
  _port = peer.port();
  auto& c = client();
  auto r = run(_ctx, send(c, "x", milliseconds(5000)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), call_errc::closed);
}

// Nodes on one machine, each on its own 127.0.0.N, connect from their own address.
TEST_F(KafkaClientTest, ConnectsFromTheConfiguredLoopbackSource) {
  std::vector<std::byte> empty(4);
  raw_peer peer(empty);
  _port = peer.port();
  client_options o;
  o.loopback_source = "127.0.0.9";
  auto& c = client(o);
  (void)run(_ctx, send(c, "x", milliseconds(5000)));  // only where it came from matters
  EXPECT_EQ(peer.source(), "127.0.0.9");
}

TEST_F(KafkaClientTest, WithoutALoopbackSourceTheRouteChooses) {
  std::vector<std::byte> empty(4);
  raw_peer peer(empty);
  _port = peer.port();
  auto& c = client();
  (void)run(_ctx, send(c, "x", milliseconds(5000)));  // only where it came from matters
  EXPECT_EQ(peer.source(), "127.0.0.1");
}

awaitable<result<decoded_response<protocol::vote_response>, call_errc>> typed_vote(
    kafka_client& c, std::string cluster_id) {
  protocol::vote_request request;
  request.cluster_id = cluster_id;
  request.topics.push_back({"__cluster_metadata", {{}}});
  request.topics[0].partitions[0].replica_epoch = 7;
  co_return co_await call<protocol::vote_api>(c, request, 2);
}

TEST_F(KafkaClientTest, TypedCallDecodesTheResponse) {
  start_peer();
  auto& c = client();
  auto granted = run(_ctx, typed_vote(c, "cluster"));
  ASSERT_TRUE(granted);
  const auto& p = granted->body.topics.at(0).partitions.at(0);
  EXPECT_TRUE(p.vote_granted);
  EXPECT_EQ(p.leader_epoch, model::leader_epoch(7));
  auto garbage = run(_ctx, typed_vote(c, "garbage"));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error(), call_errc::malformed_response);
}

}  // namespace
}  // namespace vltava::net
