#include "kafka/handlers/produce.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>

#include "cluster/broker_channels.h"
#include "cluster/partition_leadership.h"
#include "cluster/partition_manager.h"
#include "config/broker_configs.h"
#include "coord/txn_coordinator.h"
#include "kafka/handlers/leader_hint.h"
#include "kafka/server/authorize.h"
#include "kafka/server/client_quotas.h"
#include "model/topic_partition.h"
#include "net/shard_calls.h"
#include "protocol/generated/add_partitions_to_txn.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

using partition_response =
    protocol::produce_response::topic_produce_response::partition_produce_response;

struct job {
  size_t topic = 0;      // index in the request (and the response)
  size_t partition = 0;  // index in the request's topic
  model::topic_partition tp;
  protocol::uuid topic_id;  // routes the job to its shard
  protocol::records_view records;
};

partition_response error_response(int32_t index, error_code e, std::string message = {}) {
  partition_response r;
  r.index = index;
  r.error_code = e;
  r.base_offset = model::offset(-1);
  if (!message.empty()) r.error_message = std::move(message);
  return r;
}

partition_response to_response(int32_t index, const cluster::append_outcome& o) {
  partition_response r;
  r.index = index;
  r.error_code = o.error;
  r.base_offset = o.error == error_code::none ? o.base_offset : model::offset(-1);
  r.log_append_time_ms = o.log_append_time_ms;
  r.log_start_offset = o.log_start_offset;
  if (o.error != error_code::none) {
    r.error_message = o.message;
    if (o.batch_index) {
      partition_response::batch_index_and_error_message be;
      be.batch_index = *o.batch_index;
      be.batch_index_error_message = o.message;
      r.record_errors.push_back(std::move(be));
    }
  }
  return r;
}

// `part` as a writable span of `writable` when it lies inside it.
std::optional<std::span<std::byte>> writable_part(std::span<std::byte> writable,
                                                  std::span<const std::byte> part) {
  if (writable.empty() || part.empty()) return std::nullopt;
  const std::byte* begin = writable.data();
  const std::byte* p = part.data();
  std::less<const std::byte*> before;  // a total order even across unrelated buffers
  if (before(p, begin) || before(begin + writable.size(), p + part.size())) return std::nullopt;
  return writable.subspan(static_cast<size_t>(p - begin), part.size());
}

// Who confirms that a transactional batch's partition is in its transaction (KIP-890).
struct txn_verifier {
  coord::txn_coordinator* coordinator = nullptr;  // null: verification is off
  const std::string* transactional_id = nullptr;  // null: the request names none
  // The broker coordinating the transactional id (the leader of its __transaction_state
  // partition): this node's coordinator is asked directly, another broker with
  // AddPartitionsToTxn v4 (verify_only); -1 while it has no leader.
  model::node_id coordinator_node{-1};
  bool local = true;  // the coordinator is this node (or the topic does not exist yet)
  cluster::broker_channels* brokers = nullptr;
};

// The broker-to-broker form of KIP-890: asks `v.coordinator_node` whether `tp` is in the
// producer's ongoing transaction. Its answer for the partition, as verify_partition's; a
// coordinator that cannot be reached is COORDINATOR_NOT_AVAILABLE (retriable), as Kafka's
// AddPartitionsToTxnManager treats a lost connection.
net::awaitable<error_code> verify_remotely(const txn_verifier& v, model::producer_id producer,
                                           model::producer_epoch epoch,
                                           const model::topic_partition& tp) {
  if (v.coordinator_node() < 0 || !v.brokers) co_return error_code::coordinator_not_available;
  protocol::add_partitions_to_txn_request request;
  auto& t = request.transactions.emplace_back();
  t.transactional_id = *v.transactional_id;
  t.producer_id = producer;
  t.producer_epoch = epoch;
  t.verify_only = true;
  auto& topic = t.topics.emplace_back();
  topic.name = tp.topic;
  topic.partitions.push_back(tp.partition());
  auto call = v.brokers->call<protocol::add_partitions_to_txn_api>(v.coordinator_node, request, 4);
  auto answer = co_await std::move(call);
  if (!answer) co_return error_code::coordinator_not_available;
  const auto& body = answer->body;
  if (body.error_code != error_code::none) co_return body.error_code;
  for (const auto& r : body.results_by_transaction) {
    if (r.transactional_id != *v.transactional_id) continue;
    for (const auto& rt : r.topic_results) {
      if (rt.name != tp.topic) continue;
      for (const auto& rp : rt.results_by_partition) {
        if (rp.partition_index == tp.partition) {
          co_return static_cast<error_code>(rp.partition_error_code);
        }
      }
    }
  }
  co_return error_code::coordinator_not_available;  // not answered: asked again on retry
}

