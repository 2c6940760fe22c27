#include "kafka/produce.h"

#include <functional>
#include <map>

#include "cluster/partition_manager.h"
#include "config/broker_configs.h"
#include "coord/txn_coordinator.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

using partition_response =
    protocol::produce_response::topic_produce_response::partition_produce_response;

struct job {
  size_t topic = 0;      // index in the request (and the response)
  size_t partition = 0;  // index in the request's topic
  std::string name;
  model::partition_id id;
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

// On the owning shard: appends each job's batches, then (acks=-1) waits once for the group
// commit that covers them all.
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
};

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
    auto ask = verifier.coordinator->verify_partition(*verifier.transactional_id, v.producer,
                                                      v.epoch, {j.name, j.id});
    const error_code answer = co_await std::move(ask);
    if (p.end_txn_verification(next.verification, answer == error_code::none)) {
      co_return p.write(records);
    }
    cluster::append_outcome refused;
    refused.error =
        answer == error_code::none ? error_code::invalid_txn_state : verification_error(answer);
    refused.message =
        answer == error_code::none
            ? "the transaction ended while the partition was verified"
            : "partition " + j.name + "-" + std::to_string(j.id()) +
                  " was not added to the transaction: " + std::string(protocol::error_name(answer));
    co_return refused;
  }
}

net::awaitable<std::vector<cluster::append_outcome>> append_on_shard(
    cluster::partition_manager& pm, const std::vector<const job*>& jobs, cluster::acks_mode acks,
    std::span<std::byte> writable, const txn_verifier& verifier) {
  std::vector<cluster::append_outcome> out(jobs.size());
  std::vector<std::shared_ptr<cluster::partition>> parts(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    parts[i] = pm.find_shared(jobs[i]->name, jobs[i]->id);
    if (!parts[i]) {
      out[i].error = error_code::not_leader_or_follower;
      out[i].message = "partition not hosted here (yet)";
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
  co_return out;
}

}  // namespace

net::awaitable<std::optional<protocol::produce_response>> serve_produce(
    request_context& ctx, const protocol::produce_request& request) {
  auto& pm = ctx.services.partitions;
  const bool by_id = ctx.version() >= 13;
  const bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
  const auto acks = static_cast<cluster::acks_mode>(request.acks);
  auto image = pm.image();

  protocol::produce_response response;
  std::vector<job> jobs;
  for (size_t ti = 0; ti < request.topic_data.size(); ++ti) {
    const auto& t = request.topic_data[ti];
    auto& rt = response.responses.emplace_back();
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
      } else if (p.index < 0 || p.index >= info->partition_count) {
        rt.partition_responses.push_back(
            error_response(p.index, error_code::unknown_topic_or_partition));
      } else if (p.records.null || p.records.data.empty()) {
        rt.partition_responses.push_back(
            error_response(p.index, error_code::corrupt_message, "no records"));
      } else {
        rt.partition_responses.push_back(error_response(p.index, error_code::none));
        jobs.push_back(job{ti, pi, info->name, model::partition_id(p.index), p.records});
      }
    }
  }

  // Split by owning shard, append on each concurrently, gather.
  std::map<unsigned, std::vector<const job*>> by_shard;
  for (const auto& j : jobs) {
    const auto* info = image->find_topic(j.name);
    by_shard[pm.shard_of(info->id, j.id)].push_back(&j);
  }
  std::vector<unsigned> shards;
  std::vector<const std::vector<const job*>*> groups;
  for (const auto& [s, g] : by_shard) {
    shards.push_back(s);
    groups.push_back(&g);
  }
  txn_verifier verifier;
  if (request.transactional_id) verifier.transactional_id = &*request.transactional_id;
  if (ctx.services.txns && ctx.services.broker_config.get(
                               config::broker_keys::transaction_partition_verification_enable)) {
    verifier.coordinator = ctx.services.txns;
  }
  auto results = co_await cluster::on_shards<std::vector<cluster::append_outcome>>(
      pm.shards(), shards,
      [&](size_t i) { return append_on_shard(pm, *groups[i], acks, ctx.writable_body, verifier); });
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t k = 0; k < groups[g]->size(); ++k) {
      const job& j = *(*groups[g])[k];
      auto& slot = response.responses[j.topic].partition_responses[j.partition];
      slot = to_response(slot.index, results[g][k]);
    }
  }
  if (request.acks == 0) co_return std::nullopt;
  co_return response;
}

}  // namespace vltava::kafka
