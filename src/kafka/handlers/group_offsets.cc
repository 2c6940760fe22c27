#include "kafka/handlers/group_offsets.h"

#include <map>

#include "cluster/partition_manager.h"
#include "coord/group_coordinator.h"
#include "kafka/handlers/group_membership.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

// The committed offsets of one group, in the response layout of v0-7 or of one v8+ group.
template <typename Topic>
std::vector<Topic> group_topics(const coord::fetch_offsets_result& r, bool partition_errors) {
  std::vector<Topic> topics;
  std::map<std::string, size_t> index;
  for (const auto& f : r.offsets) {
    auto [it, added] = index.try_emplace(f.topic, topics.size());
    if (added) topics.emplace_back().name = f.topic;
    auto& p = topics[it->second].partitions.emplace_back();
    p.partition_index = f.partition;
    p.committed_offset = f.offset;
    p.committed_leader_epoch = f.leader_epoch;
    p.metadata = f.metadata;
    p.error_code = partition_errors && r.error != error_code::none ? r.error : f.error;
  }
  return topics;
}

template <typename RequestTopic>
std::optional<std::vector<model::topic_partition>> wanted(
    const std::optional<std::vector<RequestTopic>>& topics) {
  if (!topics) return std::nullopt;
  std::vector<model::topic_partition> out;
  for (const auto& t : *topics) {
    for (auto p : t.partition_indexes) out.push_back({t.name, p});
  }
  return out;
}

// Partitions asked for come back even when the coordinator cannot answer (with its error).
void fill_missing(coord::fetch_offsets_result& r,
                  const std::optional<std::vector<model::topic_partition>>& want) {
  if (r.error == error_code::none || !want || !r.offsets.empty()) return;
  for (const auto& [t, p] : *want) {
    coord::fetched_offset f;
    f.topic = t;
    f.partition = p;
    f.error = r.error;
    r.offsets.push_back(std::move(f));
  }
}

net::awaitable<coord::fetch_offsets_result> fetch_group(
    request_context& ctx, std::string group_id,
    std::optional<std::vector<model::topic_partition>> want, coord::require_stable stable) {
  coord::fetch_offsets_result r;
  // Kafka: DESCRIBE on the group, and on each topic (all topics: the others are left out;
  // named ones: TOPIC_AUTHORIZATION_FAILED).
  request_authz authz(ctx);
  // An empty group id is a group like any other here: Kafka keeps accepting it in
  // OffsetCommit/OffsetFetch for old consumers that committed without a group.
  if (!authz.allowed(acl_operation::describe, resource_type::group, group_id)) {
    r.error = error_code::group_authorization_failed;
  } else if (!ctx.services.groups) {
    r.error = error_code::coordinator_not_available;
  } else {
    auto task = ctx.services.groups->fetch_offsets(group_id, want, stable);
    r = co_await std::move(task);
  }
  fill_missing(r, want);
  if (authz.enabled() && r.error != error_code::group_authorization_failed) {
    std::erase_if(r.offsets, [&](coord::fetched_offset& f) {
      if (authz.allowed(acl_operation::describe, resource_type::topic, f.topic)) return false;
      if (!want) return true;
      f.error = error_code::topic_authorization_failed;
      f.offset = model::offset(-1);
      return false;
    });
  }
  co_return r;
}

}  // namespace

std::vector<error_code> take_unauthorized_commits(
    const request_context& ctx, std::string_view group, std::vector<coord::commit_partition>& parts,
    const std::optional<std::string>& transactional_id) {
  std::vector<error_code> refusals(parts.size(), error_code::none);
  request_authz authz(ctx);
  if (!authz.enabled()) return refusals;
  error_code all = error_code::none;
  if (transactional_id &&
      !authz.allowed(acl_operation::write, resource_type::transactional_id, *transactional_id)) {
    all = error_code::transactional_id_authorization_failed;
  } else if (!authz.allowed(acl_operation::read, resource_type::group, group)) {
    all = error_code::group_authorization_failed;
  }
  std::vector<coord::commit_partition> kept;
  for (size_t i = 0; i < parts.size(); ++i) {
    refusals[i] = all;
    if (all == error_code::none &&
        !authz.allowed(acl_operation::read, resource_type::topic, parts[i].topic)) {
      refusals[i] = error_code::topic_authorization_failed;
    }
    if (refusals[i] == error_code::none) kept.push_back(std::move(parts[i]));
  }
  parts = std::move(kept);
  return refusals;
}