// The coordinator's refusals as a partition answers them. Retriable ones become
// NOT_ENOUGH_REPLICAS, which every client retries (Kafka's mapping for clients that predate
// the verification).
error_code verification_error(error_code e) {
  switch (e) {
    case error_code::concurrent_transactions:
    case error_code::coordinator_not_available:
    case error_code::coordinator_load_in_progress:
    case error_code::not_coordinator:
      return error_code::not_enough_replicas;
    case error_code::producer_fenced:
      return error_code::invalid_producer_epoch;
    default:
      return e;
  }
}

// Writes one partition's batches; first, when they would open their producer's transaction
// here, has the coordinator confirm the partition is part of it.
net::awaitable<cluster::append_outcome> write_partition(cluster::partition& p, const job& j,
                                                        std::span<std::byte> records,
                                                        const txn_verifier& verifier) {
  using step = cluster::partition::txn_verification_step::kind;
  if (!verifier.transactional_id) {
    // write() refuses transactional batches then: nothing to verify.
    co_return p.write(records, cluster::append_origin::client, cluster::transactional_id::absent);
  }
  if (!verifier.coordinator) co_return p.write(records);
  for (;;) {
    auto next = p.txn_verification_for(records);
    if (next.what == step::write) co_return p.write(records);
    if (next.what == step::wait) {
      co_await cluster::partition::wait_for_txn_verification(next.verification);
      continue;  // ask again: the transaction may be ongoing here by now
    }
    const auto& v = *next.verification;
    error_code answer = error_code::none;
    if (verifier.local) {
      auto ask = verifier.coordinator->verify_partition(*verifier.transactional_id, v.producer,
                                                        v.epoch, j.tp);
      answer = co_await std::move(ask);
    } else {
      auto ask = verify_remotely(verifier, v.producer, v.epoch, j.tp);
      answer = co_await std::move(ask);
    }
    const auto verdict = answer == error_code::none
                             ? cluster::partition::coordinator_answer::confirmed
                             : cluster::partition::coordinator_answer::refused;
    if (p.end_txn_verification(next.verification, verdict)) {
      co_return p.write(records);
    }
    cluster::append_outcome refused;
    refused.error =
        answer == error_code::none ? error_code::invalid_txn_state : verification_error(answer);
    refused.message = answer == error_code::none
                          ? "the transaction ended while the partition was verified"
                          : "partition " + j.tp.describe() + " was not added to the transaction: " +
                                std::string(protocol::error_name(answer));
    co_return refused;
  }
}

// On the owning shard: appends the batches of the jobs `mine` names (indices into `all`), then
// (acks=-1) waits once for the group commit that covers them all.
net::awaitable<std::vector<cluster::append_outcome>> append_on_shard(
    cluster::partition_manager& pm, const std::vector<job>& all, const std::vector<size_t>& mine,
    cluster::acks_mode acks, std::span<std::byte> writable, const txn_verifier& verifier,
    std::chrono::steady_clock::time_point deadline) {
  std::vector<const job*> jobs;
  for (size_t i : mine) jobs.push_back(&all[i]);
  std::vector<cluster::append_outcome> out(jobs.size());
  std::vector<std::shared_ptr<cluster::partition>> parts(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    parts[i] = pm.find_leader(jobs[i]->tp.topic, jobs[i]->tp.partition);
    if (!parts[i]) {
      out[i].error = error_code::not_leader_or_follower;
      out[i].message = "partition not led here (or not hosted yet)";
      continue;
    }
    if (acks == cluster::acks_mode::all && !parts[i]->enough_replicas()) {
      // Kafka refuses before the append: the batch would never be acknowledged.
      out[i].error = error_code::not_enough_replicas;
      out[i].message = "the ISR is smaller than min.insync.replicas";
      parts[i] = nullptr;
      continue;
    }
    // The log rewrites offsets (and the producer epoch) in place: in the request frame itself
    // when the dispatcher lent it, else in a copy.
    const auto records = jobs[i]->records.data;
    std::vector<std::byte> copy;
    std::span<std::byte> target;
    if (auto in_frame = writable_part(writable, records)) {
      target = *in_frame;
    } else {
      copy.assign(records.begin(), records.end());
      target = copy;
    }
    auto written = write_partition(*parts[i], *jobs[i], target, verifier);
    out[i] = co_await std::move(written);
  }
  if (acks != cluster::acks_mode::all) co_return out;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (parts[i] && out[i].error == error_code::none) parts[i]->request_flush();
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (parts[i]) out[i] = co_await parts[i]->durable(std::move(out[i]));
  }
  // A replicated leader: every ISR member has it durably once the high watermark covers it.
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (parts[i]) out[i] = co_await parts[i]->committed(std::move(out[i]), deadline);
  }
  co_return out;
}

