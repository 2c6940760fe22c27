#include "net/connection.h"

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "base/assert.h"
#include "base/log.h"
#include "bytes/endian.h"

namespace vltava::net {
namespace {
using namespace asio::experimental::awaitable_operators;
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);
}  // namespace

connection::connection(tcp::socket socket, connection_info info,
                       std::shared_ptr<server::shared_state> shared, frame_bytes first,
                       std::shared_ptr<tls_context> tls)
    : _socket(std::move(socket)),
      _tls_context(std::move(tls)),
      _info(std::move(info)),
      _shared(std::move(shared)),
      _writer_wake(_socket.get_executor()),
      _reader_wake(_socket.get_executor()),
      _unmute(_socket.get_executor()),
      _first(std::move(first)),
      _authentication_deadline(std::chrono::steady_clock::now() +
                               _shared->limits.authentication_timeout) {
  if (!_first.empty()) _route_checks_left = 0;  // moved once: stay
  if (_tls_context) {
    _tls.emplace(_socket, *_tls_context);
    _route_checks_left = 0;  // pinned to this shard (see the constructor's comment)
  }
}

awaitable<void> connection::run() {
  auto self = shared_from_this();
  if (_tls && !co_await tls_handshake()) {
    close_socket();
    co_return;
  }
  if (authenticating()) {
    asio::co_spawn(_socket.get_executor(), authentication_watchdog(self), asio::detached);
  }
  co_await (read_loop() && write_loop());
  if (!_move_to) co_return;
  if (!_aborted) {
    hand_over();
  } else {
    drop_first();
  }
}

void connection::drop_first() {
  _shared->queued_request_bytes -= static_cast<int64_t>(_first.size());  // never served
  _first.clear();
}

std::optional<unsigned> connection::move_target(const frame_bytes& frame) {
  if (_route_checks_left <= 0 || !_shared->router) return std::nullopt;
  if (_info.session && !_info.session->authenticated()) return std::nullopt;  // SASL frames
  auto to = _shared->router(frame);
  if (!to) {
    --_route_checks_left;
    return std::nullopt;
  }
  if (*to == _info.shard) {
    _route_checks_left = 0;  // already home
    return std::nullopt;
  }
  return to;
}

awaitable<void> connection::wait_until_answered() {
  while ((!_pending.empty() || _writing) && !_aborted) co_await wait(_reader_wake);
}

awaitable<bool> connection::tls_handshake() {
  asio::steady_timer deadline(_socket.get_executor());
  deadline.expires_at(_authentication_deadline);
  auto r = co_await (_tls->async_handshake(asio::ssl::stream_base::server, as_tuple) ||
                     deadline.async_wait(as_tuple));
  std::string why;
  if (r.index() == 1) {
    why =
        "not done within " + std::to_string(_shared->limits.authentication_timeout.count()) + " ms";
  } else if (auto [ec] = std::get<0>(r); ec) {
    why = ec.message();
  } else if (auto ok = _info.session->on_tls_established(
                 SSL_get0_peer_certificate(_tls->native_handle()));
             !ok) {
    why = ok.error();
  } else {
    co_return true;
  }
  log::info("net", "closing connection {} from {} on {}: TLS handshake failed: {}", _info.id,
            _info.peer, _info.listener, why);
  co_return false;
}

awaitable<void> connection::authentication_watchdog(std::shared_ptr<connection> self) {
  asio::steady_timer deadline(_socket.get_executor());
  deadline.expires_at(_authentication_deadline);
  co_await deadline.async_wait(as_tuple);
  if (!authenticating() || _aborted) co_return;
  log::info("net", "closing connection {} from {} on {}: not authenticated within {} ms", _info.id,
            _info.peer, _info.listener, _shared->limits.authentication_timeout.count());
  self->abort();
}

