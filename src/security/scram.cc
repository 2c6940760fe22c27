#include "security/scram.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace vltava::security {
namespace {

bool printable_nonce(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// saslname: '=' only as =2C or =3D.
std::optional<std::string> decode_saslname(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',') return std::nullopt;
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    std::string_view code = s.substr(i + 1, 2);
    if (code == "2C") {
      out += ',';
    } else if (code == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// Splits "a=1,b=2,ext=3" into its attributes: RFC 5802's are one letter, Kafka's extensions
// (after the nonce) are words.
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> attributes(
    std::string_view s) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (true) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    size_t eq = item.find('=');
    if (eq == 0 || eq == std::string_view::npos) return std::nullopt;
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

const EVP_MD* digest_of(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? EVP_sha256() : EVP_sha512();
}

}  // namespace

std::optional<scram_mechanism> parse_scram_mechanism(std::string_view name) {
  if (name == "SCRAM-SHA-256") return scram_mechanism::sha256;
  if (name == "SCRAM-SHA-512") return scram_mechanism::sha512;
  return std::nullopt;
}

result<scram_client_first, std::string> parse_scram_client_first(std::string_view message) {
  scram_client_first out;
  size_t first = message.find(',');
  size_t second = first == std::string_view::npos ? first : message.find(',', first + 1);
  if (second == std::string_view::npos) return fail("no gs2 header");
  std::string_view flag = message.substr(0, first);
  std::string_view authzid = message.substr(first + 1, second - first - 1);
  if (flag != "n" && flag != "y") return fail("channel binding is not supported");
  if (!authzid.empty()) {
    auto name = authzid.starts_with("a=") ? decode_saslname(authzid.substr(2)) : std::nullopt;
    if (!name) return fail("invalid authorization id");
    out.authzid = *name;
  }
  out.gs2_header = std::string(message.substr(0, second + 1));
  out.bare = std::string(message.substr(second + 1));
  auto attrs = attributes(out.bare);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].first != "n" || (*attrs)[1].first != "r") {
    return fail("expected n=<user>,r=<nonce>");
  }
  auto name = decode_saslname((*attrs)[0].second);
  if (!name) return fail("invalid user name");
  out.username = *name;
  if (!printable_nonce((*attrs)[1].second)) return fail("invalid nonce");
  out.nonce = std::string((*attrs)[1].second);
  for (size_t i = 2; i < attrs->size(); ++i) {
    // Of Kafka's extensions only tokenauth means anything to a server.
    if ((*attrs)[i].first == "tokenauth") out.token_auth = (*attrs)[i].second == "true";
  }
  return out;
}

result<scram_client_final, std::string> parse_scram_client_final(std::string_view message) {
  size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return fail("no proof");
  scram_client_final out;
  out.without_proof = std::string(message.substr(0, proof_at));
  auto proof = base64_decode(message.substr(proof_at + 3));
  if (!proof || proof->empty()) return fail("invalid proof");
  out.proof = std::move(*proof);
  auto attrs = attributes(out.without_proof);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].first != "c" || (*attrs)[1].first != "r") {
    return fail("expected c=<binding>,r=<nonce>");
  }
  auto binding = base64_decode((*attrs)[0].second);
  if (!binding) return fail("invalid channel binding");
  out.channel_binding.assign(binding->begin(), binding->end());
  if (!printable_nonce((*attrs)[1].second)) return fail("invalid nonce");
  out.nonce = std::string((*attrs)[1].second);
  return out;
}

std::string base64_encode(std::span<const uint8_t> data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=' && i + 2 >= text.size()) {
      ++padding;
    } else if (padding > 0 || !(alnum || c == '+' || c == '/')) {
      return std::nullopt;
    }
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < padding) return std::nullopt;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::vector<uint8_t> scram_salted_password(scram_mechanism m, std::string_view password,
                                           std::span<const uint8_t> salt, int32_t iterations) {
  const EVP_MD* md = digest_of(m);
  const size_t size = static_cast<size_t>(EVP_MD_get_size(md));
  std::vector<uint8_t> salted(size);
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                    static_cast<int>(salt.size()), iterations, md, static_cast<int>(size),
                    salted.data());
  return salted;
}

scram_credential scram_credential_from_salted(scram_mechanism m,
                                              std::span<const uint8_t> salted_password,
                                              std::vector<uint8_t> salt, int32_t iterations) {
  scram_credential c{std::move(salt), {}, {}, iterations};
  std::vector<uint8_t> client_key = scram_hmac(m, salted_password, "Client Key");
  c.stored_key = scram_hash(m, client_key);
  c.server_key = scram_hmac(m, salted_password, "Server Key");
  return c;
}

scram_credential make_scram_credential(scram_mechanism m, std::string_view password,
                                       std::vector<uint8_t> salt, int32_t iterations) {
  auto salted = scram_salted_password(m, password, salt, iterations);
  return scram_credential_from_salted(m, salted, std::move(salt), iterations);
}

std::optional<std::vector<uint8_t>> scram_random_salt(size_t n) {
  std::vector<uint8_t> salt(n);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return std::nullopt;
  return salt;
}

std::string_view scram_mechanism_name(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

int8_t scram_mechanism_type(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? 1 : 2;
}

std::optional<scram_mechanism> scram_mechanism_from_type(int8_t type) {
  if (type == 1) return scram_mechanism::sha256;
  if (type == 2) return scram_mechanism::sha512;
  return std::nullopt;
}

std::vector<uint8_t> scram_hmac(scram_mechanism m, std::span<const uint8_t> key,
                                std::string_view data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  HMAC(digest_of(m), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &n);
  out.resize(n);
  return out;
}

std::vector<uint8_t> scram_hash(scram_mechanism m, std::span<const uint8_t> data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, digest_of(m), nullptr);
  out.resize(n);
  return out;
}

}  // namespace vltava::security
