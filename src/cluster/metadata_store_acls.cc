// The active controller's side of CreateAcls and DeleteAcls (metadata_store.h), as Kafka's
// AclControlManager: same state and rules as the other mutations (shard 0, validation against
// the working image, one committed batch per request).

#include <set>

#include "base/assert.h"
#include "cluster/metadata_store.h"
#include "cluster/metadata_store_state.h"
#include "net/shard_calls.h"

namespace vltava::cluster {

using protocol::error_code;

net::awaitable<std::vector<op_result>> metadata_store::create_acls(
    std::vector<security::acl_binding> acls) {
  auto task = net::on_shard<std::vector<op_result>>(
      _shards, 0, [this, &acls] { return create_acls_on_shard0(std::move(acls)); });
  co_return co_await std::move(task);
}

net::awaitable<std::vector<acl_deletion_result>> metadata_store::delete_acls(
    std::vector<security::acl_filter> filters) {
  auto task = net::on_shard<std::vector<acl_deletion_result>>(
      _shards, 0, [this, &filters] { return delete_acls_on_shard0(std::move(filters)); });
  co_return co_await std::move(task);
}

net::awaitable<std::vector<op_result>> metadata_store::create_acls_on_shard0(
    std::vector<security::acl_binding> acls) {
  state& st = *_state;
  if (auto ready = co_await controller_ready(); !ready.ok()) {
    co_return std::vector<op_result>(acls.size(), ready);
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  std::vector<op_result> results(acls.size());
  std::vector<metadata_record> records;
  std::vector<size_t> created;
  for (size_t i = 0; i < acls.size(); ++i) {
    if (auto bad = security::invalid_binding(acls[i])) {
      results[i] = op_result::failure(error_code::invalid_request, *bad);
      continue;
    }
    // An equal binding (before, or earlier in this request) is already there: success.
    if (next.acls.find(acls[i]) != nullptr) continue;
    if (records.size() >= records_per_op_max) {
      results[i] =
          op_result::failure(error_code::policy_violation, "Too many ACLs in one request.");
      continue;
    }
    protocol::uuid id;
    do {
      id = random_uuid();
    } while (next.acls.by_id().contains(id.bytes));
    metadata_record r = acl_record(id, acls[i]);
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "a validated ACL applies");
    records.push_back(std::move(r));
    created.push_back(i);
  }
  auto c = co_await commit(records, next, ids);
  if (!c.ok()) {
    for (size_t i : created) results[i] = c;
  }
  co_return results;
}

net::awaitable<std::vector<acl_deletion_result>> metadata_store::delete_acls_on_shard0(
    std::vector<security::acl_filter> filters) {
  state& st = *_state;
  std::vector<acl_deletion_result> results(filters.size());
  if (auto ready = co_await controller_ready(); !ready.ok()) {
    for (auto& r : results) static_cast<op_result&>(r) = ready;
    co_return results;
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  std::set<security::acl_id> removed;
  std::vector<metadata_record> records;
  std::vector<size_t> touched;
  for (size_t i = 0; i < filters.size(); ++i) {
    if (auto bad = security::invalid_filter(filters[i])) {
      static_cast<op_result&>(results[i]) = op_result::failure(error_code::invalid_request, *bad);
      continue;
    }
    // Matched against the ACLs before this request: a binding two filters match is removed
    // once and reported by both, as Kafka does.
    for (const auto& [id, b] : st.working.acls.by_id()) {
      if (!security::matches(filters[i], b)) continue;
      results[i].deleted.push_back(b);
      if (!removed.insert(id).second) continue;
      protocol::metadata_remove_access_control_entry_record r;
      r.id.bytes = id;
      records.emplace_back(r);
    }
    if (!results[i].deleted.empty()) touched.push_back(i);
  }
  if (records.size() > records_per_op_max) {
    for (size_t i : touched) {
      results[i] = acl_deletion_result{};
      static_cast<op_result&>(results[i]) =
          op_result::failure(error_code::policy_violation, "Too many ACLs to delete at once.");
    }
    co_return results;
  }
  for (const auto& r : records) {
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "removing a known ACL applies");
  }
  auto c = co_await commit(records, next, ids);
  if (!c.ok()) {
    for (size_t i : touched) {
      results[i].deleted.clear();
      static_cast<op_result&>(results[i]) = c;
    }
  }
  co_return results;
}

}  // namespace vltava::cluster
