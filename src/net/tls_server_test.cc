// The server's TLS listeners: requests and responses (file ranges included, which go through
// buffers instead of sendfile under TLS) over a real OpenSSL client, and the bad inputs that
// must close the connection only: bytes that are no TLS handshake, and a handshake that never
// ends.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "bytes/endian.h"
#include "net/server.h"
#include "security/test_identity.h"

namespace vltava::net {
namespace {

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

// A blocking TLS client (no certificate check: the test is about the server's framing).
class tls_client {
 public:
  explicit tls_client(uint16_t port)
      : _fd(connect_to(port)), _ctx(SSL_CTX_new(TLS_client_method())), _ssl(SSL_new(_ctx)) {
    SSL_set_fd(_ssl, _fd);
  }
  ~tls_client() {
    SSL_free(_ssl);
    SSL_CTX_free(_ctx);
    ::close(_fd);
  }
  bool handshake() { return SSL_connect(_ssl) == 1; }
  void send_frame(const std::string& body) {
    std::string out(4, '\0');
    bytes::store_be<int32_t>(reinterpret_cast<std::byte*>(out.data()),
                             static_cast<int32_t>(body.size()));
    out += body;
    ASSERT_EQ(SSL_write(_ssl, out.data(), static_cast<int>(out.size())), int(out.size()));
  }
  std::optional<std::string> read_frame() {
    std::string prefix(4, '\0');
    if (!read_exact(prefix.data(), 4)) return std::nullopt;
    std::string body(
        static_cast<size_t>(bytes::load_be<int32_t>(reinterpret_cast<std::byte*>(prefix.data()))),
        '\0');
    if (!read_exact(body.data(), body.size())) return std::nullopt;
    return body;
  }

 private:
  bool read_exact(char* p, size_t n) {
    while (n > 0) {
      int r = SSL_read(_ssl, p, static_cast<int>(n));
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  int _fd;
  SSL_CTX* _ctx;
  SSL* _ssl;
};

bool closed_by_server(int fd) {
  char buf[256];
  ssize_t r = 0;
  while ((r = ::recv(fd, buf, sizeof(buf), 0)) > 0) {
  }
  return r == 0 || errno == ECONNRESET;
}

// Echoes a frame; "file:<n>" answers "<" + n bytes of a file range + ">".
awaitable<handler_result> echo(const connection_info&, frame_bytes frame) {
  std::string s(reinterpret_cast<const char*>(frame.data()), frame.size());
  std::vector<std::byte> open{std::byte{'<'}};
  if (!s.starts_with("file:")) {
    std::vector<std::byte> b(frame.begin(), frame.end());
    co_return handler_result{response{{std::move(b)}}};
  }
  const size_t n = std::stoul(s.substr(5));
  std::FILE* f = std::tmpfile();
  for (size_t i = 0; i < n + 3; ++i) std::fputc('a' + static_cast<int>(i % 26), f);
  std::fflush(f);
  auto keep = std::shared_ptr<std::FILE>(f, &std::fclose);
  response r{{std::move(open), file_range{keep, ::fileno(f), 3, n},
              std::vector<std::byte>{std::byte{'>'}}}};
  co_return handler_result{std::move(r)};
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto id = security::testing::make_identity("localhost");
    security::tls_settings s;
    s.keystore_pem = id.cert_pem + id.key_pem;
    s.protocols = {"TLSv1.2", "TLSv1.3"};
    auto ctx = security::make_server_context(s);
    ASSERT_TRUE(ctx) << ctx.error();
    auto listener = std::make_shared<security::listener_security>();
    listener->listener = "SSL";
    listener->protocol = security::security_protocol::ssl;
    listener->tls = *ctx;
    listener->principals = *security::principal_mapper::parse("DEFAULT");
    server_limits limits;
    limits.authentication_timeout = std::chrono::milliseconds(300);
    _pool = std::make_unique<shard_pool>(2);
    _server = std::make_unique<server>(*_pool, limits, echo);
    ASSERT_TRUE(_server->listen({"SSL", "127.0.0.1", 0}, listener));
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

TEST_F(TlsServerTest, RequestsAndResponsesOverTls) {
  tls_client c(_port);
  ASSERT_TRUE(c.handshake());
  for (int i = 0; i < 3; ++i) c.send_frame("hello " + std::to_string(i));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.read_frame(), "hello " + std::to_string(i));
}

TEST_F(TlsServerTest, FileRangesGoThroughBuffers) {
  tls_client c(_port);
  ASSERT_TRUE(c.handshake());
  for (size_t n : {size_t{5}, size_t{256 * 1024 - 1}, size_t{3 * 1024 * 1024 + 7}}) {
    c.send_frame("file:" + std::to_string(n));
    auto got = c.read_frame();
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), n + 2);
    EXPECT_EQ(got->front(), '<');
    EXPECT_EQ(got->back(), '>');
    for (size_t i = 0; i < n; i += 4099) {
      ASSERT_EQ((*got)[1 + i], 'a' + static_cast<char>((i + 3) % 26)) << i;
    }
  }
}

TEST_F(TlsServerTest, BytesThatAreNoHandshakeCloseTheConnection) {
  int fd = connect_to(_port);
  const char garbage[] = "\x00\x00\x00\x05hello this is not TLS at all";
  ASSERT_GT(::send(fd, garbage, sizeof(garbage), MSG_NOSIGNAL), 0);
  EXPECT_TRUE(closed_by_server(fd));
  ::close(fd);
  tls_client c(_port);
  ASSERT_TRUE(c.handshake());
  c.send_frame("still served");
  EXPECT_EQ(c.read_frame(), "still served");
}

TEST_F(TlsServerTest, AnUnfinishedHandshakeIsClosedByTheDeadline) {
  int fd = connect_to(_port);
  const char half[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  ASSERT_GT(::send(fd, half, sizeof(half) - 1, MSG_NOSIGNAL), 0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(closed_by_server(fd));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ::close(fd);
  // Counted out just after the socket closed.
  for (int i = 0; i < 100 && _server->connection_count() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(_server->connection_count(), 0u);
}

}  // namespace
}  // namespace vltava::net
