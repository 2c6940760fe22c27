#include "net/kafka_client.h"

#include <array>
#include <deque>
#include <optional>

#include "base/log.h"
#include "bytes/endian.h"
#include "protocol/reader.h"
#include "protocol/writer.h"

namespace vltava::net {
namespace {
using namespace asio::experimental::awaitable_operators;  // connect's timeout
constexpr auto as_tuple = asio::experimental::as_tuple(use_awaitable);
using clock = std::chrono::steady_clock;

constexpr int16_t api_versions_key = 18;
// Frames handed to the socket in one gathered write, at most.
constexpr size_t write_batch_max = 16;

struct pending_call {
  pending_call(const asio::any_io_executor& ex, int32_t id, int16_t header_version)
      : correlation_id(id), response_header_version(header_version), done(ex) {}

  int32_t correlation_id;
  int16_t response_header_version;
  std::vector<std::byte> header;  // size prefix and request header
  std::vector<std::byte> body;
  asio::steady_timer done;  // cancelled when `outcome` is set
  std::optional<result<response_frame, call_errc>> outcome;
};
using call_ptr = std::shared_ptr<pending_call>;

void complete(const call_ptr& c, result<response_frame, call_errc> outcome) {
  c->outcome.emplace(std::move(outcome));
  c->done.cancel();
}

}  // namespace

const char* to_string(call_errc e) {
  switch (e) {
    case call_errc::connect_failed:
      return "connect failed";
    case call_errc::timed_out:
      return "timed out";
    case call_errc::closed:
      return "connection closed";
    case call_errc::response_too_large:
      return "response too large";
    case call_errc::protocol_error:
      return "protocol error";
    case call_errc::malformed_response:
      return "malformed response";
    case call_errc::too_many_in_flight:
      return "too many calls in flight";
  }
  return "unknown";
}

struct kafka_client::state {
  state(asio::any_io_executor ex, std::string h, uint16_t p, client_options o)
      : executor(std::move(ex)),
        host(std::move(h)),
        port(p),
        options(std::move(o)),
        writer_wake(executor),
        backoff(executor) {}

  enum class link_state : uint8_t { down, connecting, up };

  asio::any_io_executor executor;
  std::string host;
  uint16_t port;
  client_options options;
  link_state link = link_state::down;
  // Bumped whenever the connection is dropped: loops of an older connection stop.
  uint64_t generation = 0;
  std::shared_ptr<tcp::socket> socket;
  clock::time_point retry_after{};
  bool log_next_connect_failure = true;  // one line per outage, not one per retry
  std::deque<call_ptr> outbox;           // not written yet, in call order
  std::deque<call_ptr> in_flight;        // written, awaiting responses in that order
  asio::steady_timer writer_wake;
  asio::steady_timer backoff;
  int32_t next_correlation_id = 0;

