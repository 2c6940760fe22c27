#include "kafka/handlers/txn_handlers.h"

#include <array>
#include <map>

#include "cluster/partition_manager.h"
#include "coord/group_coordinator.h"
#include "coord/group_key.h"
#include "coord/txn_coordinator.h"
#include "kafka/handlers/group_offsets.h"
#include "kafka/handlers/write_txn_markers.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

// Clients before v2 of AddPartitionsToTxn, AddOffsetsToTxn and EndTxn predate PRODUCER_FENCED.
error_code for_version(error_code e, int16_t version) {
  return e == error_code::producer_fenced && version < 2 ? error_code::invalid_producer_epoch : e;
}

constexpr std::array<coord::txn_status, 8> all_statuses = {coord::txn_status::empty,
                                                           coord::txn_status::ongoing,
                                                           coord::txn_status::prepare_commit,
                                                           coord::txn_status::prepare_abort,
                                                           coord::txn_status::complete_commit,
                                                           coord::txn_status::complete_abort,
                                                           coord::txn_status::dead,
                                                           coord::txn_status::prepare_epoch_fence};

std::optional<coord::txn_status> status_named(std::string_view name) {
  for (auto s : all_statuses) {
    if (coord::txn_status_name(s) == name) return s;
  }
  return std::nullopt;
}

// As Kafka's transaction verification (KIP-890 part 1): offsets are taken only from a producer
// whose transaction is ongoing at this epoch and holds the group's partition (AddOffsetsToTxn
// came first). Otherwise a zombie's late commit would stay pending with no marker ever to
// resolve it, and stable offset fetches would answer UNSTABLE_OFFSET_COMMIT forever.
net::awaitable<error_code> verify_offsets_in_txn(request_context& ctx,
                                                 const protocol::txn_offset_commit_request& r) {
  if (!ctx.services.txns) co_return error_code::coordinator_not_available;
  auto partition = ctx.services.groups->partition_of(r.group_id);
  if (!partition) co_return error_code::coordinator_not_available;
  auto task = ctx.services.txns->describe(r.transactional_id);
  coord::described_txn d = co_await std::move(task);
  if (d.error == error_code::transactional_id_not_found) {
    co_return error_code::invalid_producer_id_mapping;
  }
  if (d.error != error_code::none) co_return d.error;
  if (d.producer_id != r.producer_id) co_return error_code::invalid_producer_id_mapping;
  if (d.producer_epoch != r.producer_epoch) co_return error_code::producer_fenced;
  if (d.status != coord::txn_status::ongoing ||
      !d.partitions.contains({std::string(coord::offsets_topic), *partition})) {
    co_return error_code::invalid_txn_state;
  }
  co_return error_code::none;
}

