#include "security/sasl_server.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "security/scram.h"

namespace vltava::security {
namespace {

std::string_view text_of(std::span<const std::byte> token) {
  return {reinterpret_cast<const char*>(token.data()), token.size()};
}

std::vector<std::byte> bytes_of(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

sasl_step failed(std::string error) {
  return sasl_step{sasl_step::outcome::failed, {}, std::move(error), {}};
}

// RFC 4616: [authzid] NUL authcid NUL passwd.
class plain_server final : public sasl_mechanism_server {
 public:
  explicit plain_server(const sasl_settings& s) : _settings(s) {}

  sasl_step step(std::span<const std::byte> token) override {
    std::string_view t = text_of(token);
    size_t a = t.find('\0');
    size_t b = a == std::string_view::npos ? a : t.find('\0', a + 1);
    if (b == std::string_view::npos || t.find('\0', b + 1) != std::string_view::npos) {
      return failed("Invalid SASL/PLAIN response: expected 3 tokens");
    }
    std::string_view authzid = t.substr(0, a);
    std::string_view user = t.substr(a + 1, b - a - 1);
    std::string_view password = t.substr(b + 1);
    if (user.empty() || password.empty()) {
      return failed("Authentication failed: username or password not specified");
    }
    if (!authzid.empty() && authzid != user) {
      return failed(
          "Authentication failed: Client requested an authorization id that is "
          "different from username");
    }
    auto it = _settings.plain_users.find(user);
    // An unknown user costs the same comparison as a known one.
    const bool known = it != _settings.plain_users.end();
    const bool match = secrets_equal(known ? it->second : std::string_view(), password);
    if (!known || !match) return failed("Authentication failed: Invalid username or password");
    return sasl_step{sasl_step::outcome::done, {}, {}, std::string(user)};
  }

 private:
  const sasl_settings& _settings;
};

class scram_server final : public sasl_mechanism_server {
 public:
  scram_server(scram_mechanism m, std::string name, const sasl_settings& s)
      : _mechanism(m), _name(std::move(name)), _settings(s) {}

  sasl_step step(std::span<const std::byte> token) override {
    if (_stage == stage::first) return first(text_of(token));
    if (_stage == stage::final) return final(text_of(token));
    return failed("Invalid SASL/" + _name + " exchange: it is over");
  }

 private:
  enum class stage : uint8_t { first, final, over };

  std::string invalid_credentials() const {
    return "Authentication failed during authentication due to invalid credentials with SASL "
           "mechanism " +
           _name;
  }

  sasl_step first(std::string_view message) {
    _stage = stage::over;
    auto m = parse_scram_client_first(message);
    if (!m) return failed("Invalid SASL/" + _name + " client-first message: " + m.error());
    if (m->token_auth) return failed("Delegation tokens are not supported");
    if (!m->authzid.empty() && m->authzid != m->username) {
      return failed(
          "Authentication failed: Client requested an authorization id that is "
          "different from username");
    }
    auto credential = _settings.credentials
                          ? _settings.credentials->find_scram(_mechanism, m->username)
                          : std::nullopt;
    if (!credential) return failed(invalid_credentials());
    std::vector<uint8_t> random(24);
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    _nonce = m->nonce + base64_encode(random);
    _server_first = "r=" + _nonce + ",s=" + base64_encode(credential->salt) +
                    ",i=" + std::to_string(credential->iterations);
    _client_first = std::move(*m);
    _credential = std::move(*credential);
    _stage = stage::final;
    return sasl_step{sasl_step::outcome::more, bytes_of(_server_first), {}, {}};
  }

  sasl_step final(std::string_view message) {
    _stage = stage::over;
    auto m = parse_scram_client_final(message);
    if (!m) return failed("Invalid SASL/" + _name + " client-final message: " + m.error());
    // librdkafka before 2.6.1 (Debian 12 has 2.0.2) sends its own nonce again in front of the
    // server's; Kafka 3.8.1-3.9 accept that, and so does Vltava, in that exact form only: the
    // server's nonce is still there, so a replayed proof still fails.
    const bool nonce_ok = m->nonce == _nonce || m->nonce == _client_first.nonce + _nonce;
    if (!nonce_ok || m->channel_binding != _client_first.gs2_header) {
      return failed("Invalid SASL/" + _name +
                    " client-final message: nonce or channel "
                    "binding differs from the first messages");
    }
    const std::string auth_message =
        _client_first.bare + "," + _server_first + "," + m->without_proof;
    std::vector<uint8_t> signature = scram_hmac(_mechanism, _credential.stored_key, auth_message);
    if (m->proof.size() != signature.size()) return failed(invalid_credentials());
    std::vector<uint8_t> client_key(signature.size());
    for (size_t i = 0; i < signature.size(); ++i) client_key[i] = m->proof[i] ^ signature[i];
    const std::vector<uint8_t> stored = scram_hash(_mechanism, client_key);
    if (CRYPTO_memcmp(stored.data(), _credential.stored_key.data(), stored.size()) != 0) {
      return failed(invalid_credentials());
    }
    const std::string server_final =
        "v=" + base64_encode(scram_hmac(_mechanism, _credential.server_key, auth_message));
    return sasl_step{sasl_step::outcome::done, bytes_of(server_final), {}, _client_first.username};
  }

  scram_mechanism _mechanism;
  std::string _name;
  const sasl_settings& _settings;
  stage _stage = stage::first;
  scram_client_first _client_first;
  scram_credential _credential;
  std::string _nonce;
  std::string _server_first;
};

}  // namespace

bool secrets_equal(std::string_view a, std::string_view b) {
  const auto ha =
      scram_hash(scram_mechanism::sha256, {reinterpret_cast<const uint8_t*>(a.data()), a.size()});
  const auto hb =
      scram_hash(scram_mechanism::sha256, {reinterpret_cast<const uint8_t*>(b.data()), b.size()});
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

std::unique_ptr<sasl_mechanism_server> make_sasl_server(std::string_view mechanism,
                                                        const sasl_settings& settings) {
  if (mechanism == "PLAIN") return std::make_unique<plain_server>(settings);
  if (auto m = parse_scram_mechanism(mechanism)) {
    return std::make_unique<scram_server>(*m, std::string(mechanism), settings);
  }
  return nullptr;
}

}  // namespace vltava::security
