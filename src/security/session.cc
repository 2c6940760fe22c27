#include "security/session.h"

#include <algorithm>

namespace vltava::security {

session::session(std::shared_ptr<const listener_security> listener)
    : _listener(std::move(listener)) {}

result<void, std::string> session::on_tls_established(X509* peer_certificate) {
  if (peer_certificate != nullptr) {
    const std::string subject = subject_of(peer_certificate);
    auto name = _listener->principals.map(subject);
    if (!name) return fail("no ssl.principal.mapping.rules rule applies to '" + subject + "'");
    _principal = "User:" + *name;
  }
  _authenticated = !uses_sasl(_listener->protocol);
  return {};
}

bool session::begin_sasl(std::string_view mechanism, int16_t handshake_version) {
  const auto& enabled = _listener->sasl.mechanisms;
  if (std::find(enabled.begin(), enabled.end(), mechanism) == enabled.end()) return false;
  _sasl = make_sasl_server(mechanism, _listener->sasl);
  if (!_sasl) return false;
  _stage = handshake_version == 0 ? sasl_stage::raw_tokens : sasl_stage::kafka_requests;
  return true;
}

sasl_step session::sasl_token(std::span<const std::byte> token) {
  sasl_step step = _sasl ? _sasl->step(token) : sasl_step{};
  if (step.result == sasl_step::outcome::failed) {
    _stage = sasl_stage::failed;
    if (step.error.empty()) step.error = "Unexpected SASL token";
  } else if (step.result == sasl_step::outcome::done) {
    _stage = sasl_stage::done;
    _authenticated = true;
    _principal = "User:" + step.username;
  }
  if (_stage != sasl_stage::raw_tokens && _stage != sasl_stage::kafka_requests) _sasl.reset();
  return step;
}

size_t session::max_frame_bytes_before_authentication() const {
  return static_cast<size_t>(_listener->sasl.max_receive_bytes);
}

}  // namespace vltava::security
