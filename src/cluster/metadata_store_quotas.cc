// The active controller's side of AlterClientQuotas (metadata_store.h), as Kafka's
// ClientQuotaControlManager: validated against the working image on shard 0, committed as one
// batch.

#include "base/assert.h"
#include "cluster/metadata_store.h"
#include "cluster/metadata_store_state.h"
#include "net/shard_calls.h"

namespace vltava::cluster {

net::awaitable<std::vector<quota_entry_result>> metadata_store::alter_client_quotas(
    std::vector<quota_alteration> entries, validate_only v) {
  auto task = net::on_shard<std::vector<quota_entry_result>>(_shards, 0, [this, &entries, v] {
    return alter_client_quotas_on_shard0(std::move(entries), v);
  });
  co_return co_await std::move(task);
}

net::awaitable<std::vector<quota_entry_result>> metadata_store::alter_client_quotas_on_shard0(
    std::vector<quota_alteration> entries, validate_only v) {
  state& st = *_state;
  auto ready = co_await controller_ready();
  quota_plan plan = plan_quota_alteration(st.working, entries);
  auto fail_accepted = [&plan](protocol::error_code e, const std::optional<std::string>& m) {
    for (auto& r : plan.results) {
      if (!r.ok()) continue;
      r.error = e;
      r.message = m;
    }
  };
  if (!ready.ok()) {
    fail_accepted(ready.error, ready.message);
    co_return plan.results;
  }
  if (v == validate_only::yes || plan.records.empty()) co_return plan.results;
  if (plan.records.size() > records_per_op_max) {
    fail_accepted(protocol::error_code::policy_violation, "Too many quota changes in one request.");
    co_return plan.results;
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  for (const auto& r : plan.records) {
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "a validated quota change applies");
  }
  auto c = co_await commit(plan.records, next, ids);
  if (!c.ok()) fail_accepted(c.error, c.message);
  co_return plan.results;
}

}  // namespace vltava::cluster