// The response with every partition's slot, refused ones answered already, and the jobs of the
// partitions to append to (each pointing at its slot).
struct produce_plan {
  protocol::produce_response response;
  std::vector<job> jobs;
};

produce_plan plan(const protocol::produce_request& request, const cluster::metadata_image* image,
                  bool by_id, model::node_id self) {
  const bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
  produce_plan out;
  for (size_t ti = 0; ti < request.topic_data.size(); ++ti) {
    const auto& t = request.topic_data[ti];
    auto& rt = out.response.responses.emplace_back();
    rt.name = t.name;
    rt.topic_id = t.topic_id;
    const cluster::topic_info* info = nullptr;
    if (image) info = by_id ? image->find_topic(t.topic_id) : image->find_topic(t.name);
    for (size_t pi = 0; pi < t.partition_data.size(); ++pi) {
      const auto& p = t.partition_data[pi];
      if (!acks_valid) {
        rt.partition_responses.push_back(
            error_response(p.index, error_code::invalid_required_acks));
      } else if (!info) {
        rt.partition_responses.push_back(
            error_response(p.index, by_id ? error_code::unknown_topic_id
                                          : error_code::unknown_topic_or_partition));
      } else if (auto route = cluster::route_partition(info, p.index, self);
                 route.error != error_code::none) {
        rt.partition_responses.push_back(error_response(p.index, route.error));
      } else if (p.records.null || p.records.data.empty()) {
        rt.partition_responses.push_back(
            error_response(p.index, error_code::corrupt_message, "no records"));
      } else {
        rt.partition_responses.push_back(error_response(p.index, error_code::none));
        out.jobs.push_back(
            job{ti, pi, {info->name, model::partition_id(p.index)}, info->id, p.records});
      }
    }
  }
  return out;
}

// Kafka's Produce authorization: a transactional producer needs WRITE on its transactional id
// (else every partition is refused), and every producer WRITE on each topic (checked before
// the topic's existence, so names cannot be probed). Refused partitions are not written.
void refuse_unauthorized(const request_context& ctx, const protocol::produce_request& request,
                         const cluster::metadata_image* image, bool by_id, produce_plan& planned) {
  request_authz authz(ctx);
  if (!authz.enabled()) return;
  const bool txn_ok = !request.transactional_id ||
                      authz.allowed(acl_operation::write, resource_type::transactional_id,
                                    *request.transactional_id);
  std::vector<bool> refused(planned.response.responses.size(), false);
  for (size_t ti = 0; ti < refused.size(); ++ti) {
    auto& rt = planned.response.responses[ti];
    error_code why = error_code::transactional_id_authorization_failed;
    if (txn_ok) {
      // An unknown topic id has no name to authorize: it stays UNKNOWN_TOPIC_ID.
      const auto* info = by_id && image ? image->find_topic(rt.topic_id) : nullptr;
      if (by_id && !info) continue;
      if (authz.allowed(acl_operation::write, resource_type::topic, info ? info->name : rt.name)) {
        continue;
      }
      why = error_code::topic_authorization_failed;
    }
    refused[ti] = true;
    for (auto& rp : rt.partition_responses) rp = error_response(rp.index, why);
  }
  std::erase_if(planned.jobs, [&](const job& j) { return refused[j.topic]; });
}