std::vector<error_code> merge_commit_errors(const std::vector<error_code>& refusals,
                                            const std::vector<error_code>& answers) {
  std::vector<error_code> out;
  size_t k = 0;
  for (error_code r : refusals) out.push_back(r != error_code::none ? r : answers.at(k++));
  return out;
}

net::awaitable<std::optional<protocol::offset_commit_response>> serve_offset_commit(
    request_context& ctx, const protocol::offset_commit_request& request) {
  protocol::offset_commit_response response;
  coord::commit_request cr;
  cr.group_id = request.group_id;
  if (ctx.version() >= 1) {
    cr.generation_id = request.generation_id_or_member_epoch;
    cr.member_id = request.member_id;
  }
  cr.group_instance_id = request.group_instance_id;
  cr.partitions = commit_partitions(request.topics);
  const auto refusals = take_unauthorized_commits(ctx, request.group_id, cr.partitions);
  std::vector<error_code> errors;
  if (!ctx.services.groups) {
    errors.assign(cr.partitions.size(), error_code::coordinator_not_available);
  } else if (!cr.partitions.empty() || refusals.empty()) {
    auto task = ctx.services.groups->commit(std::move(cr));
    errors = co_await std::move(task);
  }
  errors = merge_commit_errors(refusals, errors);
  size_t i = 0;
  for (const auto& t : request.topics) {
    auto& rt = response.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      rp.error_code = errors.at(i++);
    }
  }
  co_return response;
}

net::awaitable<std::optional<protocol::offset_fetch_response>> serve_offset_fetch(
    request_context& ctx, const protocol::offset_fetch_request& request) {
  protocol::offset_fetch_response response;
  if (ctx.version() < 8) {
    auto task = fetch_group(ctx, request.group_id, wanted(request.topics),
                            coord::require_stable(ctx.version() >= 7 && request.require_stable));
    coord::fetch_offsets_result r = co_await std::move(task);
    // v0-1 carry errors per partition only; v2+ have the group's error at the top as well.
    response.topics = group_topics<protocol::offset_fetch_response::offset_fetch_response_topic>(
        r, ctx.version() < 2);
    if (ctx.version() >= 2) response.error_code = r.error;
    co_return response;
  }
  for (const auto& g : request.groups) {
    auto task = fetch_group(ctx, g.group_id, wanted(g.topics),
                            coord::require_stable(request.require_stable));
    coord::fetch_offsets_result r = co_await std::move(task);
    auto& out = response.groups.emplace_back();
    out.group_id = g.group_id;
    out.error_code = r.error;
    out.topics = group_topics<
        protocol::offset_fetch_response::offset_fetch_response_group::offset_fetch_response_topics>(
        r, false);
  }
  co_return response;
}

net::awaitable<std::optional<protocol::offset_delete_response>> serve_offset_delete(
    request_context& ctx, const protocol::offset_delete_request& request) {
  protocol::offset_delete_response response;
  if (auto refusal = group_request_refusal(ctx, request.group_id, acl_operation::del);
      refusal != error_code::none) {
    response.error_code = refusal;
    co_return response;
  }
  request_authz authz(ctx);
  auto image = ctx.services.partitions.image();
  std::vector<model::topic_partition> known;
  std::vector<error_code> errors;  // per request partition; none = sent to the coordinator
  for (const auto& t : request.topics) {
    const cluster::topic_info* info = image ? image->find_topic(t.name) : nullptr;
    for (const auto& p : t.partitions) {
      bool exists = info && p.partition_index() >= 0 && p.partition_index() < info->partition_count;
      // Kafka: READ on each topic, checked before its existence.
      const bool may_read = authz.allowed(acl_operation::read, resource_type::topic, t.name);
      errors.push_back(!may_read ? error_code::topic_authorization_failed
                       : exists  ? error_code::none
                                 : error_code::unknown_topic_or_partition);
      if (may_read && exists) known.push_back({t.name, p.partition_index});
    }
  }
  auto task = ctx.services.groups->delete_offsets(request.group_id, known);
  coord::delete_offsets_result r = co_await std::move(task);
  if (r.error != error_code::none) {
    response.error_code = r.error;
    co_return response;
  }
  size_t i = 0, k = 0;
  for (const auto& t : request.topics) {
    auto& rt = response.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      error_code e = errors.at(i++);
      rp.error_code = e == error_code::none ? r.partitions.at(k++) : e;
    }
  }
  co_return response;
}

}  // namespace vltava::kafka
