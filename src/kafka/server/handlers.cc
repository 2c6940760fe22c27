#include <algorithm>
#include <vector>

#include "kafka/handlers/api_versions.h"
#include "kafka/handlers/sasl.h"
#include "kafka/server/handler.h"
#include "protocol/generated/sasl_authenticate.h"
#include "protocol/generated/sasl_handshake.h"

namespace vltava::kafka {
namespace {

std::vector<handler> gather() {
  std::vector<handler> all{
      make_handler<protocol::api_versions_api, &serve_api_versions>(),
      handler{protocol::sasl_handshake_api::key, protocol::sasl_handshake_api::name, 0, 1,
              &serve_sasl_handshake},
      handler{protocol::sasl_authenticate_api::key, protocol::sasl_authenticate_api::name, 0, 2,
              &serve_sasl_authenticate}};
  for (const auto& h : data_handlers()) all.push_back(h);
  for (const auto& h : admin_handlers()) all.push_back(h);
  for (const auto& h : group_handlers()) all.push_back(h);
  for (const auto& h : txn_handlers()) all.push_back(h);
  for (const auto& h : quorum_handlers()) all.push_back(h);
  std::sort(all.begin(), all.end(),
            [](const handler& a, const handler& b) { return a.key < b.key; });
  for (size_t i = 1; i < all.size(); ++i) {
    VLTAVA_ASSERT(all[i - 1].key != all[i].key, "two handlers for one API key");
  }
  return all;
}

}  // namespace

std::span<const handler> all_handlers() {
  static const std::vector<handler> handlers = gather();
  return handlers;
}

const handler* find_handler(int16_t key) {
  auto all = all_handlers();
  auto it = std::lower_bound(all.begin(), all.end(), key,
                             [](const handler& h, int16_t k) { return h.key < k; });
  return it != all.end() && it->key == key ? &*it : nullptr;
}

}  // namespace vltava::kafka