// One transaction of a broker's AddPartitionsToTxn (v4+): with verify_only (KIP-890, a
// partition leader asking before it takes the first transactional batch of a producer), each
// partition answers whether it is in the producer's ongoing transaction; without, they are
// added as a client's v0-3 request adds them.
net::awaitable<void> serve_broker_transaction(
    request_context& ctx, const cluster::metadata_image* image,
    const protocol::add_partitions_to_txn_request::add_partitions_to_txn_transaction& txn,
    protocol::add_partitions_to_txn_response::add_partitions_to_txn_result& out) {
  out.transactional_id = txn.transactional_id;
  std::vector<model::topic_partition> partitions;
  bool unknown = false;
  for (const auto& t : txn.topics) {
    const cluster::topic_info* info = image ? image->find_topic(t.name) : nullptr;
    for (int32_t p : t.partitions) {
      if (!info || p < 0 || p >= info->partition_count) unknown = true;
      partitions.push_back({t.name, model::partition_id(p)});
    }
  }
  std::vector<error_code> errors(partitions.size(), error_code::none);
  if (unknown) {
    for (size_t i = 0; i < partitions.size(); ++i) {
      const cluster::topic_info* info = image ? image->find_topic(partitions[i].topic) : nullptr;
      const int32_t p = partitions[i].partition();
      errors[i] = !info || p < 0 || p >= info->partition_count
                      ? error_code::unknown_topic_or_partition
                      : error_code::operation_not_attempted;
    }
  } else if (!ctx.services.txns) {
    errors.assign(partitions.size(), error_code::coordinator_not_available);
  } else if (txn.verify_only) {
    for (size_t i = 0; i < partitions.size(); ++i) {
      auto task = ctx.services.txns->verify_partition(txn.transactional_id, txn.producer_id,
                                                      txn.producer_epoch, partitions[i]);
      errors[i] = co_await std::move(task);
    }
  } else if (!partitions.empty()) {
    auto task = ctx.services.txns->add_partitions(txn.transactional_id, txn.producer_id,
                                                  txn.producer_epoch, partitions);
    errors.assign(partitions.size(), co_await std::move(task));
  }
  size_t i = 0;
  for (const auto& t : txn.topics) {
    auto& rt = out.topic_results.emplace_back();
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      auto& rp = rt.results_by_partition.emplace_back();
      rp.partition_index = model::partition_id(p);
      rp.partition_error_code = static_cast<int16_t>(errors[i++]);
    }
  }
}

}  // namespace

net::awaitable<std::optional<protocol::add_partitions_to_txn_response>> serve_add_partitions_to_txn(
    request_context& ctx, const protocol::add_partitions_to_txn_request& request) {
  protocol::add_partitions_to_txn_response response;
  if (ctx.version() >= 4) {
    auto image = ctx.services.partitions.image();
    for (const auto& txn : request.transactions) {
      auto& out = response.results_by_transaction.emplace_back();
      co_await serve_broker_transaction(ctx, image.get(), txn, out);
    }
    co_return response;
  }
  auto image = ctx.services.partitions.image();
  // Kafka: WRITE on the transactional id (else every partition is refused), WRITE on each
  // topic (an unauthorized topic fails the request as an unknown one does).
  request_authz authz(ctx);
  const bool txn_ok = authz.allowed(acl_operation::write, resource_type::transactional_id,
                                    request.v3_and_below_transactional_id);
  auto topic_ok = [&authz](const std::string& topic) {
    return authz.allowed(acl_operation::write, resource_type::topic, topic);
  };
  std::vector<model::topic_partition> partitions;
  bool unknown = false;
  for (const auto& t : request.v3_and_below_topics) {
    const cluster::topic_info* info = image ? image->find_topic(t.name) : nullptr;
    for (int32_t p : t.partitions) {
      if (!info || p < 0 || p >= info->partition_count || !topic_ok(t.name)) unknown = true;
      partitions.push_back({t.name, model::partition_id(p)});
    }
  }
  error_code all = error_code::none;
  if (!txn_ok) {
    all = error_code::transactional_id_authorization_failed;
    unknown = false;
  } else if (!unknown) {
    if (!ctx.services.txns) {
      all = error_code::coordinator_not_available;
    } else if (!partitions.empty()) {
      auto task = ctx.services.txns->add_partitions(
          request.v3_and_below_transactional_id,
          model::producer_id(request.v3_and_below_producer_id),
          model::producer_epoch(request.v3_and_below_producer_epoch), partitions);
      all = for_version(co_await std::move(task), ctx.version());
    }
  }
  // As Kafka: one unknown partition fails the request; the others were not attempted.
  for (const auto& t : request.v3_and_below_topics) {
    const cluster::topic_info* info = image ? image->find_topic(t.name) : nullptr;
    auto& rt = response.results_by_topic_v3_and_below.emplace_back();
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      auto& rp = rt.results_by_partition.emplace_back();
      rp.partition_index = model::partition_id(p);
      error_code e = all;
      if (unknown) {
        e = !topic_ok(t.name)                              ? error_code::topic_authorization_failed
            : !info || p < 0 || p >= info->partition_count ? error_code::unknown_topic_or_partition
                                                           : error_code::operation_not_attempted;
      }
      rp.partition_error_code = static_cast<int16_t>(e);
    }
  }
  co_return response;
}

