#pragma once

// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka speaks them: the messages'
// grammar, the salted credential a server keeps, and the server side of one exchange.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vltava::security {

enum class scram_mechanism : uint8_t { sha256, sha512 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512"; nullopt for anything else.
std::optional<scram_mechanism> parse_scram_mechanism(std::string_view name);
std::string_view scram_mechanism_name(scram_mechanism m);
// Kafka's ScramMechanism type codes on the wire and in the metadata log (0 is UNKNOWN).
int8_t scram_mechanism_type(scram_mechanism m);
std::optional<scram_mechanism> scram_mechanism_from_type(int8_t type);

// What the server keeps of a password (never the password): RFC 5802's StoredKey and ServerKey.
struct scram_credential {
  std::vector<uint8_t> salt;
  std::vector<uint8_t> stored_key;
  std::vector<uint8_t> server_key;
  int32_t iterations = 0;

  bool operator==(const scram_credential&) const = default;
};

// Kafka's bounds for both mechanisms (ScramMechanism.minIterations, ScramControlManager's
// MAX_ITERATIONS): AlterUserScramCredentials refuses others with UNACCEPTABLE_CREDENTIAL.
inline constexpr int32_t scram_min_iterations = 4096;
inline constexpr int32_t scram_max_iterations = 16384;

scram_credential make_scram_credential(scram_mechanism m, std::string_view password,
                                       std::vector<uint8_t> salt, int32_t iterations);
// From RFC 5802's SaltedPassword (Hi(password, salt, i)), which AlterUserScramCredentials
// carries: the server derives StoredKey and ServerKey and never sees the password.
scram_credential scram_credential_from_salted(scram_mechanism m,
                                              std::span<const uint8_t> salted_password,
                                              std::vector<uint8_t> salt, int32_t iterations);
// Hi(password, salt, i): PBKDF2 with the mechanism's HMAC (what a client sends in upsertions).
std::vector<uint8_t> scram_salted_password(scram_mechanism m, std::string_view password,
                                           std::span<const uint8_t> salt, int32_t iterations);
// `n` random bytes for a salt; nullopt when OpenSSL has no randomness.
std::optional<std::vector<uint8_t>> scram_random_salt(size_t n = 32);

// client-first-message: gs2-header ("n,," or "n,a=<authzid>,"; "y" is accepted, channel
// binding "p=" is not) then the bare part "n=<user>,r=<nonce>[,ext...]".
struct scram_client_first {
  std::string gs2_header;
  std::string authzid;
  std::string username;  // saslname decoded (=2C → ',', =3D → '=')
  std::string nonce;
  std::string bare;
  bool token_auth = false;  // Kafka's tokenauth=true extension (delegation tokens)
};
result<scram_client_first, std::string> parse_scram_client_first(std::string_view message);

// client-final-message: "c=<base64 gs2-header>,r=<nonce>[,ext...],p=<base64 proof>".
struct scram_client_final {
  std::string channel_binding;  // decoded
  std::string nonce;
  std::vector<uint8_t> proof;
  std::string without_proof;  // what the AuthMessage holds
};
result<scram_client_final, std::string> parse_scram_client_final(std::string_view message);

// RFC 5802's HMAC(key, data) and H(data) with the mechanism's hash.
std::vector<uint8_t> scram_hmac(scram_mechanism m, std::span<const uint8_t> key,
                                std::string_view data);
std::vector<uint8_t> scram_hash(scram_mechanism m, std::span<const uint8_t> data);

std::string base64_encode(std::span<const uint8_t> data);
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace vltava::security
