#pragma once

// The SCRAM credentials a broker's SASL listeners check logins against: those of the current
// metadata image (UserScramCredentialRecords replayed from the metadata log), so a credential
// altered through AlterUserScramCredentials on any node, or bootstrapped by `vltava storage
// format --add-scram`, holds for the next login everywhere once its record is applied.

#include <atomic>

#include "cluster/metadata_store.h"
#include "security/credential_store.h"

namespace vltava::cluster {

class image_credential_store final : public security::credential_store {
 public:
  // The listeners are built before the metadata store opens: until attach() (and after
  // attach(nullptr), before the store goes away) every lookup finds nothing. `store` must
  // outlive its attachment.
  void attach(const metadata_store* store) { _store.store(store, std::memory_order_release); }

  std::optional<security::scram_credential> find_scram(security::scram_mechanism m,
                                                       std::string_view user) const override {
    const metadata_store* s = _store.load(std::memory_order_acquire);
    if (s == nullptr) return std::nullopt;
    image_ptr image = s->image();
    auto it = image->scram_credentials.find({std::string(user), m});
    if (it == image->scram_credentials.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::atomic<const metadata_store*> _store{nullptr};
};

}  // namespace vltava::cluster
