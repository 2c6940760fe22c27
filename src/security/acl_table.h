#pragma once

// The cluster's ACLs as the metadata image holds them: each binding under the id its
// AccessControlEntryRecord gave it, and an index by resource pattern for the authorizer.
// A value type: copied with the image it belongs to.

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "base/result.h"
#include "security/acl.h"

namespace vltava::security {

using acl_id = std::array<std::byte, 16>;  // a random v4 uuid, as Kafka's StandardAcl ids

class acl_table {
 public:
  // A second binding under one id is an error (the log is corrupt); a binding equal to an
  // existing one under another id is kept (the controller never writes one).
  result<void, std::string> add(const acl_id& id, acl_binding b);
  result<void, std::string> remove(const acl_id& id);

  size_t size() const { return _by_id.size(); }
  bool empty() const { return _by_id.empty(); }
  const std::map<acl_id, acl_binding>& by_id() const { return _by_id; }
  // The id of a binding equal to `b`, if any.
  const acl_id* find(const acl_binding& b) const;

  // Every binding that applies to the resource (type, name) by its pattern: LITERAL with the
  // name, LITERAL "*", PREFIXED with a prefix of the name. Stops when `fn` returns false.
  void for_each_applicable(resource_type type, std::string_view name,
                           const std::function<bool(const acl_binding&)>& fn) const;
  // Every binding on resources of `type`, whatever their name.
  void for_each_of_type(resource_type type,
                        const std::function<bool(const acl_binding&)>& fn) const;

 private:
  using pattern_key = std::tuple<resource_type, pattern_type, std::string>;
  bool visit(const pattern_key& key, const std::function<bool(const acl_binding&)>& fn) const;

  std::map<acl_id, acl_binding> _by_id;
  std::map<pattern_key, std::vector<acl_binding>, std::less<>> _by_pattern;
};

}  // namespace vltava::security
