#include "security/tls_context.h"

#include <gtest/gtest.h>

#include "security/test_identity.h"

namespace vltava::security {
namespace {

using testing::make_identity;
using testing::test_identity;

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
