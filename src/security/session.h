#pragma once

// One connection's security state: on which listener it is, whether it has authenticated, and
// as whom (Kafka's principal, "User:<name>"). Created at accept for every listener that is not
// PLAINTEXT and touched only on the connection's shard.

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <span>
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

  // SASL, as Kafka's SaslServerAuthenticator: a SaslHandshake names the mechanism; after
  // SaslHandshake v1 the tokens come in SaslAuthenticate requests, after v0 as bare
  // size-prefixed frames (kafka-python does this).
  enum class sasl_stage : uint8_t { handshake, kafka_requests, raw_tokens, done, failed };
  sasl_stage stage() const { return _stage; }
  // Whether `mechanism` is enabled on this listener; when it is, its exchange begins.
  bool begin_sasl(std::string_view mechanism, int16_t handshake_version);
  // One token of the exchange; `done` authenticates the connection as User:<name>.
  sasl_step sasl_token(std::span<const std::byte> token);
  // Frames larger than this are refused until the connection has authenticated.
  size_t max_frame_bytes_before_authentication() const;

 private:
  std::shared_ptr<const listener_security> _listener;
  bool _authenticated = false;
  std::string _principal = "User:ANONYMOUS";
  sasl_stage _stage = sasl_stage::handshake;
  std::unique_ptr<sasl_mechanism_server> _sasl;
};

}  // namespace vltava::security
