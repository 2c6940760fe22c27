// The active controller's side of ElectLeaders and of auto.leader.rebalance.enable
// (metadata_store.h), as Kafka's ReplicationControlManager: planned against the working image
// on shard 0 (cluster/leader_election.h), committed as one batch.

#include "base/assert.h"
#include "base/log.h"
#include "cluster/metadata_store.h"
#include "cluster/metadata_store_state.h"
#include "net/shard_calls.h"

namespace vltava::cluster {

using clock = std::chrono::steady_clock;

net::awaitable<std::vector<election_result>> metadata_store::elect_leaders(
    election_type type, std::optional<std::vector<model::topic_partition>> partitions) {
  auto task = net::on_shard<std::vector<election_result>>(_shards, 0, [this, type, &partitions] {
    return elect_leaders_on_shard0(type, std::move(partitions));
  });
  co_return co_await std::move(task);
}

net::awaitable<std::vector<election_result>> metadata_store::elect_leaders_on_shard0(
    election_type type, std::optional<std::vector<model::topic_partition>> partitions) {
  state& st = *_state;
  auto ready = co_await controller_ready();
  if (!ready.ok()) {
    std::vector<election_result> out;
    if (partitions) {
      for (auto& k : *partitions) out.push_back({std::move(k), ready.error, ready.message});
    }
    co_return out;
  }
  election_plan plan = plan_elections(st.working, type, partitions);
  if (plan.records.empty()) co_return plan.results;
  if (plan.records.size() > records_per_op_max) {
    for (auto& r : plan.results) {
      if (r.error != protocol::error_code::none) continue;
      r.error = protocol::error_code::policy_violation;
      r.message = "Too many partitions in one election.";
    }
    co_return plan.results;
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  for (const auto& r : plan.records) {
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "a planned election applies");
  }
  auto c = co_await commit(plan.records, next, ids);
  if (!c.ok()) {
    for (auto& r : plan.results) {
      if (r.error != protocol::error_code::none) continue;
      r.error = c.error;
      r.message = c.message;
    }
  }
  co_return plan.results;
}

net::awaitable<void> metadata_store::rebalance_leaders() {
  state& st = *_state;
  if (st.closed || !st.auto_leader_rebalance) co_return;
  const auto now = clock::now();
  if (now < st.next_rebalance) co_return;
  st.next_rebalance = now + st.leader_imbalance_interval;
  if (st.quorum->node().current_role() != quorum::role::leader) co_return;
  auto todo = imbalanced_partitions(st.working, records_per_op_max);
  if (todo.empty()) co_return;
  log::info("cluster",
            "controller: moving {} partition leadership(s) back to their preferred "
            "replicas",
            todo.size());
  co_await elect_leaders_on_shard0(election_type::preferred, std::move(todo));
}

}  // namespace vltava::cluster
