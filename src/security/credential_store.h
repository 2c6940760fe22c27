#pragma once

// Where SCRAM credentials come from. Until the metadata log carries them (Kafka's
// UserScramCredentialRecord, with the cluster work), the broker's store is in memory, seeded at
// start from the temporary `vltava.scram.users` config (MECHANISM:user:password entries): each
// password is salted and hashed there and only the credential is kept.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "security/scram.h"

namespace vltava::security {

class credential_store {
 public:
  virtual ~credential_store() = default;
  virtual std::optional<scram_credential> find_scram(scram_mechanism m,
                                                     std::string_view user) const = 0;
};

// Filled before the listeners start, read-only afterwards (so shared by every shard).
class memory_credential_store final : public credential_store {
 public:
  void put(scram_mechanism m, std::string user, scram_credential credential);
  std::optional<scram_credential> find_scram(scram_mechanism m,
                                             std::string_view user) const override;

  // From `vltava.scram.users` entries, each salted afresh (random 32 bytes, 4096 iterations).
  static result<std::shared_ptr<const memory_credential_store>, std::string> from_config(
      const std::vector<std::string>& entries);

 private:
  std::map<std::pair<scram_mechanism, std::string>, scram_credential, std::less<>> _credentials;
};

}  // namespace vltava::security
