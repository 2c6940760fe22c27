#include "security/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

#include "config/broker_configs.h"

namespace vltava::security {
namespace {

namespace keys = config::broker_keys;

// TLS 1.3 suites are configured apart from the older ciphers (SSL_CTX_set_ciphersuites).
constexpr std::array<std::string_view, 5> tls13_suites = {
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"};

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

bio_ptr memory_bio(const std::string& text) {
  return bio_ptr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The PEM text of a store: its file, or its inline value(s), exactly one of them.
result<std::string, std::string> store_text(std::optional<std::string> location,
                                            std::string inline_text, std::string_view what) {
  if (location && location->empty()) location.reset();  // a listener override unsetting it
  if (location && !inline_text.empty()) {
    return fail(std::string(what) + ": set the .location or the inline PEM, not both");
  }
  if (!location) return normalize_pem(inline_text);
  auto text = read_text_file(*location);
  if (!text) return fail(std::string(what) + ": cannot read " + *location);
  return *text;
}

result<void, std::string> use_keystore(SSL_CTX* ctx, const tls_settings& s) {
  auto certs = memory_bio(s.keystore_pem);
  X509* leaf = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    X509_free(leaf);
    return fail("ssl.keystore: no usable certificate: " + openssl_errors());
  }
  X509_free(leaf);
  while (X509* chain = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    SSL_CTX_add0_chain_cert(ctx, chain);  // the context owns it now
  }
  ERR_clear_error();  // the end of the chain reads as an error
  auto keys_bio = memory_bio(s.keystore_pem);
  void* password = s.key_password ? const_cast<char*>(s.key_password->c_str()) : nullptr;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(keys_bio.get(), nullptr, nullptr, password);
  if (key == nullptr || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    EVP_PKEY_free(key);
    return fail("ssl.keystore: no usable private key (ssl.key.password?): " + openssl_errors());
  }
  EVP_PKEY_free(key);
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail("ssl.keystore: the private key does not match the certificate");
  }
  return {};
}

result<void, std::string> use_truststore(SSL_CTX* ctx, const tls_settings& s) {
  if (s.truststore_pem.empty()) {
    if (s.auth == client_auth::none) return {};
    return fail("ssl.client.auth needs a trust store (ssl.truststore.location)");
  }
  auto bio = memory_bio(s.truststore_pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int count = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, ca);
    SSL_CTX_add_client_CA(ctx, ca);  // named to clients choosing a certificate
    X509_free(ca);
    ++count;
  }
  ERR_clear_error();
  if (count == 0) return fail("ssl.truststore: no certificate in it");
  int mode = SSL_VERIFY_NONE;
  if (s.auth == client_auth::requested) mode = SSL_VERIFY_PEER;
  if (s.auth == client_auth::required) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return {};
}

result<void, std::string> use_protocols(SSL_CTX* ctx, const tls_settings& s) {
  bool v12 = false;
  bool v13 = false;
  for (const auto& p : s.protocols) {
    v12 |= p == "TLSv1.2";
    v13 |= p == "TLSv1.3";
  }
  if (!v12 && !v13) return fail("ssl.enabled.protocols: none of TLSv1.2, TLSv1.3");
  SSL_CTX_set_min_proto_version(ctx, v12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  return {};
}

result<void, std::string> use_cipher_suites(SSL_CTX* ctx, const tls_settings& s) {
  if (s.cipher_suites.empty()) return {};
  std::string older;
  std::string tls13;
  for (const auto& name : s.cipher_suites) {
    bool is13 = std::find(tls13_suites.begin(), tls13_suites.end(), name) != tls13_suites.end();
    std::string openssl_name = name;
    if (!is13 && name.starts_with("TLS_")) {  // an IANA (Java) name
      openssl_name = OPENSSL_cipher_name(name.c_str());
      if (openssl_name == "(NONE)") return fail("ssl.cipher.suites: unknown suite " + name);
    }
    std::string& list = is13 ? tls13 : older;
    list += (list.empty() ? "" : ":") + openssl_name;
  }
  if (SSL_CTX_set_ciphersuites(ctx, tls13.c_str()) != 1 ||
      (!older.empty() && SSL_CTX_set_cipher_list(ctx, older.c_str()) != 1)) {
    return fail("ssl.cipher.suites: " + openssl_errors());
  }
  return {};
}

}  // namespace

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(e, text.data(), text.size());
    out += (out.empty() ? "" : "; ") + std::string(text.data());
  }
  return out.empty() ? "unknown error" : out;
}

