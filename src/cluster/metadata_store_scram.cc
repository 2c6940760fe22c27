// The active controller's side of AlterUserScramCredentials (metadata_store.h), as Kafka's
// ScramControlManager: validated against the working image on shard 0, committed as one batch.

#include "base/assert.h"
#include "cluster/metadata_store.h"
#include "cluster/metadata_store_state.h"
#include "net/shard_calls.h"

namespace vltava::cluster {

net::awaitable<std::vector<scram_user_result>> metadata_store::alter_scram_credentials(
    std::vector<scram_deletion> deletions, std::vector<scram_upsertion> upsertions) {
  auto task =
      net::on_shard<std::vector<scram_user_result>>(_shards, 0, [this, &deletions, &upsertions] {
        return alter_scram_credentials_on_shard0(std::move(deletions), std::move(upsertions));
      });
  co_return co_await std::move(task);
}

net::awaitable<std::vector<scram_user_result>> metadata_store::alter_scram_credentials_on_shard0(
    std::vector<scram_deletion> deletions, std::vector<scram_upsertion> upsertions) {
  state& st = *_state;
  auto ready = co_await controller_ready();
  scram_plan plan = plan_scram_alteration(st.working, deletions, upsertions);
  if (!ready.ok()) {
    for (auto& r : plan.results) {
      r.error = ready.error;
      r.message = ready.message;
    }
    co_return plan.results;
  }
  if (plan.records.empty()) co_return plan.results;
  if (plan.records.size() > records_per_op_max) {
    for (auto& r : plan.results) {
      if (!r.ok()) continue;
      r.error = protocol::error_code::policy_violation;
      r.message = "Too many SCRAM credentials in one request.";
    }
    co_return plan.results;
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  for (const auto& r : plan.records) {
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "a validated SCRAM change applies");
  }
  auto c = co_await commit(plan.records, next, ids);
  if (!c.ok()) {
    for (auto& r : plan.results) {
      if (!r.ok()) continue;
      r.error = c.error;
      r.message = c.message;
    }
  }
  co_return plan.results;
}

}  // namespace vltava::cluster