  std::string peer() const { return host + ":" + std::to_string(port); }
  int32_t take_correlation_id();
  void start_link(const std::shared_ptr<state>& self);
  void drop_link(uint64_t gen, call_errc why);
  void abandon(const call_ptr& c);
};

namespace {

using state_ptr = std::shared_ptr<kafka_client::state>;

awaitable<void> wait_for_wake(asio::steady_timer& t) {
  t.expires_at(asio::steady_timer::time_point::max());
  co_await t.async_wait(as_tuple);  // woken by cancel()
}

// Opens the socket for `peer`, bound to the configured loopback source when the peer is on
// loopback as well (any other peer is reached from the route's own source).
bool open_for(const client_options& o, tcp::socket& socket, const tcp::endpoint& peer) {
  asio::error_code e;
  socket.open(peer.protocol(), e);
  if (e || o.loopback_source.empty() || !peer.address().is_loopback()) return !e;
  auto source = asio::ip::make_address(o.loopback_source, e);
  if (e || !source.is_loopback() || source.is_v4() != peer.address().is_v4()) return true;
  socket.bind(tcp::endpoint(source, 0), e);
  return !e;
}

// Resolves and connects within connect_timeout, trying each resolved address in turn.
awaitable<bool> connect(const state_ptr& s, tcp::socket& socket) {
  asio::steady_timer deadline(s->executor);
  deadline.expires_after(s->options.connect_timeout);
  tcp::resolver resolver(s->executor);
  auto resolved = co_await (resolver.async_resolve(s->host, std::to_string(s->port), as_tuple) ||
                            deadline.async_wait(as_tuple));
  if (resolved.index() == 1) co_return false;
  auto [resolve_error, endpoints] = std::get<0>(std::move(resolved));
  if (resolve_error) co_return false;
  for (const auto& entry : endpoints) {
    asio::error_code ignored;
    socket.close(ignored);
    if (!open_for(s->options, socket, entry.endpoint())) continue;
    auto connected = co_await (socket.async_connect(entry.endpoint(), as_tuple) ||
                               deadline.async_wait(as_tuple));
    if (connected.index() == 1) co_return false;  // out of time
    if (std::get<0>(std::get<0>(connected))) continue;
    socket.set_option(tcp::no_delay(true), ignored);
    co_return true;
  }
  co_return false;
}

// Writes the calls of the outbox in order until the connection drops.
awaitable<void> write_loop(state_ptr s, std::shared_ptr<tcp::socket> socket, uint64_t gen) {
  std::vector<call_ptr> batch;
  std::vector<asio::const_buffer> buffers;
  while (gen == s->generation) {
    if (s->outbox.empty()) {
      co_await wait_for_wake(s->writer_wake);
      continue;
    }
    batch.clear();
    buffers.clear();
    while (!s->outbox.empty() && batch.size() < write_batch_max) {
      call_ptr c = std::move(s->outbox.front());
      s->outbox.pop_front();
      s->in_flight.push_back(c);  // before the write: its response cannot come earlier
      buffers.push_back(asio::buffer(c->header));
      buffers.push_back(asio::buffer(c->body));
      batch.push_back(std::move(c));  // keeps the buffers alive during the write
    }
    auto [ec, n] = co_await asio::async_write(*socket, buffers, as_tuple);
    if (ec) s->drop_link(gen, call_errc::closed);
  }
}

// Reads the response header of `f` and checks it answers `expected`.
bool read_response_header(response_frame& f, const pending_call& expected) {
  protocol::reader r(f.bytes);
  int32_t correlation_id = 0;
  if (!r.read_fixed(correlation_id)) return false;
  if (expected.response_header_version >= 1) {
    uint32_t count = 0;
    bool ok = r.read_tag_count(count);
    for (uint32_t i = 0; ok && i < count; ++i) {
      uint32_t tag = 0;
      std::span<const std::byte> value;
      ok = r.read_tagged_field(tag, value);
    }
    if (!ok) return false;
  }
  if (correlation_id != expected.correlation_id) return false;
  f.body_offset = r.position();
  return true;
}

// Reads one response frame for the oldest call in flight and completes it; the error says why
// the connection must close.
awaitable<std::optional<call_errc>> read_one(const state_ptr& s, tcp::socket& socket,
                                             uint64_t gen) {
  std::array<std::byte, 4> prefix;
  auto [ec, n] = co_await asio::async_read(socket, asio::buffer(prefix), as_tuple);
  if (ec || gen != s->generation) co_return call_errc::closed;
  const int32_t size = bytes::load_be<int32_t>(prefix.data());
  if (s->in_flight.empty() || size < 4) {
    log::warn("net", "closing connection to {}: {} response of {} bytes", s->peer(),
              s->in_flight.empty() ? "unsolicited" : "truncated", size);
    co_return call_errc::protocol_error;
  }
  call_ptr front = s->in_flight.front();
  if (static_cast<size_t>(size) > s->options.response_max_bytes) {
    log::warn("net", "closing connection to {}: response of {} bytes is above the limit of {}",
              s->peer(), size, s->options.response_max_bytes);
    s->in_flight.pop_front();
    complete(front, fail(call_errc::response_too_large));
    co_return call_errc::closed;
  }
  response_frame f;
  f.bytes.resize(static_cast<size_t>(size));
  auto [read_error, m] = co_await asio::async_read(socket, asio::buffer(f.bytes), as_tuple);
  if (read_error || gen != s->generation) co_return call_errc::closed;
  if (!read_response_header(f, *front)) {
    log::warn("net",
              "closing connection to {}: response header unreadable or not for "
              "correlation id {} (responses must come in request order)",
              s->peer(), front->correlation_id);
    co_return call_errc::protocol_error;
  }
  s->in_flight.pop_front();
  complete(front, std::move(f));
  co_return std::nullopt;
}

awaitable<call_errc> read_loop(state_ptr s, std::shared_ptr<tcp::socket> socket, uint64_t gen) {
  for (;;) {
    if (auto why = co_await read_one(s, *socket, gen)) co_return *why;
  }
}

awaitable<void> run_link(state_ptr s) {
  const uint64_t gen = s->generation;
  if (clock::now() < s->retry_after) {
    s->backoff.expires_at(s->retry_after);
    co_await s->backoff.async_wait(as_tuple);
    if (gen != s->generation) co_return;  // closed while backing off
  }
  auto socket = std::make_shared<tcp::socket>(s->executor);
  s->socket = socket;
  if (!co_await connect(s, *socket)) {
    if (gen != s->generation) co_return;  // closed while connecting
    if (s->log_next_connect_failure) {
      log::info("net", "cannot connect to {} (retrying every {} ms; logged once per outage)",
                s->peer(), s->options.retry_backoff.count());
      s->log_next_connect_failure = false;
    }
    s->drop_link(gen, call_errc::connect_failed);
    co_return;
  }
  if (gen != s->generation) co_return;
  s->link = kafka_client::state::link_state::up;
  s->log_next_connect_failure = true;
  // Whichever loop fails first drops the link, which closes the socket and wakes the other.
  asio::co_spawn(s->executor, write_loop(s, socket, gen), asio::detached);
  s->drop_link(gen, co_await read_loop(s, socket, gen));
}

}  // namespace

int32_t kafka_client::state::take_correlation_id() {
  const int32_t id = next_correlation_id;
  next_correlation_id = id == INT32_MAX ? 0 : id + 1;
  return id;
}

void kafka_client::state::start_link(const std::shared_ptr<state>& self) {
  if (link == link_state::up) {
    writer_wake.cancel();
    return;
  }
  if (link == link_state::connecting) return;
  link = link_state::connecting;
  asio::co_spawn(executor, run_link(self), asio::detached);
}

void kafka_client::state::drop_link(uint64_t gen, call_errc why) {
  if (gen != generation) return;  // already dropped
  ++generation;
  link = link_state::down;
  retry_after = clock::now() + options.retry_backoff;
  if (socket) {
    asio::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
    socket.reset();
  }
  writer_wake.cancel();
  backoff.cancel();
  // Calls written on a broken connection get `why`; so do calls never written, whose
  // connection failed or closed before their turn.
  auto failed = std::move(in_flight);
  failed.insert(failed.end(), outbox.begin(), outbox.end());
  in_flight.clear();
  outbox.clear();
  for (auto& c : failed) complete(c, fail(why));
}

void kafka_client::state::abandon(const call_ptr& c) {
  if (auto it = std::find(outbox.begin(), outbox.end(), c); it != outbox.end()) {
    outbox.erase(it);  // never written: the connection is unaffected
    return;
  }
  if (std::find(in_flight.begin(), in_flight.end(), c) == in_flight.end()) return;
  // Written: its response may still come, and would be read as the next call's.
  log::info("net", "closing connection to {}: request with correlation id {} timed out", peer(),
            c->correlation_id);
  std::erase(in_flight, c);
  drop_link(generation, call_errc::closed);
}

kafka_client::kafka_client(asio::any_io_executor executor, std::string host, uint16_t port,
                           client_options options)
    : _state(std::make_shared<state>(std::move(executor), std::move(host), port,
                                     std::move(options))) {}

kafka_client::~kafka_client() {
  close();
}

void kafka_client::close() {
  _state->drop_link(_state->generation, call_errc::closed);
}

const std::string& kafka_client::host() const {
  return _state->host;
}
uint16_t kafka_client::port() const {
  return _state->port;
}
const client_options& kafka_client::options() const {
  return _state->options;
}

namespace {

// The size prefix and request header (v1: client id; v2: and an empty tagged-field section).
std::vector<std::byte> request_header(int16_t api_key, int16_t api_version, int16_t version,
                                      int32_t correlation_id, const std::string& client_id,
                                      size_t body_size) {
  protocol::writer w;
  w.write_fixed(int32_t{0});  // size, patched below
  w.write_fixed(api_key);
  w.write_fixed(api_version);
  w.write_fixed(correlation_id);
  if (version >= 1) w.write_string(client_id, false);  // never compact, even in v2
  if (version >= 2) w.write_uvarint(0);
  w.patch_int32(0, static_cast<int32_t>(w.size() - 4 + body_size));
  return std::move(w).take();
}

}  // namespace

awaitable<result<response_frame, call_errc>> kafka_client::call(int16_t api_key,
                                                                int16_t api_version,
                                                                int16_t request_header_version,
                                                                std::vector<std::byte> body,
                                                                std::chrono::milliseconds timeout) {
  VLTAVA_ASSERT(request_header_version >= 0 && request_header_version <= 2,
                "request header is v0, v1 or v2");
  state_ptr s = _state;  // the client may be destroyed while this call waits
  const auto caller = co_await asio::this_coro::executor;
  VLTAVA_ASSERT(caller == s->executor, "kafka_client::call runs on the client's executor");
  if (s->outbox.size() + s->in_flight.size() >= s->options.max_in_flight) {
    co_return fail(call_errc::too_many_in_flight);
  }
  const int16_t response_header_version =
      api_key != api_versions_key && request_header_version >= 2 ? 1 : 0;
  auto c = std::make_shared<pending_call>(s->executor, s->take_correlation_id(),
                                          response_header_version);
  c->header = request_header(api_key, api_version, request_header_version, c->correlation_id,
                             s->options.client_id, body.size());
  c->body = std::move(body);
  s->outbox.push_back(c);
  s->start_link(s);
  c->done.expires_after(timeout);
  co_await c->done.async_wait(as_tuple);
  if (c->outcome) co_return std::move(*c->outcome);
  s->abandon(c);
  co_return fail(call_errc::timed_out);
}

}  // namespace vltava::net
