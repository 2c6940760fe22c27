#pragma once

// A listener's TLS server context (OpenSSL) from Kafka's ssl.* configs, PEM stores only
// (KIP-651): the key store is a PEM file (ssl.keystore.location) holding the certificate chain
// and the private key, or the two inline (ssl.keystore.certificate.chain, ssl.keystore.key);
// the trust store is a PEM file or inline list of CA certificates. One context serves every
// connection of the listener on every shard (OpenSSL's SSL_CTX is safe to share for SSL_new).

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config_def.h"

namespace vltava::security {

using ssl_ctx_ptr = std::shared_ptr<SSL_CTX>;

enum class client_auth : uint8_t { none, requested, required };

struct tls_settings {
  std::string keystore_pem;  // the certificate chain (leaf first) and the private key
  std::optional<std::string> key_password;
  std::string truststore_pem;  // CA certificates; empty: none
  client_auth auth = client_auth::none;
  std::vector<std::string> protocols;      // TLSv1.2, TLSv1.3
  std::vector<std::string> cipher_suites;  // OpenSSL or IANA names; empty: OpenSSL's defaults
};

// Reads the settings of one listener (config::listener_config), the PEM files included.
result<tls_settings, std::string> tls_settings_from(const config::config_set& listener_config);

result<ssl_ctx_ptr, std::string> make_server_context(const tls_settings& settings);

// Kafka's PEM values may come without their line breaks (a .properties value on one line):
// each BEGIN/END block is rewritten with its base64 body in lines of 64.
std::string normalize_pem(std::string_view text);

// A certificate's subject in RFC 2253 form, most specific attribute first, as Java's
// X500Principal.getName() gives it ("CN=alice,OU=eng,O=acme").
std::string subject_of(X509* certificate);

// OpenSSL's error queue as one line (emptied).
std::string openssl_errors();

}  // namespace vltava::security