std::string normalize_pem(std::string_view text) {
  std::string out;
  constexpr std::string_view begin = "-----BEGIN ";
  constexpr std::string_view dashes = "-----";
  for (size_t at = text.find(begin); at != std::string_view::npos; at = text.find(begin, at)) {
    size_t label_end = text.find(dashes, at + begin.size());
    if (label_end == std::string_view::npos) break;
    std::string_view label = text.substr(at + begin.size(), label_end - at - begin.size());
    std::string end_line = "-----END " + std::string(label) + "-----";
    size_t end = text.find(end_line, label_end);
    if (end == std::string_view::npos) break;
    std::string body;
    for (char c : text.substr(label_end + dashes.size(), end - label_end - dashes.size())) {
      if (!std::isspace(static_cast<unsigned char>(c))) body += c;
    }
    out += "-----BEGIN " + std::string(label) + "-----\n";
    for (size_t i = 0; i < body.size(); i += 64) out += body.substr(i, 64) + "\n";
    out += end_line + "\n";
    at = end + end_line.size();
  }
  return out;
}

std::string subject_of(X509* certificate) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0,
                     XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

result<tls_settings, std::string> tls_settings_from(const config::config_set& c) {
  // Kafka's store types default to JKS: a listener without a trust store need not change it.
  const bool has_truststore = c.get(keys::ssl_truststore_location).value_or("") != "" ||
                              c.get(keys::ssl_truststore_certificates).has_value();
  if (c.get(keys::ssl_keystore_type) != "PEM" ||
      (has_truststore && c.get(keys::ssl_truststore_type) != "PEM")) {
    return fail(
        "ssl.keystore.type and ssl.truststore.type must be PEM (KIP-651): Vltava reads "
        "no JKS or PKCS12 stores");
  }
  tls_settings s;
  std::string inline_keystore = c.get(keys::ssl_keystore_certificate_chain).value_or("");
  if (auto key = c.get(keys::ssl_keystore_key)) inline_keystore += "\n" + *key;
  auto keystore = store_text(c.get(keys::ssl_keystore_location),
                             inline_keystore == "\n" ? "" : inline_keystore, "ssl.keystore");
  if (!keystore) return fail(keystore.error());
  if (keystore->empty()) return fail("a TLS listener needs ssl.keystore.location");
  s.keystore_pem = std::move(*keystore);
  auto truststore =
      store_text(c.get(keys::ssl_truststore_location),
                 c.get(keys::ssl_truststore_certificates).value_or(""), "ssl.truststore");
  if (!truststore) return fail(truststore.error());
  s.truststore_pem = std::move(*truststore);
  s.key_password = c.get(keys::ssl_key_password);
  const std::string& auth = c.get(keys::ssl_client_auth);
  s.auth = auth == "required"    ? client_auth::required
           : auth == "requested" ? client_auth::requested
                                 : client_auth::none;
  s.protocols = c.get(keys::ssl_enabled_protocols);
  s.cipher_suites = c.get(keys::ssl_cipher_suites);
  return s;
}

result<ssl_ctx_ptr, std::string> make_server_context(const tls_settings& s) {
  ssl_ctx_ptr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return fail("cannot create a TLS context: " + openssl_errors());
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  for (auto step : {use_keystore, use_truststore, use_protocols, use_cipher_suites}) {
    if (auto r = step(ctx.get(), s); !r) return fail(r.error());
  }
  return ctx;
}

}  // namespace vltava::security