void connection::hand_over() {
  VLTAVA_ASSERT(!_tls, "a TLS connection stays on its shard");
  asio::error_code ec;
  const auto protocol = _socket.local_endpoint(ec).protocol();
  // No operation is outstanding (both loops ended), so release() cancels nothing.
  const int fd = ec ? -1 : _socket.release(ec);
  if (ec) {
    close_socket();
    drop_first();
    return;
  }
  log::debug("net", "connection {} from {} moves from shard {} to shard {}", _info.id, _info.peer,
             _info.shard, *_move_to);
  _shared->adopt(*_move_to, fd, protocol, _info, std::move(_first));
}

void connection::start_handler(frame_bytes frame) {
  auto s = std::make_shared<slot>();
  _pending.push_back(s);
  _in_flight_bytes += frame.size();
  asio::co_spawn(_socket.get_executor(), run_handler(s, std::move(frame)), asio::detached);
}

void connection::drain() {
  asio::error_code ec;
  // A pending read then returns end-of-file; the write loop still sends what was asked for.
  _socket.shutdown(tcp::socket::shutdown_receive, ec);
}

void connection::abort() {
  _aborted = true;
  close_socket();
  notify(_writer_wake);
  notify(_reader_wake);
  notify(_unmute);
}

void connection::mute(std::chrono::milliseconds d) {
  _muted_until = std::max(_muted_until, std::chrono::steady_clock::now() + d);
  _one_at_a_time_until = _muted_until + one_at_a_time_after_mute;
}

awaitable<void> connection::wait_while_muted() {
  while (!_aborted && std::chrono::steady_clock::now() < _muted_until) {
    _unmute.expires_at(_muted_until);
    co_await _unmute.async_wait(as_tuple);
  }
  // Kafka serves a connection's requests one at a time, so a client's next request is read
  // once the last one is answered, and muted by its throttle time. Pipelined requests would
  // all be served before the first answer's mute; a throttled connection is served one request
  // at a time instead, while it stays near its quota.
  if (std::chrono::steady_clock::now() < _one_at_a_time_until) co_await wait_until_answered();
  while (!_aborted && std::chrono::steady_clock::now() < _muted_until) {
    _unmute.expires_at(_muted_until);
    co_await _unmute.async_wait(as_tuple);
  }
}

void connection::close_socket() {
  asio::error_code ec;
  _socket.shutdown(tcp::socket::shutdown_both, ec);
  _socket.close(ec);
}

awaitable<void> connection::wait(asio::steady_timer& t) {
  t.expires_at(asio::steady_timer::time_point::max());
  co_await t.async_wait(as_tuple);  // woken by cancel()
}

awaitable<std::tuple<asio::error_code, size_t>> connection::read_exact(asio::mutable_buffer buf) {
  if (_tls) co_return co_await asio::async_read(*_tls, buf, as_tuple);
  co_return co_await asio::async_read(_socket, buf, as_tuple);
}

bool connection::authenticating() const {
  return _info.session && !_info.session->authenticated();
}

size_t connection::max_frame_bytes() const {
  const size_t most = _shared->limits.request_max_bytes;
  return authenticating() ? std::min(most, _info.session->max_frame_bytes_before_authentication())
                          : most;
}

awaitable<bool> connection::read_with_timeout(asio::mutable_buffer buf, asio::steady_timer& idle) {
  const auto& limits = _shared->limits;
  if (limits.idle_timeout.count() <= 0) {
    auto [ec, n] = co_await read_exact(buf);
    co_return !ec;
  }
  idle.expires_after(limits.idle_timeout);
  auto r = co_await (read_exact(buf) || idle.async_wait(as_tuple));
  if (r.index() == 1) {
    log::info("net", "closing idle connection {} from {} (connections.max.idle.ms={})", _info.id,
              _info.peer, limits.idle_timeout.count());
    co_return false;
  }
  co_return !std::get<0>(std::get<0>(r));
}

