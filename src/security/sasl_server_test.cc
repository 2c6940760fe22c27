#include "security/sasl_server.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "security/scram.h"

namespace vltava::security {
namespace {

std::vector<std::byte> token(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

std::string text(const std::vector<std::byte>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

sasl_settings settings() {
  sasl_settings s;
  s.mechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  s.plain_users = {{"alice", "alice-secret"}};
  auto store = std::make_shared<memory_credential_store>();
  store->put(scram_mechanism::sha512, "bob",
             make_scram_credential(scram_mechanism::sha512, "bob-secret", {1, 2, 3, 4}, 4096));
  s.credentials = store;
  return s;
}

using outcome = sasl_step::outcome;

TEST(SaslPlain, RightAndWrongPasswords) {
  auto s = settings();
  auto run = [&](std::string_view t) { return make_sasl_server("PLAIN", s)->step(token(t)); };
  auto ok = run(std::string_view("\0alice\0alice-secret", 19));
  EXPECT_EQ(ok.result, outcome::done);
  EXPECT_EQ(ok.username, "alice");
  EXPECT_EQ(run(std::string_view("alice\0alice\0alice-secret", 24)).result, outcome::done);
  EXPECT_EQ(run(std::string_view("\0alice\0wrong", 12)).result, outcome::failed);
  EXPECT_EQ(run(std::string_view("\0nobody\0alice-secret", 20)).result, outcome::failed);
  EXPECT_EQ(run(std::string_view("bob\0alice\0alice-secret", 22)).result, outcome::failed);
  EXPECT_EQ(run("alice").result, outcome::failed);
  EXPECT_EQ(run(std::string_view("\0alice\0alice-secret\0", 20)).result, outcome::failed);
}

// The client side of RFC 5802, to drive the server.
struct scram_client {
  scram_mechanism m;
  std::string user, password, nonce = "fyko+d2lbbFgONRv9qkxdawL";
  std::string first() const { return "n,,n=" + user + ",r=" + nonce; }
  // `nonce_prefix`: what librdkafka < 2.6.1 puts before the server's nonce (its own again).
  std::string final(const std::string& server_first, const std::string& nonce_prefix = "") const {
    auto salt_at = server_first.find(",s=");
    auto iter_at = server_first.find(",i=");
    std::string server_nonce = server_first.substr(2, salt_at - 2);
    auto salt = *base64_decode(server_first.substr(salt_at + 3, iter_at - salt_at - 3));
    auto c = make_scram_credential(m, password, salt, std::stoi(server_first.substr(iter_at + 3)));
    std::string without_proof = "c=biws,r=" + nonce_prefix + server_nonce;
    std::string auth = "n=" + user + ",r=" + nonce + "," + server_first + "," + without_proof;
    // ClientKey = HMAC(SaltedPassword, "Client Key") is not kept by the credential: rebuild it.
    std::vector<uint8_t> salted(m == scram_mechanism::sha256 ? 32 : 64);
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                      static_cast<int>(salt.size()), c.iterations,
                      m == scram_mechanism::sha256 ? EVP_sha256() : EVP_sha512(),
                      static_cast<int>(salted.size()), salted.data());
    auto client_key = scram_hmac(m, salted, "Client Key");
    auto signature = scram_hmac(m, c.stored_key, auth);
    for (size_t i = 0; i < signature.size(); ++i) client_key[i] ^= signature[i];
    return without_proof + ",p=" + base64_encode(client_key);
  }
};

TEST(SaslScram, AWholeExchange) {
  auto s = settings();
  auto server = make_sasl_server("SCRAM-SHA-512", s);
  scram_client client{scram_mechanism::sha512, "bob", "bob-secret"};
  auto first = server->step(token(client.first()));
  ASSERT_EQ(first.result, outcome::more) << first.error;
  std::string server_first = text(first.reply);
  EXPECT_TRUE(server_first.starts_with("r=" + client.nonce));
  EXPECT_NE(server_first.find(",i=4096"), std::string::npos);
  auto done = server->step(token(client.final(server_first)));
  ASSERT_EQ(done.result, outcome::done) << done.error;
  EXPECT_EQ(done.username, "bob");
  EXPECT_TRUE(text(done.reply).starts_with("v="));
  EXPECT_EQ(server->step(token("again")).result, outcome::failed);
}

TEST(SaslScram, WrongPasswordUnknownUserAndWrongMechanism) {
  auto s = settings();
  auto wrong = make_sasl_server("SCRAM-SHA-512", s);
  scram_client liar{scram_mechanism::sha512, "bob", "not-bob-secret"};
  auto first = wrong->step(token(liar.first()));
  ASSERT_EQ(first.result, outcome::more);
  EXPECT_EQ(wrong->step(token(liar.final(text(first.reply)))).result, outcome::failed);

  scram_client stranger{scram_mechanism::sha512, "carol", "x"};
  EXPECT_EQ(make_sasl_server("SCRAM-SHA-512", s)->step(token(stranger.first())).result,
            outcome::failed);
  // bob has a SHA-512 credential only.
  scram_client other{scram_mechanism::sha256, "bob", "bob-secret"};
  EXPECT_EQ(make_sasl_server("SCRAM-SHA-256", s)->step(token(other.first())).result,
            outcome::failed);
  EXPECT_EQ(make_sasl_server("GSSAPI", s), nullptr);
}

TEST(SaslScram, ANonceOtherThanTheServersFails) {
  auto s = settings();
  auto server = make_sasl_server("SCRAM-SHA-512", s);
  scram_client client{scram_mechanism::sha512, "bob", "bob-secret"};
  auto first = server->step(token(client.first()));
  ASSERT_EQ(first.result, outcome::more);
  std::string tampered = text(first.reply);
  tampered.replace(tampered.find(",s="), 0, "x");
  EXPECT_EQ(server->step(token(client.final(tampered))).result, outcome::failed);
}

TEST(SaslScram, LibrdkafkasDoubledClientNonceIsAccepted) {
  auto s = settings();
  auto server = make_sasl_server("SCRAM-SHA-512", s);
  scram_client client{scram_mechanism::sha512, "bob", "bob-secret"};
  auto first = server->step(token(client.first()));
  ASSERT_EQ(first.result, outcome::more);
  // librdkafka < 2.6.1 builds r= as its nonce followed by the server's whole nonce.
  auto done = server->step(token(client.final(text(first.reply), client.nonce)));
  EXPECT_EQ(done.result, outcome::done) << done.error;
}

TEST(Secrets, EqualOnlyWhenEqual) {
  EXPECT_TRUE(secrets_equal("abc", "abc"));
  EXPECT_FALSE(secrets_equal("abc", "abd"));
  EXPECT_FALSE(secrets_equal("abc", "abcd"));
  EXPECT_FALSE(secrets_equal("", "a"));
}

}  // namespace
}  // namespace vltava::security
