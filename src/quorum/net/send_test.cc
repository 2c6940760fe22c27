// End to end: two in-process peers over real sockets. One is a net::server answering with
// rpc::answer (a scripted node behind it), the other sends with rpc::send over a kafka_client.

#include "quorum/net/send.h"

#include <gtest/gtest.h>

#include "net/server.h"
#include "protocol/framing.h"
#include "quorum/net/answer.h"
#include "quorum/net/testing.h"

namespace vltava::quorum::rpc {
namespace {

using std::chrono::milliseconds;
const local_quorum answering{"cluster-a", model::node_id(1)};

const std::vector<entry>& leader_log() {
  static const std::vector<entry> log{
      testing::batch_entry(0, 1, 1, testing::batch_kind::control), testing::batch_entry(1, 1, 3),
      testing::batch_entry(4, 2, 1, testing::batch_kind::control), testing::batch_entry(5, 2, 2)};
  return log;
}

// The scripted node: grants votes for epochs above 3; serves fetches from leader_log().
vote_response decide(const vote_request& r) {
  return vote_response{errc::none, r.epoch, std::nullopt, r.epoch > model::leader_epoch(3)};
}
fetch_response serve(const fetch_request& r) {
  fetch_response out{errc::none,       model::leader_epoch(2), answering.self,
                     model::offset(5), std::nullopt,           {}};
  for (const entry& e : leader_log()) {
    if (e.offset >= r.fetch_offset) out.entries.push_back(e);
  }
  return out;
}

// The scripted node behind rpc::answer.
net::awaitable<result<message, errc>> scripted_node(model::node_id, message m) {
  if (const auto* v = std::get_if<vote_request>(&m.body))
    co_return message{m.correlation, decide(*v)};
  if (const auto* f = std::get_if<fetch_request>(&m.body))
    co_return message{m.correlation, serve(*f)};
  co_return fail(errc::invalid_request);
}

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

net::awaitable<net::handler_result> handle(const net::connection_info&, net::frame_bytes frame) {
  auto h = protocol::parse_request_header(frame);
  if (!h) co_return net::handler_result{std::nullopt, true};
  const correlation_id c(h->correlation_id);
  if (h->api_key == protocol::vote_api::key) {
    auto request = decode<protocol::vote_api>(*h, frame);
    if (!request) co_return net::handler_result{std::nullopt, true};
    co_return reply(
        *h, co_await answer(std::move(*request), h->api_version, c, answering, scripted_node));
  }
  if (h->api_key == protocol::fetch_api::key) {
    auto request = decode<protocol::fetch_api>(*h, frame);
    if (!request) co_return net::handler_result{std::nullopt, true};
    fetch_answer a =
        co_await answer(std::move(*request), h->api_version, c, answering, scripted_node);
    co_return reply(*h, a.body);
  }
  co_return net::handler_result{std::nullopt, true};
}

template <typename T>
net::awaitable<void> store(net::awaitable<T> a, std::optional<T>& out) {
  out.emplace(co_await std::move(a));
}

class SendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    _pool = std::make_unique<net::shard_pool>(1);
    _server = std::make_unique<net::server>(*_pool, net::server_limits{}, handle);
    ASSERT_TRUE(_server->listen({"CONTROLLER", "127.0.0.1", 0}));
    _server->start();
    _pool->start();
    _client = std::make_unique<net::kafka_client>(_ctx.get_executor(), "127.0.0.1",
                                                  _server->bound_port(0));
  }
  void TearDown() override {
    _client.reset();
    _server->shutdown(milliseconds(500));
    _pool->stop();
  }
  result<message, std::string> send_and_wait(const message& m) {
    std::optional<result<message, std::string>> out;
    _ctx.restart();
    asio::co_spawn(_ctx, store(send(*_client, answering.self, m, milliseconds(5000)), out),
                   asio::detached);
    while (!out && _ctx.run_one() > 0) {
    }
    if (!out) return fail(std::string("the send never completed"));
    return std::move(*out);
  }

  asio::io_context _ctx;
  std::unique_ptr<net::shard_pool> _pool;
  std::unique_ptr<net::server> _server;
  std::unique_ptr<net::kafka_client> _client;
};

TEST_F(SendTest, VoteAndPreVoteOverRealSockets) {
  for (bool pre_vote : {true, false}) {
    message m{correlation_id(7),
              vote_request{"cluster-a", model::leader_epoch(4), model::node_id(3),
                           model::leader_epoch(2), model::offset(7), pre_vote}};
    auto r = send_and_wait(m);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->correlation, correlation_id(7));
    const auto& v = std::get<vote_response>(r->body);
    EXPECT_EQ(v.error, errc::none);
    EXPECT_TRUE(v.vote_granted);
    EXPECT_EQ(v.epoch, model::leader_epoch(4));
  }
}

TEST_F(SendTest, FetchOverRealSocketsBringsTheEntriesBack) {
  message m{correlation_id(8), fetch_request{"cluster-a", model::leader_epoch(2), model::node_id(3),
                                             model::offset(1), model::leader_epoch(1)}};
  auto r = send_and_wait(m);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->correlation, correlation_id(8));
  const auto& f = std::get<fetch_response>(r->body);
  EXPECT_EQ(f.error, errc::none);
  EXPECT_EQ(f.leader_id, answering.self);
  EXPECT_EQ(f.high_watermark, model::offset(5));
  std::vector<entry> expected(leader_log().begin() + 1, leader_log().end());
  EXPECT_EQ(f.entries, expected);
}

TEST_F(SendTest, WrongClusterIdComesBackAsTheQuorumsError) {
  message m{correlation_id(9), fetch_request{"cluster-b", model::leader_epoch(2), model::node_id(3),
                                             model::offset(0), model::leader_epoch(0)}};
  auto r = send_and_wait(m);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(std::get<fetch_response>(r->body).error, errc::inconsistent_cluster_id);
}

TEST_F(SendTest, ResponsesAreNotSentAsRequests) {
  auto r = send_and_wait(message{correlation_id(1), vote_response{}});
  EXPECT_FALSE(r);
}

TEST_F(SendTest, AnUnreachablePeerIsAnErrorLine) {
  _client = std::make_unique<net::kafka_client>(_ctx.get_executor(), "127.0.0.1", 1);
  auto r = send_and_wait(
      message{correlation_id(1),
              begin_quorum_epoch_request{"cluster-a", model::leader_epoch(1), model::node_id(3)}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("BeginQuorumEpoch v1 to 127.0.0.1:1"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace vltava::quorum::rpc
