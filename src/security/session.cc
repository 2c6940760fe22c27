#include "security/session.h"

namespace vltava::security {

session::session(std::shared_ptr<const listener_security> listener)
    : _listener(std::move(listener)) {}

result<void, std::string> session::on_tls_established(X509* peer_certificate) {
  if (peer_certificate != nullptr) {
    const std::string subject = subject_of(peer_certificate);
    auto name = _listener->principals.map(subject);
    if (!name) return fail("no ssl.principal.mapping.rules rule applies to '" + subject + "'");
    _principal = "User:" + *name;
  }
  _authenticated = !uses_sasl(_listener->protocol);
  return {};
}

}  // namespace vltava::security
