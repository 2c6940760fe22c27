#include "security/acl_table.h"

#include <algorithm>

namespace vltava::security {

result<void, std::string> acl_table::add(const acl_id& id, acl_binding b) {
  if (_by_id.contains(id)) return fail("ACL id used twice: " + to_string(b));
  _by_pattern[pattern_key{b.resource, b.pattern, b.name}].push_back(b);
  _by_id.emplace(id, std::move(b));
  return {};
}

result<void, std::string> acl_table::remove(const acl_id& id) {
  auto it = _by_id.find(id);
  if (it == _by_id.end()) return fail(std::string("removal of an unknown ACL id"));
  const acl_binding& b = it->second;
  auto slot = _by_pattern.find(pattern_key{b.resource, b.pattern, b.name});
  if (slot != _by_pattern.end()) {
    auto& v = slot->second;
    if (auto pos = std::find(v.begin(), v.end(), b); pos != v.end()) v.erase(pos);
    if (v.empty()) _by_pattern.erase(slot);
  }
  _by_id.erase(it);
  return {};
}

const acl_id* acl_table::find(const acl_binding& b) const {
  for (const auto& [id, x] : _by_id) {
    if (x == b) return &id;
  }
  return nullptr;
}

bool acl_table::visit(const pattern_key& key,
                      const std::function<bool(const acl_binding&)>& fn) const {
  auto it = _by_pattern.find(key);
  if (it == _by_pattern.end()) return true;
  for (const auto& b : it->second) {
    if (!fn(b)) return false;
  }
  return true;
}

void acl_table::for_each_applicable(resource_type type, std::string_view name,
                                    const std::function<bool(const acl_binding&)>& fn) const {
  if (_by_pattern.empty()) return;
  if (!visit(pattern_key{type, pattern_type::literal, std::string(name)}, fn)) return;
  if (name != wildcard_resource &&
      !visit(pattern_key{type, pattern_type::literal, std::string(wildcard_resource)}, fn)) {
    return;
  }
  // Each prefix of the name is one lookup: cost grows with the name, not with the ACL count.
  for (size_t len = 1; len <= name.size(); ++len) {
    if (!visit(pattern_key{type, pattern_type::prefixed, std::string(name.substr(0, len))}, fn)) {
      return;
    }
  }
}

void acl_table::for_each_of_type(resource_type type,
                                 const std::function<bool(const acl_binding&)>& fn) const {
  auto it = _by_pattern.lower_bound(pattern_key{type, pattern_type::unknown, std::string()});
  for (; it != _by_pattern.end() && std::get<0>(it->first) == type; ++it) {
    for (const auto& b : it->second) {
      if (!fn(b)) return;
    }
  }
}

}  // namespace vltava::security
