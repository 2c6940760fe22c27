#pragma once

// Where SCRAM credentials come from. A broker reads them from its metadata image, where the
// metadata log's UserScramCredentialRecords were replayed (cluster/image_credentials.h);
// tests and the fuzzer fill an in-memory store.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "security/scram.h"

namespace vltava::security {

// Every user's credential per mechanism, ordered by user then mechanism (as the metadata
// image keeps them, and DescribeUserScramCredentials lists them).
using scram_credential_key = std::pair<std::string, scram_mechanism>;
using scram_credential_map = std::map<scram_credential_key, scram_credential>;

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

 private:
  scram_credential_map _credentials;
};

}  // namespace vltava::security
