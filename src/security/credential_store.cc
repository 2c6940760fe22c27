#include "security/credential_store.h"

namespace vltava::security {

void memory_credential_store::put(scram_mechanism m, std::string user,
                                  scram_credential credential) {
  _credentials[{std::move(user), m}] = std::move(credential);
}

std::optional<scram_credential> memory_credential_store::find_scram(scram_mechanism m,
                                                                    std::string_view user) const {
  auto it = _credentials.find({std::string(user), m});
  if (it == _credentials.end()) return std::nullopt;
  return it->second;
}

}  // namespace vltava::security
