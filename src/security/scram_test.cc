#include "security/scram.h"

#include <gtest/gtest.h>

namespace vltava::security {
namespace {

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// RFC 7677's example exchange (user "user", password "pencil").
constexpr std::string_view client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

TEST(Scram, Rfc7677ProofAndServerSignature) {
  auto salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  ASSERT_TRUE(salt);
  auto credential = make_scram_credential(scram_mechanism::sha256, "pencil", *salt, 4096);
  auto final_message = parse_scram_client_final(client_final);
  ASSERT_TRUE(final_message) << final_message.error();
  const std::string auth = std::string(client_first_bare) + "," + std::string(server_first) + "," +
                           final_message->without_proof;
  auto signature = scram_hmac(scram_mechanism::sha256, credential.stored_key, auth);
  std::vector<uint8_t> client_key(signature.size());
  for (size_t i = 0; i < signature.size(); ++i) {
    client_key[i] = final_message->proof[i] ^ signature[i];
  }
  EXPECT_EQ(scram_hash(scram_mechanism::sha256, client_key), credential.stored_key);
  EXPECT_EQ(base64_encode(scram_hmac(scram_mechanism::sha256, credential.server_key, auth)),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(Scram, ClientFirstMessages) {
  auto m = parse_scram_client_first("n,,n=al=2Cice=3D,r=abc,tokenauth=true");
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->gs2_header, "n,,");
  EXPECT_EQ(m->username, "al,ice=");
  EXPECT_EQ(m->nonce, "abc");
  EXPECT_EQ(m->bare, "n=al=2Cice=3D,r=abc,tokenauth=true");
  EXPECT_TRUE(m->token_auth);
  auto z = parse_scram_client_first("y,a=bob,n=bob,r=x");
  ASSERT_TRUE(z) << z.error();
  EXPECT_EQ(z->authzid, "bob");
  for (const char* bad : {"", "n,", "p=tls-unique,,n=a,r=b", "n,,r=b,n=a", "n,,n=a=,r=b",
                          "n,,n=,r=b", "n,,n=a,r=", "n,,n=a,r=b c", "n,x,n=a,r=b"}) {
    EXPECT_FALSE(parse_scram_client_first(bad)) << bad;
  }
}

TEST(Scram, ClientFinalMessages) {
  for (const char* bad : {"", "c=biws,r=x", "c=biws,r=x,p=", "c=bi,r=x,p=AAAA", "r=x,c=biws,p=AAAA",
                          "c=biws,r=x,p=A==A"}) {
    EXPECT_FALSE(parse_scram_client_final(bad)) << bad;
  }
}

TEST(Scram, Base64) {
  EXPECT_EQ(base64_encode(bytes("n,,")), "biws");
  EXPECT_EQ(base64_decode("biws"), bytes("n,,"));
  EXPECT_EQ(base64_decode("YQ=="), bytes("a"));
  EXPECT_EQ(base64_decode("YWI="), bytes("ab"));
  EXPECT_EQ(base64_decode(""), bytes(""));
  EXPECT_FALSE(base64_decode("YQ="));
  EXPECT_FALSE(base64_decode("Y Q="));
}

}  // namespace
}  // namespace vltava::security
