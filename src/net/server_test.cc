#include "net/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "bytes/endian.h"

namespace vltava::net {
namespace {

constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);

// A blocking test client speaking size-prefixed frames.
class client {
 public:
  explicit client(uint16_t port) {
    _fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    _connected = ::connect(_fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~client() { ::close(_fd); }
  bool connected() const { return _connected; }

  void send_raw(const void* p, size_t n) { ASSERT_EQ(::send(_fd, p, n, MSG_NOSIGNAL), ssize_t(n)); }
  void send_frame(const std::string& body) {
    std::byte prefix[4];
    bytes::store_be<int32_t>(prefix, static_cast<int32_t>(body.size()));
    send_raw(prefix, 4);
    send_raw(body.data(), body.size());
  }
  // The next frame's body, or nullopt when the server closed the connection.
  std::optional<std::string> read_frame() {
    std::byte prefix[4];
    if (!read_exact(prefix, 4)) return std::nullopt;
    std::string body(static_cast<size_t>(bytes::load_be<int32_t>(prefix)), '\0');
    if (!read_exact(body.data(), body.size())) return std::nullopt;
    return body;
  }
  bool closed_by_server() {
    char c;
    return ::recv(_fd, &c, 1, 0) == 0;
  }

 private:
  bool read_exact(void* p, size_t n) {
    auto* c = static_cast<char*>(p);
    while (n > 0) {
      ssize_t r = ::recv(_fd, c, n, 0);
      if (r <= 0) return false;
      c += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  int _fd;
  bool _connected = false;
};

net::response bytes_response(const std::string& s) {
  std::vector<std::byte> b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return net::response{{std::move(b)}};
}

// Test protocol: "d<ms>:<text>" answers <text> after <ms>; "none" answers nothing; "throw"
// throws; "file" answers with a file range; "close" answers and closes.
awaitable<handler_result> test_handler(const connection_info& info, frame_bytes frame) {
  std::string s(reinterpret_cast<const char*>(frame.data()), frame.size());
  // "to<n>..." (routed to shard n by route_to below) and "at..." answer "<shard>:<frame>".
  if (s.starts_with("to") || s.starts_with("at")) {
    co_return handler_result{bytes_response(std::to_string(info.shard) + ":" + s)};
  }
  if (s == "none") co_return handler_result{};
  if (s == "throw") throw std::runtime_error("test handler failure");
  if (s == "close") co_return handler_result{bytes_response("bye"), true};
  if (s.starts_with("file:")) {
    std::FILE* f = std::tmpfile();
    std::string content = "0123456789abcdef";
    std::fwrite(content.data(), 1, content.size(), f);
    std::fflush(f);
    auto keep = std::shared_ptr<std::FILE>(f, &std::fclose);
    net::response r{{std::vector<std::byte>{std::byte{'<'}}, file_range{keep, ::fileno(f), 4, 8},
                     std::vector<std::byte>{std::byte{'>'}}}};
    co_return handler_result{std::move(r)};
  }
  if (s.starts_with("d")) {
    size_t colon = s.find(':');
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(std::chrono::milliseconds(std::stoi(s.substr(1, colon - 1))));
    co_await t.async_wait(as_tuple);
    co_return handler_result{bytes_response(s.substr(colon + 1))};
  }
  co_return handler_result{bytes_response(s)};
}

std::optional<unsigned> route_to(std::span<const std::byte> frame) {
  std::string_view s(reinterpret_cast<const char*>(frame.data()), frame.size());
  if (s.size() >= 3 && s.starts_with("to")) return static_cast<unsigned>(s[2] - '0');
  return std::nullopt;
}

class ServerTest : public ::testing::Test {
 protected:
  void start(server_limits limits = {}, request_router router = {}) {
    _pool = std::make_unique<shard_pool>(2);
    _server = std::make_unique<server>(*_pool, limits, test_handler);
    if (router) _server->set_router(std::move(router));
    ASSERT_TRUE(_server->listen({"PLAINTEXT", "127.0.0.1", 0}));
    _server->start();
    _pool->start();
    _port = _server->bound_port(0);
  }
  void TearDown() override {
    if (_server) _server->shutdown(std::chrono::seconds(2));
    if (_pool) _pool->stop();
  }
  std::unique_ptr<shard_pool> _pool;
  std::unique_ptr<server> _server;
  uint16_t _port = 0;
};

TEST_F(ServerTest, PipelinedResponsesComeInRequestOrder) {
  start();
  client c(_port);
  ASSERT_TRUE(c.connected());
  // Later requests finish first; responses must still follow request order.
  for (int i = 0; i < 8; ++i)
    c.send_frame("d" + std::to_string((8 - i) * 15) + ":r" + std::to_string(i));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(c.read_frame(), "r" + std::to_string(i));
}

TEST_F(ServerTest, ConnectionMovesOnceToTheShardItsRequestsNeed) {
  start({}, route_to);
  // Connections are spread round robin: one starts on each shard.
  for (int k = 0; k < 2; ++k) {
    client c(_port);
    ASSERT_TRUE(c.connected());
    // Pipelined: a slow request on the first shard, the one that moves the connection, one more
    // behind it, and one routed elsewhere after the move (a connection moves once).
    c.send_frame("d40:before");
    c.send_frame("to1-move");
    c.send_frame("at-after");
    c.send_frame("to0-stay");
    EXPECT_EQ(c.read_frame(), "before");
    EXPECT_EQ(c.read_frame(), "1:to1-move");
    EXPECT_EQ(c.read_frame(), "1:at-after");
    EXPECT_EQ(c.read_frame(), "1:to0-stay");
  }
  for (int i = 0; i < 200 && _server->connection_count() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(_server->connection_count(), 0u);
}

TEST_F(ServerTest, RequestsWithoutResponseDoNotBlockLaterOnes) {
  start();
  client c(_port);
  c.send_frame("none");
  c.send_frame("a");
  c.send_frame("none");
  c.send_frame("b");
  EXPECT_EQ(c.read_frame(), "a");
  EXPECT_EQ(c.read_frame(), "b");
}

TEST_F(ServerTest, OversizedAndNegativeFramesCloseOnlyThatConnection) {
  server_limits limits;
  limits.request_max_bytes = 1024;
  start(limits);
  client good(_port);
  {
    client big(_port);
    std::byte prefix[4];
    bytes::store_be<int32_t>(prefix, 1025);
    big.send_raw(prefix, 4);
    EXPECT_TRUE(big.closed_by_server());
  }
  {
    client negative(_port);
    std::byte prefix[4];
    bytes::store_be<int32_t>(prefix, -5);
    negative.send_raw(prefix, 4);
    EXPECT_TRUE(negative.closed_by_server());
  }
  good.send_frame("still here");
  EXPECT_EQ(good.read_frame(), "still here");
}

TEST_F(ServerTest, MaxConnectionsRefusesTheExtraOne) {
  server_limits limits;
  limits.max_connections = 1;
  start(limits);
  client first(_port);
  first.send_frame("hello");
  ASSERT_EQ(first.read_frame(), "hello");
  client second(_port);
  EXPECT_TRUE(second.closed_by_server());
  first.send_frame("again");
  EXPECT_EQ(first.read_frame(), "again");
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  server_limits limits;
  limits.idle_timeout = std::chrono::milliseconds(150);
  start(limits);
  client c(_port);
  c.send_frame("x");
  EXPECT_EQ(c.read_frame(), "x");
  EXPECT_TRUE(c.closed_by_server());
  for (int i = 0; i < 200 && _server->connection_count() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(_server->connection_count(), 0u);
}

TEST_F(ServerTest, FileRangesAreSentInPlace) {
  start();
  client c(_port);
  c.send_frame("file:");
  EXPECT_EQ(c.read_frame(), "<456789ab>");
}

TEST_F(ServerTest, HandlerFailureClosesConnectionButServerLives) {
  start();
  {
    client c(_port);
    c.send_frame("throw");
    EXPECT_TRUE(c.closed_by_server());
  }
  client other(_port);
  other.send_frame("ok");
  EXPECT_EQ(other.read_frame(), "ok");
}

TEST_F(ServerTest, CloseAfterResponse) {
  start();
  client c(_port);
  c.send_frame("close");
  EXPECT_EQ(c.read_frame(), "bye");
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(ServerTest, ShutdownAnswersRequestsAlreadyRead) {
  start();
  client c(_port);
  c.send_frame("d300:late");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  _server->shutdown(std::chrono::seconds(5));
  EXPECT_EQ(c.read_frame(), "late");
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(_server->connection_count(), 0u);
  client refused(_port);
  EXPECT_FALSE(refused.connected());
}

TEST_F(ServerTest, SlowClientDoesNotBlockOthers) {
  start();
  client slow(_port);
  std::byte prefix[4];
  bytes::store_be<int32_t>(prefix, 100);
  slow.send_raw(prefix, 4);
  slow.send_raw("ab", 2);  // and then nothing more
  client fast(_port);
  fast.send_frame("quick");
  EXPECT_EQ(fast.read_frame(), "quick");
}

}  // namespace
}  // namespace vltava::net