// KIP-951: each NOT_LEADER_OR_FOLLOWER answer names the current leader, and the response
// carries that leader's endpoint on the client's listener.
void add_leader_hints(protocol::produce_response& response, const cluster::metadata_image& image,
                      bool by_id, model::node_id self, std::string_view listener) {
  for (auto& rt : response.responses) {
    const cluster::topic_info* info =
        by_id ? image.find_topic(rt.topic_id) : image.find_topic(rt.name);
    for (auto& rp : rt.partition_responses) {
      if (rp.error_code != error_code::not_leader_or_follower) continue;
      const auto route = cluster::route_partition(info, rp.index, self);
      rp.current_leader.leader_id = route.leader;
      rp.current_leader.leader_epoch = route.leader_epoch;
      add_leader_endpoint(response.node_endpoints, image, route.leader, listener);
    }
  }
}

txn_verifier verifier_for(const request_context& ctx, const protocol::produce_request& request,
                          const cluster::metadata_image* image) {
  txn_verifier verifier;
  if (request.transactional_id) verifier.transactional_id = &*request.transactional_id;
  if (ctx.services.txns && ctx.services.broker_config.get(
                               config::broker_keys::transaction_partition_verification_enable)) {
    verifier.coordinator = ctx.services.txns;
  }
  if (!verifier.coordinator || !verifier.transactional_id || !image) return verifier;
  auto p = verifier.coordinator->partition_of(*verifier.transactional_id);
  const cluster::topic_info* t = image->find_topic(coord::transaction_topic);
  if (!p || !t) return verifier;  // the local coordinator answers (it has nothing yet)
  const model::node_id self = ctx.services.partitions.node_id();
  verifier.coordinator_node = cluster::route_partition(t, (*p)(), self).leader;
  verifier.local = verifier.coordinator_node == self;
  verifier.brokers = ctx.services.brokers;
  return verifier;
}

// Records the request against the producer's byte-rate quota, if one applies: the throttle time
// (at most an int32's worth of ms, the response field), also left in ctx for the dispatcher.
int64_t record_produce_quota(request_context& ctx) {
  if (!ctx.services.quotas) return 0;
  auto q = ctx.services.quotas->applies(ctx, security::quota_kind::produce);
  if (!q) return 0;
  const int64_t t = ctx.services.quotas->record(security::quota_kind::produce, *q,
                                                static_cast<double>(ctx.request_bytes));
  ctx.throttle_ms = std::min<int64_t>(t, std::numeric_limits<int32_t>::max());
  return ctx.throttle_ms;
}

}  // namespace

net::awaitable<std::optional<protocol::produce_response>> serve_produce(
    request_context& ctx, const protocol::produce_request& request) {
  auto& pm = ctx.services.partitions;
  const auto acks = static_cast<cluster::acks_mode>(request.acks);
  auto image = pm.image();
  const bool by_id = ctx.version() >= 13;
  produce_plan planned = plan(request, image.get(), by_id, pm.node_id());
  refuse_unauthorized(ctx, request, image.get(), by_id, planned);
  const std::vector<job>& jobs = planned.jobs;

  // Append on each owning shard concurrently, then answer each job's slot.
  const auto split = net::split_by_shard(jobs.size(), [&pm, &jobs](size_t i) {
    return pm.shard_of(jobs[i].topic_id, jobs[i].tp.partition);
  });
  const txn_verifier verifier = verifier_for(ctx, request, image.get());
  // acks=all waits for the ISR at most the request's timeout_ms (REQUEST_TIMED_OUT after).
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::clamp(request.timeout_ms, 0, 30 * 60'000));
  auto per_shard = co_await net::on_shards<std::vector<cluster::append_outcome>>(
      pm.shards(), split.shards, [&pm, &jobs, &split, acks, &ctx, &verifier, deadline](size_t g) {
        return append_on_shard(pm, jobs, split.items[g], acks, ctx.writable_body, verifier,
                               deadline);
      });
  auto outcomes = split.gather(std::move(per_shard), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto& slot = planned.response.responses[jobs[i].topic].partition_responses[jobs[i].partition];
    slot = to_response(slot.index, outcomes[i]);
  }
  // Kafka records the request's bytes once it is appended, whatever the partitions answered.
  const int64_t throttle = record_produce_quota(ctx);
  if (request.acks == 0) co_return std::nullopt;  // muted all the same (KIP-219)
  planned.response.throttle_time_ms = static_cast<int32_t>(throttle);
  // The newest image: leadership may have moved while the batches were written.
  if (auto now = pm.image()) {
    add_leader_hints(planned.response, *now, by_id, pm.node_id(), ctx.connection.listener);
  }
  co_return std::move(planned.response);
}

}  // namespace vltava::kafka
