#include "quorum/service/quorum_service.h"

#include "base/assert.h"
#include "base/log.h"

namespace vltava::quorum {

using std::chrono::milliseconds;

namespace {

// Deadlines in raft_node are checked on ticks; a tenth of the shortest timeout in use keeps
// elections and check-quorum within 10% of their configured times.
milliseconds tick_interval(const quorum_config& c) {
  auto shortest = std::min({c.election_timeout, c.fetch_timeout, c.fetch_max_wait});
  return std::clamp(shortest / 10, milliseconds(1), milliseconds(50));
}

template <typename T>
constexpr bool is_response_v =
    std::is_same_v<T, vote_response> || std::is_same_v<T, begin_quorum_epoch_response> ||
    std::is_same_v<T, end_quorum_epoch_response> || std::is_same_v<T, fetch_response> ||
    std::is_same_v<T, fetch_snapshot_response>;

bool is_response(const message& m) {
  return std::visit([](const auto& b) { return is_response_v<std::decay_t<decltype(b)>>; }, m.body);
}

}  // namespace

// One caller parked until the node answers it; the timer only wakes it (never expires).
struct quorum_service::waiter {
  explicit waiter(const asio::any_io_executor& ex)
      : timer(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  bool done = false;
  errc error = errc::none;
  std::optional<message> answer;
  model::offset offset;

  void wake(errc e) {
    done = true;
    error = e;
    timer.cancel();
  }
  net::awaitable<void> wait() {
    while (!done) {
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(net::use_awaitable, ec));
    }
  }
};

quorum_service::quorum_service(asio::any_io_executor ex, quorum_config config, model::node_id self,
                               log& log, quorum_disk& disk, quorum_transport& transport,
                               election_state durable, committed_fn on_committed)
    : _ex(std::move(ex)),
      _log(log),
      _disk(disk),
      _transport(transport),
      _on_committed(std::move(on_committed)),
      _node(std::move(config), self, log, durable,
            static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                static_cast<uint64_t>(self()),
            now()) {}

// Either stop() has finished, or the executor no longer runs (a node whose shards stopped
// without a clean shutdown): then the suspended tick and calls never resume, and their frames
// go with the io_context.
quorum_service::~quorum_service() = default;

milliseconds quorum_service::now() const {
  return std::chrono::duration_cast<milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}

void quorum_service::start() {
  VLTAVA_ASSERT(!_running, "started once");
  _running = true;
  _ticker = std::make_unique<asio::steady_timer>(_ex);
  ++_tasks;
  asio::co_spawn(_ex, tick_loop(), asio::detached);
  drain();  // a one-voter quorum elects itself on its first tick; outputs may already wait
}

net::awaitable<void> quorum_service::tick_loop() {
  const milliseconds interval = tick_interval(_node.config());
  while (_running) {
    _ticker->expires_after(interval);
    std::error_code ec;
    co_await _ticker->async_wait(asio::redirect_error(net::use_awaitable, ec));
    if (!_running) break;
    _node.tick(now());
    drain();
  }
  --_tasks;
}

net::awaitable<void> quorum_service::stop() {
  if (!_running) co_return;
  if (_node.current_role() == role::leader && !_failed) {
    _node.resign(now());
    drain();
  }
  _running = false;
  _ticker->cancel();
  fail_everyone(errc::not_leader_or_follower);
  // The EndQuorumEpoch calls and a flush in flight finish on their own (each bounded by the
  // transport's timeout); wait for them so nothing runs after the service is gone.
  asio::steady_timer pause(_ex);
  while (_tasks > 0 || _flushing) {
    pause.expires_after(milliseconds(5));
    std::error_code ec;
    co_await pause.async_wait(asio::redirect_error(net::use_awaitable, ec));
  }
}

net::awaitable<result<message, errc>> quorum_service::handle_request(model::node_id from,
                                                                     message request) {
  if (!_running || _failed) co_return fail(errc::not_leader_or_follower);
  auto key = std::make_pair(from, request.correlation);
  auto w = std::make_shared<waiter>(_ex);
  // A peer that resends a correlation id still waiting replaces the older wait.
  if (auto old = _inbound.find(key); old != _inbound.end()) {
    old->second->wake(errc::invalid_request);
  }
  _inbound[key] = w;
  _node.handle(from, request, now());
  drain();
  co_await w->wait();
  if (auto it = _inbound.find(key); it != _inbound.end() && it->second == w) _inbound.erase(it);
  if (w->error != errc::none || !w->answer) co_return fail(w->error);
  co_return std::move(*w->answer);
}

net::awaitable<result<model::offset, errc>> quorum_service::append(std::vector<batch> batches) {
  if (!_running || _failed) co_return fail(errc::not_leader_or_follower);
  auto appended = _node.append(batches, now());
  if (!appended) co_return fail(appended.error());
  auto w = std::make_shared<waiter>(_ex);
  w->offset = *appended;
  _commit_waits.emplace(*appended, commit_wait{_node.epoch(), w});
  drain();
  co_await w->wait();
  if (w->error != errc::none) co_return fail(w->error);
  co_return w->offset;
}

net::awaitable<result<void, errc>> quorum_service::wait_committed(model::offset end) {
  if (end <= _node.high_watermark()) co_return result<void, errc>{};
  if (!_running || _failed) co_return fail(errc::not_leader_or_follower);
  auto w = std::make_shared<waiter>(_ex);
  _commit_waits.emplace(end - 1, commit_wait{std::nullopt, w});
  co_await w->wait();
  if (w->error != errc::none) co_return fail(w->error);
  co_return result<void, errc>{};
}

void quorum_service::drain() {
  if (auto f = _disk.failure(); f && !_failed) {
    // What the node just decided may rest on a write that did not happen: none of it goes
    // out, and the node leaves the quorum until restarted (Kafka halts here).
    vltava::log::error("quorum", "metadata log failed, leaving the quorum: {}", *f);
    _failed = true;
    fail_everyone(errc::not_leader_or_follower);
  }
  if (_failed) {
    (void)_node.take_outputs();
    return;
  }
  for (auto& out : _node.take_outputs()) {
    if (_failed) break;
    if (auto* p = std::get_if<persist_election>(&out)) {
      if (auto r = _disk.persist(p->state); !r) {
        // Answering without the vote on disk could elect two leaders in one epoch: this node
        // stops taking part until it is restarted (Kafka exits in this case).
        vltava::log::error("quorum", "cannot persist the election state, leaving the quorum: {}",
                           r.error());
        _failed = true;
        fail_everyone(errc::not_leader_or_follower);
      }
    } else {
      execute(std::get<send_message>(out));
    }
  }
  // raft_node answers every request at once except a held Fetch, and drops held fetches when
  // it changes role or epoch: their askers are told to look for the leader again.
  const auto now_in = std::make_pair(_node.current_role(), _node.epoch());
  if (now_in != _last_role_and_epoch) {
    _last_role_and_epoch = now_in;
    for (auto& [key, w] : _inbound) w->wake(errc::not_leader_or_follower);
    _inbound.clear();
  }
  // A snapshot fetched from the leader replaced the log: the state machine loads it before
  // applying what follows it.
  if (auto s = _node.take_snapshot_to_load(); s && _on_snapshot) _on_snapshot(*s);
  // A log may hand out the committed entries in parts (storage_log bounds one read).
  for (auto committed = _node.take_committed(); !committed.empty();
       committed = _node.take_committed()) {
    if (_on_committed) _on_committed(committed);
  }
  wake_commit_waits();
  flush_if_needed();
}

void quorum_service::execute(const send_message& s) {
  if (is_response(s.msg)) {
    auto it = _inbound.find({s.to, s.msg.correlation});
    if (it == _inbound.end()) return;  // the asker gave up (stopped, or resent)
    it->second->answer = s.msg;
    it->second->wake(errc::none);
    _inbound.erase(it);
    return;
  }
  ++_tasks;
  asio::co_spawn(_ex, call_peer(s.to, s.msg), asio::detached);
}

net::awaitable<void> quorum_service::call_peer(model::node_id to, message request) {
  auto answer = co_await _transport.call(to, std::move(request));
  // A failed call is simply dropped: the node's own request timeout resends it.
  if (answer && _running && !_failed) {
    _node.handle(to, *answer, now());
    drain();
  }
  --_tasks;
}

void quorum_service::flush_if_needed() {
  if (_flushing || _failed || _node.durable_end() >= _log.end_offset()) return;
  _flushing = true;
  _disk.flush([this](result<model::offset, std::string> end) {
    _flushing = false;
    if (!end) {
      vltava::log::error("quorum", "metadata log flush failed, leaving the quorum: {}",
                         end.error());
      _failed = true;
      fail_everyone(errc::not_leader_or_follower);
      return;
    }
    if (!_running) return;
    _node.on_flushed(*end, now());
    drain();
  });
}

void quorum_service::wake_commit_waits() {
  const auto hw = _node.high_watermark();
  const bool leading = _node.current_role() == role::leader;
  for (auto it = _commit_waits.begin(); it != _commit_waits.end();) {
    auto& [offset, cw] = *it;
    if (offset < hw) {
      cw.w->wake(errc::none);
    } else if (cw.epoch && (!leading || _node.epoch() != *cw.epoch)) {
      cw.w->wake(errc::not_leader_or_follower);
    } else {
      ++it;
      continue;
    }
    it = _commit_waits.erase(it);
  }
}

void quorum_service::fail_everyone(errc e) {
  for (auto& [key, w] : _inbound) w->wake(e);
  _inbound.clear();
  for (auto& [offset, cw] : _commit_waits) cw.w->wake(e);
  _commit_waits.clear();
}

}  // namespace vltava::quorum
