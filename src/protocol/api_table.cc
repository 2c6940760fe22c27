#include "protocol/api_table.h"

#include <algorithm>

namespace vltava::protocol {
namespace {
constexpr int16_t controlled_shutdown_key = 7;
constexpr int16_t api_versions_key = 18;
}  // namespace

const api_info* find_api(int16_t key) {
  auto table = api_table();
  auto it = std::lower_bound(table.begin(), table.end(), key,
                             [](const api_info& a, int16_t k) { return a.key < k; });
  if (it == table.end() || it->key != key) return nullptr;
  return &*it;
}

int16_t request_header_version(int16_t key, int16_t version) {
  if (key == controlled_shutdown_key && version == 0) return 0;
  const api_info* api = find_api(key);
  if (api == nullptr || version < 0) return -1;
  return api->is_flexible(version) ? 2 : 1;
}

int16_t response_header_version(int16_t key, int16_t version) {
  const api_info* api = find_api(key);
  if (api == nullptr || version < 0) return -1;
  if (key == api_versions_key) return 0;
  return api->is_flexible(version) ? 1 : 0;
}

}  // namespace vltava::protocol
