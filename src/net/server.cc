#include "net/server.h"

#include <unistd.h>

#include <thread>
#include <utility>

#include "base/log.h"
#include "net/connection.h"

namespace vltava::net {
namespace {
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);

using registry_list = std::vector<std::weak_ptr<connection>>;

// A connection's whole life on its shard: registered, run, unregistered, counted out.
awaitable<void> run_connection(std::shared_ptr<connection> conn,
                               std::shared_ptr<registry_list> registry,
                               std::shared_ptr<server::shared_state> shared) {
  registry->push_back(conn);
  co_await conn->run();
  std::erase_if(*registry, [&](const std::weak_ptr<connection>& w) {
    return w.expired() || w.lock() == conn;
  });
  --shared->connections;
}

// A socket in transit between shards: closed if the shard it goes to never takes it (stopped).
struct socket_in_transit {
  int fd = -1;
  explicit socket_in_transit(int f) : fd(f) {}
  socket_in_transit(socket_in_transit&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  socket_in_transit(const socket_in_transit&) = delete;
  ~socket_in_transit() {
    if (fd >= 0) ::close(fd);
  }
};

std::string peer_name(const tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}
}  // namespace

server_limits server_limits::from(const config::config_set& c) {
  namespace keys = config::broker_keys;
  server_limits l;
  l.request_max_bytes = static_cast<size_t>(c.get(keys::socket_request_max_bytes));
  l.queued_max_request_bytes = c.get(keys::queued_max_request_bytes);
  l.max_connections = c.get(keys::max_connections);
  l.idle_timeout = std::chrono::milliseconds(c.get(keys::connections_max_idle_ms));
  l.send_buffer_bytes = c.get(keys::socket_send_buffer_bytes);
  l.receive_buffer_bytes = c.get(keys::socket_receive_buffer_bytes);
  return l;
}

server::server(shard_pool& shards, server_limits limits, request_handler handler)
    : _shards(shards), _shared(std::make_shared<shared_state>()) {
  _shared->limits = limits;
  _shared->handler = std::move(handler);
  for (unsigned i = 0; i < shards.size(); ++i) {
    _registry.push_back(std::make_shared<std::vector<std::weak_ptr<connection>>>());
  }
  // The socket is registered with the new shard's reactor on that shard's thread (the contexts
  // run without locks). The pool outlives the server and every connection it runs.
  std::weak_ptr<shared_state> weak_shared = _shared;
  _shared->adopt = [&shards, registry = _registry, weak_shared](unsigned shard, int fd,
                                                                tcp protocol, connection_info info,
                                                                frame_bytes first) {
    auto shared = weak_shared.lock();
    auto& ctx = shards.shard(shard);
    info.shard = shard;
    ++shared->connections;  // before the old connection counts itself out
    asio::post(ctx, [&ctx, list = registry.at(shard), shared, protocol, info = std::move(info),
                     first = std::move(first), s = socket_in_transit(fd)]() mutable {
      tcp::socket socket(ctx);
      asio::error_code ec;
      socket.assign(protocol, s.fd, ec);
      if (ec) {
        log::warn("net", "closing connection {} from {}: cannot move it to shard {}: {}", info.id,
                  info.peer, info.shard, ec.message());
        shared->queued_request_bytes -= static_cast<int64_t>(first.size());
        --shared->connections;
        return;
      }
      s.fd = -1;  // the socket owns it now
      auto conn = std::make_shared<connection>(std::move(socket), std::move(info), shared,
                                               std::move(first));
      asio::co_spawn(ctx, run_connection(conn, list, shared), asio::detached);
    });
  };
}

server::~server() = default;

result<void, std::string> server::listen(
    const listener_address& address, std::shared_ptr<const security::listener_security> security) {
  asio::error_code ec;
  auto ip = address.host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                                 : asio::ip::make_address(address.host, ec);
  if (ec) {
    // A host name: resolve it once at start.
    tcp::resolver resolver(_shards.shard(0));
    auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
    if (ec || results.empty()) {
      return fail("cannot resolve listener host '" + address.host + "': " + ec.message());
    }
    ip = results.begin()->endpoint().address();
  }
  auto acceptor = std::make_unique<tcp::acceptor>(_shards.shard(0));
  tcp::endpoint ep(ip, address.port);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && ip.is_v6()) acceptor->set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("cannot listen on " + address.name + "://" + address.host + ":" +
                std::to_string(address.port) + ": " + ec.message());
  }
  std::shared_ptr<tls_context> tls;
  if (security && security->tls) {
    SSL_CTX_up_ref(security->tls.get());  // Asio's context frees its reference
    tls = std::make_shared<tls_context>(security->tls.get());
  }
  _listeners.push_back({address, std::move(acceptor), std::move(security), std::move(tls)});
  return {};
}

