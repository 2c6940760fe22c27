// The active controller's side of the brokers' lifecycle: registration, heartbeats, fencing
// when a session expires, controlled shutdown and unregistration (metadata_store.h). Kept apart
// from the topic and config mutations of metadata_store.cc; same state, same rules (shard 0,
// validation against the working image, one committed batch per decision).

#include <chrono>

#include "base/log.h"
#include "cluster/leader_election.h"
#include "cluster/metadata_store.h"
#include "cluster/metadata_store_state.h"
#include "net/shard_calls.h"
#include "quorum/io/storage_log.h"
#include "quorum/service/quorum_service.h"

namespace vltava::cluster {
namespace {

using error_code = protocol::error_code;
using clock = std::chrono::steady_clock;

// How often the controller looks for expired sessions: a fraction of the session timeout, so
// a broker is fenced at most a quarter late.
std::chrono::milliseconds session_check_interval(std::chrono::milliseconds session) {
  return std::clamp(session / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(500));
}

template <typename Result>
Result failed(const op_result& why) {
  Result out;
  static_cast<op_result&>(out) = why;
  return out;
}

protocol::metadata_broker_registration_change_record change_of(const broker_info& b, int8_t fenced,
                                                               int8_t in_controlled_shutdown) {
  protocol::metadata_broker_registration_change_record c;
  c.broker_id = b.id;
  c.broker_epoch = b.epoch;
  c.fenced = fenced;
  c.in_controlled_shutdown = in_controlled_shutdown;
  return c;
}

}  // namespace

net::awaitable<broker_registration_result> metadata_store::register_broker(
    broker_registration_request req) {
  auto task = net::on_shard<broker_registration_result>(
      _shards, 0, [this, &req] { return register_broker_on_shard0(std::move(req)); });
  co_return co_await std::move(task);
}

net::awaitable<broker_heartbeat_result> metadata_store::broker_heartbeat(
    broker_heartbeat_request req) {
  auto task = net::on_shard<broker_heartbeat_result>(
      _shards, 0, [this, req] { return broker_heartbeat_on_shard0(req); });
  co_return co_await std::move(task);
}

net::awaitable<op_result> metadata_store::unregister_broker(model::node_id id) {
  auto task =
      net::on_shard<op_result>(_shards, 0, [this, id] { return unregister_broker_on_shard0(id); });
  co_return co_await std::move(task);
}

// ---- on shard 0 -------------------------------------------------------------------------------

net::awaitable<broker_registration_result> metadata_store::register_broker_on_shard0(
    broker_registration_request req) {
  state& st = *_state;
  using result_t = broker_registration_result;
  if (auto ready = co_await controller_ready(); !ready.ok()) co_return failed<result_t>(ready);
  if (req.cluster_id != st.working.cluster_id) {
    co_return failed<result_t>(op_result::failure(
        error_code::inconsistent_cluster_id,
        "Expected cluster ID " + st.working.cluster_id + ", but got cluster ID " + req.cluster_id));
  }
  if (req.id < model::node_id(0)) {
    co_return failed<result_t>(
        op_result::failure(error_code::invalid_request, "A broker id must not be negative."));
  }
  const broker_info* existing = st.working.find_broker(req.id);
  if (existing != nullptr && existing->incarnation_id == req.incarnation_id) {
    // The same process asking again (its first answer was lost): the same registration.
    result_t out;
    out.broker_epoch = existing->epoch;
    co_return out;
  }
  if (existing != nullptr) {
    auto contact = st.last_contact.find(req.id);
    if (contact != st.last_contact.end() && clock::now() - contact->second < st.session_timeout) {
      // Another process with this id is alive (or was, within the session timeout): two
      // brokers must never share an id. A restarted process retries until the old session ends.
      co_return failed<result_t>(
          op_result::failure(error_code::duplicate_broker_registration,
                             "Another broker is registered with that broker id " +
                                 std::to_string(req.id()) + " and its session has not expired."));
    }
  }
  protocol::metadata_register_broker_record r;
  r.broker_id = req.id;
  r.incarnation_id = req.incarnation_id;
  // The record's own offset, as Kafka's broker epochs are: the batch is appended next, on this
  // shard, with nothing in between.
  r.broker_epoch = st.log->end_offset()();
  for (const auto& e : req.endpoints) {
    protocol::metadata_register_broker_record::endpoint out;
    out.name = e.listener;
    out.host = e.host;
    out.port = e.port;
    out.security_protocol = e.security_protocol;
    r.endpoints.push_back(std::move(out));
  }
  r.rack = req.rack;
  r.fenced = true;
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  if (auto a = apply_record(next, ids, r); !a) {
    co_return failed<result_t>(op_result::failure(error_code::invalid_request, a.error()));
  }
  std::vector<metadata_record> records{metadata_record(r)};
  if (auto c = co_await commit(records, next, ids); !c.ok()) co_return failed<result_t>(c);
  st.last_contact[req.id] = clock::now();
  log::info("cluster", "controller: broker {} registered with epoch {}", req.id(), r.broker_epoch);
  result_t out;
  out.broker_epoch = r.broker_epoch;
  co_return out;
}

net::awaitable<broker_heartbeat_result> metadata_store::broker_heartbeat_on_shard0(
    broker_heartbeat_request req) {
  state& st = *_state;
  using result_t = broker_heartbeat_result;
  if (auto ready = co_await controller_ready(); !ready.ok()) co_return failed<result_t>(ready);
  const broker_info* b = st.working.find_broker(req.id);
  if (b == nullptr || b->epoch != req.broker_epoch) {
    co_return failed<result_t>(op_result::failure(
        error_code::stale_broker_epoch,
        "Expected broker epoch " + std::to_string(b ? b->epoch : -1) + " for broker " +
            std::to_string(req.id()) + ", but got " + std::to_string(req.broker_epoch) + "."));
  }
  st.last_contact[req.id] = clock::now();
  result_t out;
  out.caught_up = req.metadata_offset >= b->epoch;
  if (req.want_shut_down) {
    // Controlled shutdown: its leaderships move away (or end, with no other in-sync replica),
    // and once it leads nothing it is fenced and may stop.
    if (!b->fenced) {
      auto c = co_await commit_leaving(req.id, change_of(*b, 0, 1));
      if (!c.ok()) co_return failed<result_t>(c);
    }
    b = st.working.find_broker(req.id);
    if (b != nullptr && !b->fenced && leaderships(st.working, req.id) == 0) {
      metadata_image next = st.working;
      topic_id_index ids = st.ids;
      std::vector<metadata_record> records{metadata_record(change_of(*b, 1, 0))};
      auto a = apply_record(next, ids, records.front());
      VLTAVA_ASSERT(a.has_value(), "fencing a registered broker applies");
      if (auto c = co_await commit(records, next, ids); !c.ok()) co_return failed<result_t>(c);
    }
    b = st.working.find_broker(req.id);
    out.shut_down = b == nullptr || b->fenced;
    out.fenced = true;
    // It is gone on purpose: its id is free again at once.
    if (out.shut_down) st.last_contact.erase(req.id);
    co_return out;
  }
  if (b->fenced && !req.want_fence && out.caught_up) {
    metadata_image next = st.working;
    topic_id_index ids = st.ids;
    std::vector<metadata_record> records{metadata_record(change_of(*b, -1, -1))};
    auto a = apply_record(next, ids, records.front());
    VLTAVA_ASSERT(a.has_value(), "unfencing a registered broker applies");
    for (auto& r : elect_returning(next, req.id)) {
      auto e = apply_record(next, ids, r);
      VLTAVA_ASSERT(e.has_value(), "an election's change applies");
      records.push_back(std::move(r));
    }
    if (auto c = co_await commit(records, next, ids); !c.ok()) co_return failed<result_t>(c);
    log::info("cluster", "controller: broker {} unfenced", req.id());
  } else if (!b->fenced && req.want_fence) {
    if (auto c = co_await commit_leaving(req.id, change_of(*b, 1, 0)); !c.ok()) {
      co_return failed<result_t>(c);
    }
  }
  b = st.working.find_broker(req.id);
  out.fenced = b == nullptr || b->fenced;
  co_return out;
}

net::awaitable<op_result> metadata_store::unregister_broker_on_shard0(model::node_id id) {
  state& st = *_state;
  if (auto ready = co_await controller_ready(); !ready.ok()) co_return ready;
  const broker_info* b = st.working.find_broker(id);
  if (b == nullptr) {
    co_return op_result::failure(error_code::broker_id_not_registered,
                                 "Broker ID " + std::to_string(id()) + " is not registered.");
  }
  if (!b->fenced) {
    if (auto c = co_await commit_leaving(id, change_of(*b, 1, 0)); !c.ok()) co_return c;
    b = st.working.find_broker(id);
    if (b == nullptr) co_return op_result{};
  }
  protocol::metadata_unregister_broker_record r;
  r.broker_id = id;
  r.broker_epoch = b->epoch;
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  auto a = apply_record(next, ids, r);
  VLTAVA_ASSERT(a.has_value(), "unregistering a registered broker applies");
  std::vector<metadata_record> records{metadata_record(r)};
  if (auto c = co_await commit(records, next, ids); !c.ok()) co_return c;
  st.last_contact.erase(id);
  co_return op_result{};
}

net::awaitable<op_result> metadata_store::commit_leaving(
    model::node_id id, protocol::metadata_broker_registration_change_record change) {
  state& st = *_state;
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  std::vector<metadata_record> records{metadata_record(change)};
  auto a = apply_record(next, ids, records.front());
  VLTAVA_ASSERT(a.has_value(), "a change of a registered broker applies");
  for (auto& r : elect_without(next, id)) {
    auto e = apply_record(next, ids, r);
    VLTAVA_ASSERT(e.has_value(), "an election's change applies");
    records.push_back(std::move(r));
  }
  co_return co_await commit(records, next, ids);
}

net::awaitable<void> metadata_store::fence_expired_sessions() {
  state& st = *_state;
  const auto& node = st.quorum->node();
  if (st.closed || node.current_role() != quorum::role::leader) co_return;
  if (auto ready = co_await controller_ready(); !ready.ok()) co_return;
  const auto now = clock::now();
  std::vector<model::node_id> expired;
  for (const auto& b : st.working.brokers) {
    if (!b.live()) continue;
    auto since = st.sessions_since;
    if (auto it = st.last_contact.find(b.id); it != st.last_contact.end()) {
      since = std::max(since, it->second);
    }
    if (now - since >= st.session_timeout) expired.push_back(b.id);
  }
  for (model::node_id id : expired) {
    const broker_info* b = st.working.find_broker(id);
    if (b == nullptr || !b->live()) continue;
    log::warn("cluster", "controller: fencing broker {}: no heartbeat for {} ms", id(),
              st.session_timeout.count());
    if (auto c = co_await commit_leaving(id, change_of(*b, 1, 0)); !c.ok()) co_return;
  }
}

net::awaitable<void> metadata_store::session_loop(metadata_store* self) {
  state& st = *self->_state;
  const auto interval = session_check_interval(st.session_timeout);
  while (!st.closed) {
    st.session_timer->expires_after(interval);
    co_await st.session_timer->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (st.closed) break;
    co_await self->fence_expired_sessions();
    co_await self->rebalance_leaders();
  }
  st.session_loop_running = false;
}

}  // namespace vltava::cluster
