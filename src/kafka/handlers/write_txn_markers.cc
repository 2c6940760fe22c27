#include "kafka/handlers/write_txn_markers.h"

#include "cluster/partition_manager.h"
#include "coord/txn_coordinator.h"

namespace vltava::kafka {

using protocol::error_code;

net::awaitable<std::optional<protocol::write_txn_markers_response>> serve_write_txn_markers(
    request_context& ctx, const protocol::write_txn_markers_request& request) {
  protocol::write_txn_markers_response response;
  for (const auto& m : request.markers) {
    auto& rm = response.markers.emplace_back();
    rm.producer_id = m.producer_id;
    std::vector<model::topic_partition> partitions;
    for (const auto& t : m.topics) {
      for (auto p : t.partition_indexes) partitions.push_back({t.name, p});
    }
    std::vector<error_code> errors(partitions.size(), error_code::coordinator_not_available);
    if (ctx.services.txns && !partitions.empty()) {
      const auto result =
          m.transaction_result ? cluster::txn_result::commit : cluster::txn_result::abort;
      auto task = ctx.services.txns->write_markers_for(m.producer_id, m.producer_epoch, result,
                                                       m.coordinator_epoch, partitions);
      errors = co_await std::move(task);
    }
    size_t i = 0;
    for (const auto& t : m.topics) {
      auto& rt = rm.topics.emplace_back();
      rt.name = t.name;
      for (auto p : t.partition_indexes) {
        auto& rp = rt.partitions.emplace_back();
        rp.partition_index = p;
        rp.error_code = errors[i++];
      }
    }
  }
  co_return response;
}

}  // namespace vltava::kafka
