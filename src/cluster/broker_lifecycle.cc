#include "cluster/broker_lifecycle.h"

#include "base/log.h"
#include "cluster/controller_channel.h"
#include "cluster/metadata_records.h"
#include "cluster/metadata_store.h"
#include "protocol/generated/broker_heartbeat.h"
#include "protocol/generated/broker_registration.h"

namespace vltava::cluster {

struct broker_lifecycle::state {
  metadata_store& store;
  controller_channel* channel;
  lifecycle_options options;
  protocol::uuid incarnation = random_uuid();
  asio::steady_timer timer;
  std::optional<int64_t> epoch;  // set once registered
  bool unfenced_once = false;
  std::promise<void> unfenced;
  std::shared_future<void> unfenced_future = unfenced.get_future().share();
  bool shutting_down = false;
  std::promise<void> done;  // the loop ended (let go by the controller, or abandoned)
  std::shared_future<void> done_future = done.get_future().share();
  bool stop_now = false;  // give up the controlled shutdown (its timeout passed)

  state(metadata_store& s, controller_channel* c, lifecycle_options o, asio::any_io_executor ex)
      : store(s), channel(c), options(std::move(o)), timer(std::move(ex)) {}
};

namespace {

using state = broker_lifecycle::state;

// This node decides when it is the controller its image names; the channel reaches any other.
bool controller_is_here(const state& st) {
  return st.store.image()->controller_id == st.options.node;
}

template <typename Result>
Result call_failed(protocol::error_code e, std::string why) {
  Result out;
  static_cast<op_result&>(out) = op_result::failure(e, std::move(why));
  return out;
}

net::awaitable<broker_registration_result> send_registration(state& st) {
  broker_registration_request req;
  req.id = st.options.node;
  req.cluster_id = st.store.image()->cluster_id;
  req.incarnation_id = st.incarnation;
  req.endpoints = st.options.endpoints;
  req.rack = st.options.rack;
  if (controller_is_here(st) || st.channel == nullptr) {
    co_return co_await st.store.register_broker(std::move(req));
  }
  protocol::broker_registration_request wire;
  wire.broker_id = req.id;
  wire.cluster_id = req.cluster_id;
  wire.incarnation_id = req.incarnation_id;
  for (const auto& e : req.endpoints) {
    wire.listeners.push_back({e.listener, e.host, e.port, e.security_protocol, {}});
  }
  wire.rack = req.rack;
  auto r = co_await st.channel->call<protocol::broker_registration_api>(
      wire, protocol::broker_registration_api::max_version);
  if (!r) {
    co_return call_failed<broker_registration_result>(protocol::error_code::network_exception,
                                                      "the controller did not answer");
  }
  broker_registration_result out;
  out.error = r->body.error_code;
  out.broker_epoch = r->body.broker_epoch;
  co_return out;
}

net::awaitable<broker_heartbeat_result> send_heartbeat(state& st) {
  broker_heartbeat_request req;
  req.id = st.options.node;
  req.broker_epoch = *st.epoch;
  req.metadata_offset = st.store.image()->offset;
  req.want_shut_down = st.shutting_down;
  if (controller_is_here(st) || st.channel == nullptr) {
    co_return co_await st.store.broker_heartbeat(req);
  }
  protocol::broker_heartbeat_request wire;
  wire.broker_id = req.id;
  wire.broker_epoch = req.broker_epoch;
  wire.current_metadata_offset = req.metadata_offset;
  wire.want_fence = false;
  wire.want_shut_down = req.want_shut_down;
  auto r = co_await st.channel->call<protocol::broker_heartbeat_api>(
      wire, protocol::broker_heartbeat_api::max_version);
  if (!r) {
    co_return call_failed<broker_heartbeat_result>(protocol::error_code::network_exception,
                                                   "the controller did not answer");
  }
  broker_heartbeat_result out;
  out.error = r->body.error_code;
  out.caught_up = r->body.is_caught_up;
  out.fenced = r->body.is_fenced;
  out.shut_down = r->body.should_shut_down;
  co_return out;
}

// Waits `d`, or less when shut_down() cuts the wait short.
net::awaitable<void> pause(state& st, std::chrono::milliseconds d) {
  st.timer.expires_after(d);
  co_await st.timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

}  // namespace

broker_lifecycle::broker_lifecycle(net::shard_pool& shards, metadata_store& store,
                                   controller_channel* channel, lifecycle_options options)
    : _shards(shards),
      _state(std::make_shared<state>(store, channel, std::move(options),
                                     shards.shard(0).get_executor())) {}

broker_lifecycle::~broker_lifecycle() = default;

void broker_lifecycle::start() {
  asio::co_spawn(_shards.shard(0), run(_state), asio::detached);
}

bool broker_lifecycle::wait_unfenced(std::chrono::milliseconds timeout) {
  return _state->unfenced_future.wait_for(timeout) == std::future_status::ready;
}

void broker_lifecycle::shut_down(std::chrono::milliseconds timeout) {
  auto done = _state->done_future;
  asio::post(_shards.shard(0), [st = _state] {
    st->shutting_down = true;
    st->timer.cancel();
  });
  if (done.wait_for(timeout) == std::future_status::ready) return;
  log::warn("broker", "controlled shutdown: no answer from the controller within {} ms",
            timeout.count());
  asio::post(_shards.shard(0), [st = _state] {
    st->stop_now = true;
    st->timer.cancel();
  });
  done.wait();
}

net::awaitable<void> broker_lifecycle::run(std::shared_ptr<state> sp) {
  state& st = *sp;
  const auto& o = st.options;
  bool warned = false;
  while (!st.stop_now) {
    if (!st.epoch) {
      if (st.shutting_down) break;  // never registered: nothing to hand over
      auto r = co_await send_registration(st);
      if (r.ok()) {
        st.epoch = r.broker_epoch;
        log::info("broker", "registered with the controller: broker epoch {}", *st.epoch);
        continue;
      }
      if (!warned) {
        log::info("broker", "registration not accepted yet ({}{}); retrying",
                  protocol::error_name(r.error), r.message ? ": " + *r.message : "");
        warned = true;
      }
      co_await pause(st, o.retry_backoff);
      continue;
    }
    auto hb = co_await send_heartbeat(st);
    if (hb.error == protocol::error_code::stale_broker_epoch) {
      // The controller no longer knows this registration (unregistered): register again.
      log::warn("broker", "the controller does not know broker epoch {}; registering again",
                *st.epoch);
      st.epoch.reset();
      continue;
    }
    if (!hb.ok()) {
      co_await pause(st, o.retry_backoff);
      continue;
    }
    if (st.shutting_down && hb.shut_down) {
      log::info("broker", "controlled shutdown: the controller let this broker go");
      break;
    }
    if (!hb.fenced && !st.unfenced_once) {
      st.unfenced_once = true;
      log::info("broker", "unfenced by the controller");
      st.unfenced.set_value();
    }
    // Quick turns while the controller still has something to do for us.
    co_await pause(st, hb.fenced || st.shutting_down ? o.retry_backoff : o.heartbeat_interval);
  }
  st.done.set_value();
}

}  // namespace vltava::cluster