net::awaitable<std::optional<protocol::add_offsets_to_txn_response>> serve_add_offsets_to_txn(
    request_context& ctx, const protocol::add_offsets_to_txn_request& request) {
  protocol::add_offsets_to_txn_response response;
  request_authz authz(ctx);
  if (!authz.allowed(acl_operation::write, resource_type::transactional_id,
                     request.transactional_id)) {
    response.error_code = error_code::transactional_id_authorization_failed;
    co_return response;
  }
  if (!authz.allowed(acl_operation::read, resource_type::group, request.group_id)) {
    response.error_code = error_code::group_authorization_failed;
    co_return response;
  }
  if (!ctx.services.txns || !ctx.services.groups) {
    response.error_code = error_code::coordinator_not_available;
    co_return response;
  }
  if (request.group_id.empty()) {
    response.error_code = error_code::invalid_group_id;
    co_return response;
  }
  auto ensure = ctx.services.groups->ensure_offsets_topic();
  if (error_code e = co_await std::move(ensure); e != error_code::none) {
    response.error_code = e;
    co_return response;
  }
  auto p = ctx.services.groups->partition_of(request.group_id);
  if (!p) {
    response.error_code = error_code::coordinator_not_available;
    co_return response;
  }
  std::vector<model::topic_partition> partitions{{std::string(coord::offsets_topic), *p}};
  auto task = ctx.services.txns->add_partitions(request.transactional_id, request.producer_id,
                                                request.producer_epoch, partitions);
  response.error_code = for_version(co_await std::move(task), ctx.version());
  co_return response;
}

net::awaitable<std::optional<protocol::end_txn_response>> serve_end_txn(
    request_context& ctx, const protocol::end_txn_request& request) {
  protocol::end_txn_response response;
  if (!request_authz(ctx).allowed(acl_operation::write, resource_type::transactional_id,
                                  request.transactional_id)) {
    response.error_code = error_code::transactional_id_authorization_failed;
    co_return response;
  }
  if (!ctx.services.txns) {
    response.error_code = error_code::coordinator_not_available;
    co_return response;
  }
  auto task = ctx.services.txns->end_txn(
      request.transactional_id, request.producer_id, request.producer_epoch,
      request.committed ? cluster::txn_result::commit : cluster::txn_result::abort);
  response.error_code = for_version(co_await std::move(task), ctx.version());
  co_return response;
}

net::awaitable<std::optional<protocol::txn_offset_commit_response>> serve_txn_offset_commit(
    request_context& ctx, const protocol::txn_offset_commit_request& request) {
  protocol::txn_offset_commit_response response;
  coord::commit_request cr;
  cr.group_id = request.group_id;
  cr.producer_id = request.producer_id;
  cr.producer_epoch = request.producer_epoch;
  if (ctx.version() >= 3) {
    cr.generation_id = request.generation_id;
    cr.member_id = request.member_id;
    cr.group_instance_id = request.group_instance_id;
  }
  cr.partitions = commit_partitions(request.topics);
  const auto refusals =
      take_unauthorized_commits(ctx, request.group_id, cr.partitions, request.transactional_id);
  std::vector<error_code> errors;
  if (cr.partitions.empty() && !refusals.empty()) {
    // Every partition was refused: nothing to verify or commit.
  } else if (!ctx.services.groups) {
    errors.assign(cr.partitions.size(), error_code::coordinator_not_available);
  } else if (request.group_id.empty()) {
    errors.assign(cr.partitions.size(), error_code::invalid_group_id);
  } else if (cr.producer_id() < 0 || cr.producer_epoch() < 0) {
    errors.assign(cr.partitions.size(), error_code::invalid_producer_id_mapping);
  } else {
    auto verify = verify_offsets_in_txn(ctx, request);
    error_code v = co_await std::move(verify);
    if (v != error_code::none) {
      errors.assign(cr.partitions.size(), v);
    } else {
      auto task = ctx.services.groups->commit(std::move(cr));
      errors = co_await std::move(task);
    }
  }
  errors = merge_commit_errors(refusals, errors);
  size_t i = 0;
  for (const auto& t : request.topics) {
    auto& rt = response.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      error_code e = errors.at(i++);
      // TxnOffsetCommit v0-1 predate PRODUCER_FENCED as well.
      rp.error_code = e == error_code::producer_fenced && ctx.version() < 2
                          ? error_code::invalid_producer_epoch
                          : e;
    }
  }
  co_return response;
}

