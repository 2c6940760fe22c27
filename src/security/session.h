#pragma once

// One connection's security state: on which listener it is, whether it has authenticated, and
// as whom (Kafka's principal, "User:<name>"). Created at accept for every listener that is not
// PLAINTEXT and touched only on the connection's shard.

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "base/result.h"
#include "security/listener_security.h"

namespace vltava::security {

class session {
 public:
  explicit session(std::shared_ptr<const listener_security> listener);

  const listener_security& listener() const { return *_listener; }
  bool authenticated() const { return _authenticated; }
  // "User:ANONYMOUS" until a certificate or a SASL exchange names someone.
  const std::string& principal() const { return _principal; }

  // After the TLS handshake: the client certificate's subject (none: ANONYMOUS) mapped by
  // ssl.principal.mapping.rules. An SSL connection is authenticated by it; an error when no
  // rule applies (the connection must close).
  result<void, std::string> on_tls_established(X509* peer_certificate);

 private:
  std::shared_ptr<const listener_security> _listener;
  bool _authenticated = false;
  std::string _principal = "User:ANONYMOUS";
};

}  // namespace vltava::security
