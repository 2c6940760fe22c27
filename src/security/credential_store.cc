#include "security/credential_store.h"

#include <openssl/rand.h>

namespace vltava::security {

void memory_credential_store::put(scram_mechanism m, std::string user,
                                  scram_credential credential) {
  _credentials[{m, std::move(user)}] = std::move(credential);
}

std::optional<scram_credential> memory_credential_store::find_scram(scram_mechanism m,
                                                                    std::string_view user) const {
  auto it = _credentials.find(std::pair{m, std::string(user)});
  if (it == _credentials.end()) return std::nullopt;
  return it->second;
}

result<std::shared_ptr<const memory_credential_store>, std::string>
memory_credential_store::from_config(const std::vector<std::string>& entries) {
  auto store = std::make_shared<memory_credential_store>();
  for (const auto& e : entries) {
    size_t first = e.find(':');
    size_t second = first == std::string::npos ? first : e.find(':', first + 1);
    auto m = parse_scram_mechanism(std::string_view(e).substr(0, first));
    if (!m || second == std::string::npos || second == first + 1 || second + 1 == e.size()) {
      return fail("vltava.scram.users: '" + e + "' is not SCRAM-SHA-256|512:user:password");
    }
    std::vector<uint8_t> salt(32);
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
      return fail("vltava.scram.users: no random bytes for a salt");
    }
    store->put(*m, e.substr(first + 1, second - first - 1),
               make_scram_credential(*m, std::string_view(e).substr(second + 1), std::move(salt),
                                     scram_min_iterations));
  }
  return std::shared_ptr<const memory_credential_store>(std::move(store));
}

}  // namespace vltava::security
