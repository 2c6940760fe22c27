#include "cluster/quota_alteration.h"

#include <map>

namespace vltava::cluster {
namespace {

using protocol::error_code;

quota_entry_result invalid(std::string message) {
  return quota_entry_result{error_code::invalid_request, std::move(message)};
}

// One entry: its result, and its records appended to `records` (and applied to `quotas`).
quota_entry_result plan_entry(security::client_quota_map& quotas, const quota_alteration& entry,
                              std::vector<metadata_record>& records) {
  auto checked = security::check_quota_entity(entry.entity);
  if (!checked.entity) return invalid(std::move(checked.error));
  const security::quota_entity& entity = *checked.entity;
  // The last operation on a key wins (Kafka reads the ops into a map).
  std::map<std::string, const quota_op*> last;
  for (const auto& op : entry.ops) last[op.key] = &op;
  for (const auto& [key, op] : last) {
    if (op->remove) continue;
    if (auto bad = security::invalid_quota_value(entity, key, op->value)) {
      return invalid(std::move(*bad));
    }
  }
  security::quota_values& current = quotas[entity];
  for (const auto& [key, op] : last) {
    auto it = current.find(key);
    if (op->remove) {
      if (it == current.end()) continue;
      records.emplace_back(client_quota_record(entity, key, 0, true));
      current.erase(it);
      continue;
    }
    if (it != current.end() && it->second == op->value) continue;
    records.emplace_back(client_quota_record(entity, key, op->value, false));
    current.insert_or_assign(key, op->value);
  }
  if (current.empty()) quotas.erase(entity);
  return {};
}

}  // namespace

quota_plan plan_quota_alteration(const metadata_image& image,
                                 const std::vector<quota_alteration>& entries) {
  quota_plan plan;
  security::client_quota_map quotas = image.client_quotas;
  for (const auto& entry : entries) {
    plan.results.push_back(plan_entry(quotas, entry, plan.records));
  }
  return plan;
}

}  // namespace vltava::cluster
