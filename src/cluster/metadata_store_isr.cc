// The active controller's side of AlterPartition (API 56): a partition leader asks for a new
// ISR; the controller checks it against the working image as Kafka's ReplicationControlManager
// does and commits the accepted changes as partition change records, one batch per request.

#include <algorithm>

#include "base/log.h"
#include "cluster/metadata_store.h"
#include "cluster/metadata_store_state.h"
#include "net/shard_calls.h"

namespace vltava::cluster {
namespace {

using error_code = protocol::error_code;

bool contains(const std::vector<model::node_id>& v, model::node_id n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}

// The partition an item names, or the error to answer for it.
struct located {
  const topic_info* topic = nullptr;
  const partition_assignment* partition = nullptr;
  error_code error = error_code::none;
};

located locate(const metadata_image& image, const alter_partition_item& item, int16_t version) {
  located out;
  out.topic = version >= 2 ? image.find_topic(item.topic_id) : image.find_topic(item.topic_name);
  if (out.topic == nullptr) {
    out.error =
        version >= 2 ? error_code::unknown_topic_id : error_code::unknown_topic_or_partition;
    return out;
  }
  if (item.partition < 0 || static_cast<size_t>(item.partition) >= out.topic->partitions.size()) {
    out.error = error_code::unknown_topic_or_partition;
    return out;
  }
  out.partition = &out.topic->partitions[static_cast<size_t>(item.partition)];
  return out;
}

// Kafka's checks of one partition's change, in its order.
error_code check(const metadata_image& image, const alter_partition_request& req,
                 const alter_partition_item& item, const partition_assignment& p) {
  if (p.leader != req.broker) return error_code::invalid_request;  // only its leader asks
  if (item.leader_epoch > p.leader_epoch) return error_code::not_leader_or_follower;
  if (item.leader_epoch < p.leader_epoch) return error_code::fenced_leader_epoch;
  if (item.partition_epoch != p.partition_epoch) return error_code::invalid_update_version;
  std::vector<model::node_id> ids;
  for (const auto& m : item.new_isr) {
    if (contains(ids, m.id)) return error_code::invalid_request;
    ids.push_back(m.id);
  }
  if (!contains(ids, p.leader)) return error_code::invalid_request;
  // A replica joining must be a replica, live, not shutting down, and (v3) the incarnation
  // the leader saw fetching. Older versions answer OPERATION_NOT_ATTEMPTED, as Kafka.
  const error_code ineligible =
      req.version >= 2 ? error_code::ineligible_replica : error_code::operation_not_attempted;
  for (const auto& m : item.new_isr) {
    if (!contains(p.replicas, m.id)) return error_code::invalid_request;
    if (contains(p.isr, m.id)) continue;
    const broker_info* b = image.find_broker(m.id);
    if (b == nullptr || b->fenced || b->in_controlled_shutdown) return ineligible;
    if (m.broker_epoch >= 0 && m.broker_epoch != b->epoch) return ineligible;
  }
  return error_code::none;
}

}  // namespace

net::awaitable<alter_partition_result> metadata_store::alter_partition(
    alter_partition_request req) {
  auto task = net::on_shard<alter_partition_result>(
      _shards, 0, [this, &req] { return alter_partition_on_shard0(std::move(req)); });
  co_return co_await std::move(task);
}

net::awaitable<alter_partition_result> metadata_store::alter_partition_on_shard0(
    alter_partition_request req) {
  state& st = *_state;
  alter_partition_result out;
  if (auto ready = co_await controller_ready(); !ready.ok()) {
    static_cast<op_result&>(out) = ready;
    co_return out;
  }
  const broker_info* asking = st.working.find_broker(req.broker);
  if (asking == nullptr || (req.broker_epoch >= 0 && asking->epoch != req.broker_epoch)) {
    out.error = error_code::stale_broker_epoch;
    co_return out;
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  std::vector<metadata_record> records;
  std::vector<size_t> accepted;  // items written, to answer with their new state
  out.items.resize(req.items.size());
  for (size_t i = 0; i < req.items.size(); ++i) {
    const auto& item = req.items[i];
    located at = locate(next, item, req.version);
    if (at.error != error_code::none) {
      out.items[i].error = at.error;
      continue;
    }
    out.items[i].error = check(next, req, item, *at.partition);
    if (out.items[i].error != error_code::none) {
      out.items[i].state = *at.partition;
      continue;
    }
    protocol::metadata_partition_change_record c;
    c.topic_id = at.topic->id;
    c.partition_index = model::partition_id(item.partition);
    for (const auto& m : item.new_isr) c.isr_nodes.push_back(m.id);
    c.leader_id = at.partition->leader;
    c.leader_epoch = at.partition->leader_epoch;
    c.partition_epoch = at.partition->partition_epoch + 1;
    log::info("cluster", "controller: {}-{} ISR {} -> {} (asked by leader {})", at.topic->name,
              item.partition, at.partition->isr.size(), c.isr_nodes.size(), req.broker());
    metadata_record r(std::move(c));
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "a checked ISR change applies");
    records.push_back(std::move(r));
    accepted.push_back(i);
  }
  if (!records.empty()) {
    if (auto c = co_await commit(records, next, ids); !c.ok()) {
      for (size_t i : accepted) out.items[i].error = c.error;
      co_return out;
    }
  }
  for (size_t i : accepted) {
    located at = locate(next, req.items[i], req.version);
    if (at.partition) out.items[i].state = *at.partition;
  }
  co_return out;
}

}  // namespace vltava::cluster