net::awaitable<std::optional<protocol::describe_transactions_response>> serve_describe_transactions(
    request_context& ctx, const protocol::describe_transactions_request& request) {
  protocol::describe_transactions_response response;
  for (const auto& id : request.transactional_ids) {
    coord::described_txn d;
    d.transactional_id = id;
    if (!ctx.services.txns) {
      d.error = error_code::coordinator_not_available;
    } else {
      auto task = ctx.services.txns->describe(id);
      d = co_await std::move(task);
    }
    auto& out = response.transaction_states.emplace_back();
    out.error_code = d.error;
    out.transactional_id = id;
    if (d.error != error_code::none) continue;
    out.transaction_state_ = std::string(coord::txn_status_name(d.status));
    out.transaction_timeout_ms = d.timeout_ms;
    out.transaction_start_time_ms = d.start_ms;
    out.producer_id = d.producer_id;
    out.producer_epoch = d.producer_epoch;
    for (const auto& [topic, p] : d.partitions) {
      if (out.topics.empty() || out.topics.back().topic != topic) {
        out.topics.emplace_back().topic = topic;
      }
      out.topics.back().partitions.push_back(p());
    }
  }
  co_return response;
}

net::awaitable<std::optional<protocol::list_transactions_response>> serve_list_transactions(
    request_context& ctx, const protocol::list_transactions_request& request) {
  protocol::list_transactions_response response;
  if (!ctx.services.txns) {
    response.error_code = error_code::coordinator_not_available;
    co_return response;
  }
  coord::list_txn_filter filter;
  for (const auto& name : request.state_filters) {
    if (auto s = status_named(name)) {
      filter.states.push_back(*s);
    } else {
      response.unknown_state_filters.push_back(name);
    }
  }
  // Only unknown states asked for: nothing can match (Kafka answers an empty list).
  if (filter.states.empty() && !request.state_filters.empty()) co_return response;
  for (int64_t id : request.producer_id_filters) filter.producer_ids.emplace_back(id);
  if (ctx.version() >= 1) filter.min_duration_ms = request.duration_filter;
  auto task = ctx.services.txns->list(std::move(filter));
  auto listed = co_await std::move(task);
  for (const auto& d : listed) {
    auto& out = response.transaction_states.emplace_back();
    out.transactional_id = d.transactional_id;
    out.producer_id = d.producer_id;
    out.transaction_state_ = std::string(coord::txn_status_name(d.status));
  }
  co_return response;
}

std::span<const handler> txn_handlers() {
  static const std::array<handler, 7> handlers = {
      make_handler<protocol::add_partitions_to_txn_api, &serve_add_partitions_to_txn>(0, 5),
      make_handler<protocol::add_offsets_to_txn_api, &serve_add_offsets_to_txn>(0, 4),
      make_handler<protocol::end_txn_api, &serve_end_txn>(0, 4),
      make_handler<protocol::txn_offset_commit_api, &serve_txn_offset_commit>(0, 5),
      make_handler<protocol::describe_transactions_api, &serve_describe_transactions>(0, 0),
      make_handler<protocol::list_transactions_api, &serve_list_transactions>(0, 1),
      make_handler<protocol::write_txn_markers_api, &serve_write_txn_markers>(0, 1),
  };
  return handlers;
}

}  // namespace vltava::kafka