awaitable<void> connection::read_loop() {
  const auto& limits = _shared->limits;
  asio::steady_timer idle(_socket.get_executor());
  if (!_first.empty()) start_handler(std::move(_first));
  while (!_aborted) {
    while (_pending.size() >= limits.max_in_flight_per_connection && !_aborted) {
      co_await wait(_reader_wake);
    }
    std::array<std::byte, 4> prefix;
    if (!co_await read_with_timeout(asio::buffer(prefix), idle)) break;
    int32_t size = bytes::load_be<int32_t>(prefix.data());
    if (size <= 0 || static_cast<size_t>(size) > max_frame_bytes()) {
      log::warn("net", "closing connection {} from {}: request size {} is outside 1..{} ({})",
                _info.id, _info.peer, size, max_frame_bytes(),
                authenticating() ? "sasl.server.max.receive.size before authentication"
                                 : "socket.request.max.bytes");
      _aborted = true;
      break;
    }
    if (!co_await wait_for_queue_memory(size)) break;
    frame_bytes frame(static_cast<size_t>(size));
    bool got = co_await read_with_timeout(asio::buffer(frame), idle);
    if (!got) {
      _shared->queued_request_bytes -= size;
      break;
    }
    // A muted connection's next request waits here (the client's further requests wait in the
    // socket buffers behind it): Kafka stops reading a throttled channel.
    co_await wait_while_muted();
    if (_aborted) {
      _shared->queued_request_bytes -= size;
      break;
    }
    if (auto to = move_target(frame)) {
      // Answer what came before in order here, then carry on from the owner's shard.
      co_await wait_until_answered();
      _move_to = to;
      _first = std::move(frame);
      break;
    }
    start_handler(std::move(frame));
  }
  _reading_done = true;
  if (_aborted) close_socket();
  notify(_writer_wake);
}

awaitable<bool> connection::wait_for_queue_memory(int32_t size) {
  const int64_t limit = _shared->limits.queued_max_request_bytes;
  auto& queued = _shared->queued_request_bytes;
  if (limit <= 0) {
    queued += size;
    co_return true;
  }
  // Rare path (the limit is off by default): back off until other requests are done.
  asio::steady_timer backoff(_socket.get_executor());
  while (!_aborted) {
    int64_t now = queued.load();
    if (now + size <= limit || now == 0) {
      if (queued.compare_exchange_weak(now, now + size)) co_return true;
      continue;
    }
    backoff.expires_after(std::chrono::milliseconds(1));
    co_await backoff.async_wait(as_tuple);
  }
  co_return false;
}

awaitable<void> connection::run_handler(std::shared_ptr<slot> s, frame_bytes frame) {
  auto self = shared_from_this();
  const int64_t size = static_cast<int64_t>(frame.size());
  try {
    s->result = co_await _shared->handler(_info, std::move(frame));
  } catch (const std::exception& e) {
    log::error("net", "closing connection {} from {}: request handler failed: {}", _info.id,
               _info.peer, e.what());
    s->result = handler_result{std::nullopt, true};
  }
  _shared->queued_request_bytes -= size;
  _in_flight_bytes -= static_cast<size_t>(size);
  notify(_writer_wake);
}

awaitable<void> connection::write_loop() {
  while (!_aborted) {
    if (!_pending.empty() && _pending.front()->result) {
      auto s = std::move(_pending.front());
      _pending.pop_front();
      notify(_reader_wake);
      _writing = true;
      const bool sent = !s->result->reply || co_await send(*s->result->reply);
      if (s->result->mute_for.count() > 0) mute(s->result->mute_for);
      _writing = false;
      notify(_reader_wake);
      if (!sent || s->result->close_after) break;
      continue;
    }
    if (_reading_done && _pending.empty()) {
      if (_move_to && !_aborted) co_return;  // the socket goes on to the new shard
      break;
    }
    co_await wait(_writer_wake);
  }
  _aborted = true;
  close_socket();
  notify(_reader_wake);
}