uint16_t server::bound_port(size_t i) const {
  asio::error_code ec;
  return _listeners.at(i).acceptor->local_endpoint(ec).port();
}

void server::start() {
  for (size_t i = 0; i < _listeners.size(); ++i) {
    asio::co_spawn(_shards.shard(0), accept_loop(i), asio::detached);
  }
}

awaitable<void> server::accept_loop(size_t index) {
  auto& l = _listeners[index];
  const auto& limits = _shared->limits;
  while (l.acceptor->is_open()) {
    unsigned shard = _next_shard++ % _shards.size();
    auto [ec, accepted] = co_await l.acceptor->async_accept(_shards.shard(shard), as_tuple);
    tcp::socket socket(std::move(accepted));
    if (ec) {
      if (ec == asio::error::operation_aborted || !l.acceptor->is_open()) break;
      log::warn("net", "accept on {} failed: {}", l.address.name, ec.message());
      continue;  // EMFILE and friends: keep serving the connections we have
    }
    if (_shared->connections.load() >= static_cast<size_t>(limits.max_connections)) {
      auto now = std::chrono::steady_clock::now();
      if (now - _last_refusal_log > std::chrono::seconds(1)) {
        _last_refusal_log = now;
        log::warn("net", "refusing connection from {}: max.connections={} reached",
                  peer_name(socket), limits.max_connections);
      }
      asio::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++_shared->connections;
    socket.set_option(tcp::no_delay(true), ec);
    if (limits.send_buffer_bytes > 0) {
      socket.set_option(asio::socket_base::send_buffer_size(limits.send_buffer_bytes), ec);
    }
    if (limits.receive_buffer_bytes > 0) {
      socket.set_option(asio::socket_base::receive_buffer_size(limits.receive_buffer_bytes), ec);
    }
    connection_info info{_shared->next_id++, peer_name(socket), l.address.name, shard,
                         l.security ? std::make_shared<security::session>(l.security) : nullptr};
    auto conn = std::make_shared<connection>(std::move(socket), std::move(info), _shared,
                                             frame_bytes{}, l.tls);
    // Registration and the connection's whole life happen on its own shard.
    asio::co_spawn(_shards.shard(shard), run_connection(conn, _registry[shard], _shared),
                   asio::detached);
  }
}

void server::for_each_connection(void (connection::*action)()) {
  for (unsigned i = 0; i < _shards.size(); ++i) {
    asio::post(_shards.shard(i), [registry = _registry[i], action] {
      for (auto& weak : *registry) {
        if (auto c = weak.lock()) ((*c).*action)();
      }
    });
  }
}

void server::shutdown(std::chrono::milliseconds grace) {
  std::atomic<bool> closed{false};
  asio::post(_shards.shard(0), [this, &closed] {
    for (auto& l : _listeners) {
      asio::error_code ec;
      l.acceptor->close(ec);
    }
    closed = true;
  });
  while (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  for_each_connection(&connection::drain);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (connection_count() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (connection_count() > 0) {
    log::warn("net", "closing {} connections that did not finish within {} ms", connection_count(),
              grace.count());
    for_each_connection(&connection::abort);
    auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (connection_count() > 0 && std::chrono::steady_clock::now() < hard) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

}  // namespace vltava::net
