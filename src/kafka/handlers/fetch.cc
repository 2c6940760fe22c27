#include "kafka/handlers/fetch.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "cluster/partition_leadership.h"
#include "cluster/partition_manager.h"
#include "kafka/handlers/fetch_session.h"
#include "kafka/handlers/leader_hint.h"
#include "kafka/handlers/quorum_apis.h"
#include "kafka/server/authorize.h"
#include "kafka/server/client_quotas.h"
#include "net/shard_calls.h"

namespace vltava::kafka {

using protocol::error_code;
using partition_data = protocol::fetch_response::fetchable_topic_response::partition_data;

namespace {

// Bounds on what a client controls: the wait, and the bytes one Fetch may gather per shard.
constexpr int32_t max_wait_ms_max = 30 * 60 * 1000;
constexpr int64_t fetch_bytes_max = 64 * 1024 * 1024;

struct read_outcome {
  error_code error = error_code::none;
  model::offset high_watermark{-1};
  model::offset log_start{-1};
  model::offset last_stable{-1};
  // read_committed only: the aborted transactions overlapping the returned range.
  std::optional<std::vector<cluster::aborted_txn>> aborted;
  std::vector<storage::file_range> ranges;  // whole batches, sent with sendfile
  uint64_t bytes = 0;
  // A follower's log diverged from the leader's: where the leader's epoch ends (KIP-595).
  std::optional<cluster::epoch_end> diverging;
};

// The follower broker a fetch comes from (id -1: a consumer) and the broker epoch it sent.
struct fetching_replica {
  model::node_id id{-1};
  int64_t broker_epoch = -1;
};

// A partition the request names but the image does not know: answered, never fetched.
struct unresolved {
  std::string topic;
  protocol::uuid topic_id;
  int32_t partition = 0;
  error_code error = error_code::none;
};

// On the owning shard: reads each wanted partition `mine` names (indices into `wants`, within
// `budget` bytes after the first batch) and, when the fetch may park, registers `waiter` so an
// append wakes it.
// A follower's read of one partition it replicates from this leader: its fetch offset is its
// durable end (recorded: the high watermark may move), it reads up to the log end, and a
// diverged log is told where to truncate instead.
void read_for_replica(cluster::partition& part, const fetch_want& w,
                      const fetching_replica& replica, int64_t budget, int64_t& used,
                      const std::shared_ptr<cluster::fetch_waiter>& waiter, read_outcome& out) {
  auto answer = part.on_replica_fetch(replica.id, replica.broker_epoch, w.fetch_offset,
                                      w.last_fetched_epoch, w.current_leader_epoch);
  out.high_watermark = part.high_watermark();
  out.log_start = part.log_start_offset();
  out.last_stable = part.last_stable_offset();
  out.error = answer.error;
  out.diverging = answer.diverging;
  if (out.error != error_code::none || out.diverging) return;
  if (waiter) part.add_waiter(waiter);
  if (used >= budget || w.fetch_offset >= part.log_end_offset()) return;
  auto limit = static_cast<uint64_t>(std::clamp<int64_t>(w.max_bytes, 1, budget - used));
  auto r = part.read_for_replica(w.fetch_offset, limit);
  if (!r) {
    out.error = r.error().code == storage::errc::offset_out_of_range
                    ? error_code::offset_out_of_range
                    : cluster::to_kafka_error(r.error().code);
    return;
  }
  used += static_cast<int64_t>(r->bytes);
  out.bytes = r->bytes;
  out.ranges = std::move(r->ranges);
}

net::awaitable<std::vector<read_outcome>> read_on_shard(
    cluster::partition_manager& pm, const std::vector<fetch_want>& wants,
    const std::vector<size_t>& mine, int64_t budget, bool read_committed, fetching_replica replica,
    std::shared_ptr<cluster::fetch_waiter> waiter) {
  std::vector<read_outcome> out(mine.size());
  int64_t used = 0;
  for (size_t i = 0; i < mine.size(); ++i) {
    const fetch_want& w = wants[mine[i]];
    auto part = pm.find_leader(w.tp.topic, w.tp.partition);
    if (!part) {
      out[i].error = error_code::not_leader_or_follower;
      continue;
    }
    if (replica.id >= model::node_id(0)) {
      read_for_replica(*part, w, replica, budget, used, waiter, out[i]);
      continue;
    }
    out[i].high_watermark = part->high_watermark();
    out[i].log_start = part->log_start_offset();
    out[i].last_stable = part->last_stable_offset();
    if (w.fetch_offset < out[i].log_start || w.fetch_offset > out[i].high_watermark) {
      out[i].error = error_code::offset_out_of_range;
      continue;
    }
    // read_committed reads only below the LSO, with the aborted transactions in that range
    // (the client drops their records); read_uncommitted reads up to the high watermark.
    const model::offset upper = read_committed ? out[i].last_stable : out[i].high_watermark;
    if (read_committed) out[i].aborted.emplace();
    if (waiter) part->add_waiter(waiter);
    if (used >= budget || w.fetch_offset >= upper) continue;
    auto limit = static_cast<uint64_t>(std::clamp<int64_t>(w.max_bytes, 1, budget - used));
    auto r = part->read(w.fetch_offset, limit, upper);
    if (!r) {
      out[i].error = r.error().code == storage::errc::offset_out_of_range
                         ? error_code::offset_out_of_range
                         : cluster::to_kafka_error(r.error().code);
      continue;
    }
    used += static_cast<int64_t>(r->bytes);
    out[i].bytes = r->bytes;
    out[i].ranges = std::move(r->ranges);
    if (read_committed && r->bytes > 0) {
      out[i].aborted = part->aborted_transactions(w.fetch_offset, r->next_offset);
    }
  }
  co_return out;
}

// Resolves the request's topics (by name before v13, by id from v13) into wants.
// A partition led elsewhere (or by nobody) is answered NOT_LEADER_OR_FOLLOWER and stays out of
// the session's wants.
void resolve(const protocol::fetch_request& req, int16_t v, const cluster::metadata_image* image,
             model::node_id self, std::vector<fetch_want>& wants, std::vector<unresolved>& errors) {
  const bool by_id = v >= 13;
  for (const auto& t : req.topics) {
    const cluster::topic_info* info = nullptr;
    if (image) info = by_id ? image->find_topic(t.topic_id) : image->find_topic(t.topic);
    for (const auto& p : t.partitions) {
      if (!info && by_id) {
        errors.push_back({t.topic, t.topic_id, p.partition, error_code::unknown_topic_id});
        continue;
      }
      if (auto route = cluster::route_partition(info, p.partition, self);
          route.error != error_code::none) {
        errors.push_back({t.topic, t.topic_id, p.partition, route.error});
        continue;
      }
      fetch_want w;
      w.tp = {info->name, model::partition_id(p.partition)};
      w.topic_id = info->id;
      w.fetch_offset = p.fetch_offset;
      w.max_bytes = p.partition_max_bytes;
      w.current_leader_epoch = p.current_leader_epoch;
      w.last_fetched_epoch = p.last_fetched_epoch;
      wants.push_back(std::move(w));
    }
  }
}

std::vector<model::topic_partition> forgotten_of(const protocol::fetch_request& req, int16_t v,
                                                 const cluster::metadata_image* image) {
  std::vector<model::topic_partition> out;
  for (const auto& f : req.forgotten_topics_data) {
    std::string name = f.topic;
    if (v >= 13) {
      const auto* info = image ? image->find_topic(f.topic_id) : nullptr;
      if (!info) continue;
      name = info->name;
    }
    for (int32_t p : f.partitions) out.push_back({name, model::partition_id(p)});
  }
  return out;
}

// Kafka's Fetch authorization: a consumer needs READ on each topic, a follower CLUSTER_ACTION
// on the cluster; the partitions refused are answered TOPIC_AUTHORIZATION_FAILED (also for a
// topic that does not exist, so names cannot be probed) and are not read.
void refuse_unauthorized(const request_context& ctx, const protocol::fetch_request& req,
                         std::vector<fetch_want>& wants, std::vector<unresolved>& errors) {
  request_authz authz(ctx);
  if (!authz.enabled()) return;
  const bool follower = req.replica_id() >= 0 || req.replica_state.replica_id() >= 0;
  const bool cluster_ok = follower && authz.allowed_on_cluster(acl_operation::cluster_action);
  auto ok = [&](const std::string& topic) {
    return follower ? cluster_ok : authz.allowed(acl_operation::read, resource_type::topic, topic);
  };
  std::erase_if(wants, [&](const fetch_want& w) {
    if (ok(w.tp.topic)) return false;
    errors.push_back(
        {w.tp.topic, w.topic_id, w.tp.partition(), error_code::topic_authorization_failed});
    return true;
  });
  for (auto& e : errors) {
    if (e.error == error_code::unknown_topic_or_partition && !ok(e.topic)) {
      e.error = error_code::topic_authorization_failed;
    }
  }
}

// Reads every want on its shard, concurrently, each shard within `budget` bytes.
net::awaitable<std::vector<read_outcome>> read_all(cluster::partition_manager& pm,
                                                   const std::vector<fetch_want>& wants,
                                                   int64_t budget, bool read_committed,
                                                   fetching_replica replica,
                                                   std::shared_ptr<cluster::fetch_waiter> waiter) {
  const auto split = net::split_by_shard(wants.size(), [&pm, &wants](size_t i) {
    return pm.shard_of(wants[i].topic_id, wants[i].tp.partition);
  });
  auto per_shard = co_await net::on_shards<std::vector<read_outcome>>(
      pm.shards(), split.shards,
      [&pm, &wants, &split, budget, read_committed, replica, &waiter](size_t g) {
        return read_on_shard(pm, wants, split.items[g], budget, read_committed, replica, waiter);
      });
  co_return split.gather(std::move(per_shard), wants.size());
}

partition_data partition_response(int32_t index, const read_outcome& r) {
  partition_data d;
  d.partition_index = model::partition_id(index);
  d.error_code = r.error;
  d.high_watermark = r.high_watermark;
  d.last_stable_offset = r.last_stable;
  d.log_start_offset = r.log_start;
  if (r.diverging) {
    d.diverging_epoch.epoch = r.diverging->epoch();
    d.diverging_epoch.end_offset = r.diverging->end_offset;
  }
  d.aborted_transactions = std::nullopt;
  if (r.aborted) {
    auto& list = d.aborted_transactions.emplace();
    list.reserve(r.aborted->size());
    for (const auto& a : *r.aborted) {
      auto& t = list.emplace_back();
      t.producer_id = a.producer;
      t.first_offset = a.first_offset;
    }
  }
  return d;
}

// KIP-951: each NOT_LEADER_OR_FOLLOWER answer names the current leader, and the response
// carries that leader's endpoint on the client's listener (node_endpoints, v16+).
void add_leader_hints(protocol::fetch_response& resp, const cluster::metadata_image& image,
                      int16_t v, model::node_id self, std::string_view listener) {
  for (auto& rt : resp.responses) {
    const cluster::topic_info* info =
        v >= 13 ? image.find_topic(rt.topic_id) : image.find_topic(rt.topic);
    for (auto& d : rt.partitions) {
      if (d.error_code != error_code::not_leader_or_follower) continue;
      const auto route = cluster::route_partition(info, d.partition_index(), self);
      d.current_leader.leader_id = route.leader;
      d.current_leader.leader_epoch = route.leader_epoch;
      add_leader_endpoint(resp.node_endpoints, image, route.leader, listener);
    }
  }
}

// Adds a partition to the response, grouping consecutive partitions of one topic.
partition_data& add(protocol::fetch_response& resp, const std::string& topic,
                    const protocol::uuid& id, int16_t v, partition_data d) {
  bool same = !resp.responses.empty() && (v >= 13 ? resp.responses.back().topic_id == id
                                                  : resp.responses.back().topic == topic);
  if (!same) {
    auto& t = resp.responses.emplace_back();
    if (v >= 13)
      t.topic_id = id;
    else
      t.topic = topic;
  }
  return resp.responses.back().partitions.emplace_back(std::move(d));
}

}  // namespace

net::response encode_fetch_response(const request_context& ctx, const fetch_outcome& outcome) {
  protocol::writer w;
  protocol::write_response_header(
      w, protocol::response_header_version(protocol::fetch_api::key, ctx.version()),
      ctx.header.correlation_id);
  outcome.response.encode(w, ctx.version());
  const auto splices = w.splices();
  std::vector<std::byte> buf = std::move(w).take();
  net::response out;
  size_t at = 0;
  for (const auto& sp : splices) {
    VLTAVA_ASSERT(sp.position >= at && sp.position <= buf.size(), "splice points in order");
    if (sp.position > at) {
      out.parts.emplace_back(
          std::vector<std::byte>(buf.begin() + static_cast<ptrdiff_t>(at),
                                 buf.begin() + static_cast<ptrdiff_t>(sp.position)));
    }
    at = sp.position;
    size_t length = 0;
    for (const auto& r : outcome.ranges.at(sp.id)) {
      out.parts.emplace_back(net::file_range{r.source, r.fd(), static_cast<int64_t>(r.position),
                                             static_cast<size_t>(r.length)});
      length += r.length;
    }
    VLTAVA_ASSERT(length == sp.length, "spliced ranges match the length written");
  }
  if (at < buf.size()) {
    out.parts.emplace_back(
        std::vector<std::byte>(buf.begin() + static_cast<ptrdiff_t>(at), buf.end()));
  }
  return out;
}

net::awaitable<fetch_outcome> serve_fetch(request_context& ctx,
                                          const protocol::fetch_request& req) {
  auto& pm = ctx.services.partitions;
  const int16_t v = ctx.version();
  auto image = pm.image();

  std::vector<fetch_want> requested;
  std::vector<unresolved> errors;
  resolve(req, v, image.get(), pm.node_id(), requested, errors);
  auto& sessions = broker_fetch_sessions();
  session_view session =
      v >= 7 ? sessions.begin(req.session_id, req.session_epoch, std::move(requested),
                              forgotten_of(req, v, image.get()))
             : session_view{error_code::none, 0, false, std::move(requested)};
  refuse_unauthorized(ctx, req, session.wants, errors);
  fetch_outcome out;
  out.response.session_id = session.session_id;
  if (session.error != error_code::none) {
    out.response.error_code = session.error;
    co_return out;
  }

  const auto wait = std::chrono::milliseconds(std::clamp(req.max_wait_ms, 0, max_wait_ms_max));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  int64_t budget = std::clamp<int64_t>(req.max_bytes, 1, fetch_bytes_max);
  // A follower broker (ReplicaState from v15, ReplicaId before): reads up to the log end.
  const fetching_replica replica =
      v >= 15 ? fetching_replica{req.replica_state.replica_id, req.replica_state.replica_epoch}
              : fetching_replica{req.replica_id, -1};
  if (replica.id < model::node_id(0) && ctx.services.quotas) {
    // Kafka bounds a consumer's fetch by what its quota lets through in one quota window.
    out.quota = ctx.services.quotas->applies(ctx, security::quota_kind::fetch);
    if (out.quota) {
      const double most = ctx.services.quotas->max_value_in_window(*out.quota);
      budget = std::clamp<int64_t>(static_cast<int64_t>(std::min(most, 1e18)), 1, budget);
    }
  }
  // Fetch v4+ (KIP-98): 1 = READ_COMMITTED.
  const bool read_committed = v >= 4 && req.isolation_level == 1;
  std::vector<read_outcome> reads;
  const auto home = co_await asio::this_coro::executor;
  for (;;) {
    const bool may_park = std::chrono::steady_clock::now() < deadline && req.min_bytes > 0;
    // No co_await inside a conditional expression: g++ 12 mishandles its temporaries.
    std::shared_ptr<cluster::fetch_waiter> waiter;
    if (may_park) waiter = std::make_shared<cluster::fetch_waiter>(home);
    reads = co_await read_all(pm, session.wants, budget, read_committed, replica, waiter);
    int64_t total = 0;
    bool failed = false;
    for (const auto& r : reads) {
      total += static_cast<int64_t>(r.bytes);
      failed = failed || r.error != error_code::none || r.diverging.has_value();
    }
    if (!waiter || failed || total >= req.min_bytes) break;
    co_await waiter->wait_until(deadline);
    if (!waiter->woken()) break;  // timed out: nothing was appended, the reads stand
  }

  // max_bytes over the whole response, in request order; the first partition with data keeps
  // its batch whatever its size.
  int64_t used = 0;
  std::vector<sent_state>& sent = out.sent;
  for (size_t i = 0; i < session.wants.size(); ++i) {
    const auto& w = session.wants[i];
    auto& r = reads[i];
    if (r.bytes > 0) {
      auto size = static_cast<int64_t>(r.bytes);
      if (used > 0 && used + size > budget) {
        r.ranges.clear();
        r.bytes = 0;
      }
      used += static_cast<int64_t>(r.bytes);
    }
    const bool news = r.bytes > 0 || r.error != error_code::none || r.diverging ||
                      r.high_watermark != w.sent_high_watermark || r.log_start != w.sent_log_start;
    if (session.incremental && !news) continue;
    auto& d = add(out.response, w.tp.topic, w.topic_id, v, partition_response(w.tp.partition(), r));
    if (r.bytes > 0) {
      // Zero copy: the writer leaves a splice point, the sender inserts the file ranges.
      d.records.splice_id = static_cast<uint32_t>(out.ranges.size());
      d.records.splice_length = r.bytes;
      out.ranges.push_back(std::move(r.ranges));
    }
    if (r.error == error_code::none) {
      sent.push_back({w.tp, r.high_watermark, r.log_start});
    }
  }
  for (const auto& e : errors) {
    read_outcome r;
    r.error = e.error;
    add(out.response, e.topic, e.topic_id, v, partition_response(e.partition, r));
  }
  // The newest image: leadership may have moved while the fetch waited.
  if (auto now = pm.image()) {
    add_leader_hints(out.response, *now, v, pm.node_id(), ctx.connection.listener);
  }
  co_return out;
}

namespace {

// Records a consumer's response against its byte-rate quota. Over it, Kafka takes the bytes
// back and answers empty (no partitions, the session kept) with throttle_time_ms, so the client
// fetches the same data again once unmuted; nullopt within the quota.
std::optional<fetch_outcome> throttle_fetch(request_context& ctx, const fetch_outcome& outcome,
                                            size_t response_bytes) {
  auto& quotas = *ctx.services.quotas;
  const auto bytes = static_cast<double>(response_bytes);
  const int64_t t = quotas.record(security::quota_kind::fetch, *outcome.quota, bytes);
  if (t <= 0) return std::nullopt;
  quotas.unrecord(security::quota_kind::fetch, *outcome.quota, bytes);
  ctx.throttle_ms = std::min<int64_t>(t, std::numeric_limits<int32_t>::max());
  fetch_outcome empty;
  empty.response.error_code = error_code::none;
  empty.response.session_id = outcome.response.session_id;
  empty.response.throttle_time_ms = static_cast<int32_t>(ctx.throttle_ms);
  return empty;
}

}  // namespace

net::awaitable<net::handler_result> handle_fetch(request_context& ctx,
                                                 std::span<const std::byte> body) {
  protocol::fetch_request request;
  protocol::reader r(body, ctx.header.body_offset);
  if (auto d = request.decode(r, ctx.version()); !d) {
    co_return refuse_malformed(ctx, protocol::fetch_api::name, d.error());
  }
  if (is_metadata_fetch(request, ctx.version())) {
    co_return co_await serve_metadata_fetch(ctx, std::move(request));
  }
  fetch_outcome outcome = co_await serve_fetch(ctx, request);
  net::response response = encode_fetch_response(ctx, outcome);
  if (outcome.quota) {
    if (auto throttled = throttle_fetch(ctx, outcome, response.size_bytes())) {
      co_return net::handler_result{encode_fetch_response(ctx, *throttled)};
    }
  }
  broker_fetch_sessions().sent(outcome.response.session_id, outcome.sent);
  co_return net::handler_result{std::move(response)};
}

}  // namespace vltava::kafka