awaitable<bool> connection::send(const response& r) {
  if (_tls) co_return co_await send_tls(r);
  std::array<std::byte, 4> prefix;
  bytes::store_be<int32_t>(prefix.data(), static_cast<int32_t>(r.size_bytes()));
  std::vector<asio::const_buffer> run{asio::buffer(prefix)};
  // Byte parts go out together in one gathered write; a file range flushes the run first.
  for (const auto& part : r.parts) {
    if (const auto* bytes = std::get_if<std::vector<std::byte>>(&part)) {
      if (!bytes->empty()) run.push_back(asio::buffer(*bytes));
      continue;
    }
    if (!run.empty()) {
      auto [ec, n] = co_await asio::async_write(_socket, run, as_tuple);
      if (ec) co_return false;
      run.clear();
    }
    if (!co_await send_file(std::get<file_range>(part))) co_return false;
  }
  if (!run.empty()) {
    auto [ec, n] = co_await asio::async_write(_socket, run, as_tuple);
    if (ec) co_return false;
  }
  co_return true;
}

awaitable<bool> connection::send_file(const file_range& f) {
  // Asio's setter is an ioctl on every call; its getter reads Asio's own flag.
  if (!_socket.native_non_blocking()) _socket.native_non_blocking(true);
  off_t offset = f.position;
  size_t left = f.length;
  while (left > 0) {
    ssize_t n = ::sendfile(_socket.native_handle(), f.fd, &offset, left);
    if (n > 0) {
      left -= static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      auto [ec] = co_await _socket.async_wait(tcp::socket::wait_write, as_tuple);
      if (ec) co_return false;
    } else {
      // The file is shorter than promised (truncated underneath us) or the socket failed: the
      // frame size is already on the wire, so the connection cannot continue.
      log::warn("net", "closing connection {} from {}: sendfile failed ({})", _info.id, _info.peer,
                n == 0 ? "file ended early" : std::strerror(errno));
      co_return false;
    }
  }
  co_return true;
}

}  // namespace vltava::net

namespace vltava::net {

// Under TLS the bytes must pass through OpenSSL, so sendfile cannot be used: file ranges are
// read into the buffer (pread, from the page cache like sendfile) and the response goes out in
// writes of up to tls_flush_bytes, which OpenSSL cuts into 16 KiB records. This kernel offers no
// kTLS (no "tls" ULP), and Asio's TLS engine works through a memory BIO pair, which kTLS
// cannot use either.
awaitable<bool> connection::send_tls(const response& r) {
  constexpr size_t tls_flush_bytes = 256 * 1024;
  frame_bytes out;
  out.reserve(std::min(r.size_bytes() + 4, tls_flush_bytes));
  out.resize(4);
  bytes::store_be<int32_t>(out.data(), static_cast<int32_t>(r.size_bytes()));
  for (const auto& part : r.parts) {
    if (const auto* bytes = std::get_if<std::vector<std::byte>>(&part)) {
      out.insert(out.end(), bytes->begin(), bytes->end());
    } else {
      const auto& f = std::get<file_range>(part);
      off_t at = f.position;
      size_t left = f.length;
      while (left > 0) {
        if (out.size() >= tls_flush_bytes && !co_await write_tls(out)) co_return false;
        const size_t had = out.size();
        const size_t want = std::min(left, tls_flush_bytes - had);
        out.resize(had + want);
        ssize_t n = ::pread(f.fd, out.data() + had, want, at);
        out.resize(had + static_cast<size_t>(std::max<ssize_t>(n, 0)));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          log::warn("net", "closing connection {} from {}: reading a file range failed ({})",
                    _info.id, _info.peer, n == 0 ? "file ended early" : std::strerror(errno));
          co_return false;
        }
        at += n;
        left -= static_cast<size_t>(n);
      }
    }
    if (out.size() >= tls_flush_bytes && !co_await write_tls(out)) co_return false;
  }
  co_return out.empty() || co_await write_tls(out);
}

awaitable<bool> connection::write_tls(frame_bytes& out) {
  auto [ec, n] = co_await asio::async_write(*_tls, asio::buffer(out), as_tuple);
  out.clear();
  co_return !ec;
}

}  // namespace vltava::net
