#include "security/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace vltava::security {
namespace {

// A key and a self-signed certificate made here (no key is ever committed).
struct test_identity {
  std::string key_pem;
  std::string cert_pem;
};

std::string to_pem(auto write) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

test_identity make_identity(const char* common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("acme"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  test_identity out{to_pem([&](BIO* b) {
                      PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
                    }),
                    to_pem([&](BIO* b) { PEM_write_bio_X509(b, cert); })};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

tls_settings settings_for(const test_identity& id) {
  tls_settings s;
  s.keystore_pem = id.cert_pem + id.key_pem;
  s.protocols = {"TLSv1.2", "TLSv1.3"};
  return s;
}

TEST(TlsContext, BuildsFromAPemKeyStore) {
  auto id = make_identity("broker");
  auto ctx = make_server_context(settings_for(id));
  ASSERT_TRUE(ctx) << ctx.error();
  EXPECT_EQ(subject_of(SSL_CTX_get0_certificate(ctx->get())), "CN=broker,O=acme");
}

TEST(TlsContext, RefusesAKeyOfAnotherCertificate) {
  auto a = make_identity("a");
  auto b = make_identity("b");
  tls_settings s = settings_for(a);
  s.keystore_pem = a.cert_pem + b.key_pem;
  EXPECT_FALSE(make_server_context(s));
  s.keystore_pem = a.cert_pem;
  EXPECT_FALSE(make_server_context(s));
}

TEST(TlsContext, ClientAuthNeedsATrustStore) {
  auto id = make_identity("broker");
  tls_settings s = settings_for(id);
  s.auth = client_auth::required;
  EXPECT_FALSE(make_server_context(s));
  s.truststore_pem = id.cert_pem;
  EXPECT_TRUE(make_server_context(s));
}

TEST(TlsContext, ProtocolsAndCipherSuites) {
  auto id = make_identity("broker");
  tls_settings s = settings_for(id);
  s.protocols = {"TLSv1.3"};
  auto ctx = make_server_context(s);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->get()), TLS1_3_VERSION);
  s.protocols = {"TLSv1.2", "TLSv1.3"};
  s.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"};
  EXPECT_TRUE(make_server_context(s));
  s.cipher_suites = {"TLS_NO_SUCH_SUITE"};
  EXPECT_FALSE(make_server_context(s));
}

TEST(TlsContext, PemOnOneLineIsRewrapped) {
  auto id = make_identity("broker");
  std::string one_line;
  for (char c : id.cert_pem + id.key_pem) one_line += c == '\n' ? ' ' : c;
  tls_settings s = settings_for(id);
  s.keystore_pem = normalize_pem(one_line);
  EXPECT_TRUE(make_server_context(s));
}

}  // namespace
}  // namespace vltava::security
