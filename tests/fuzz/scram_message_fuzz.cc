// libFuzzer target: what a SASL client sends before it has authenticated. The input is cut at
// its first NUL byte: the first part goes through the SCRAM client-first parser, the rest
// through the client-final parser, and both, as tokens, through a SCRAM-SHA-256 server
// exchange for a known user and through the PLAIN server (the whole input). Nothing may crash,
// leak or read out of bounds; a parse that succeeds must describe its input exactly.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "security/credential_store.h"
#include "security/sasl_server.h"
#include "security/scram.h"

namespace {

using namespace vltava::security;

void check(bool ok) {
  if (!ok) std::abort();
}

const sasl_settings& settings() {
  static const sasl_settings s = [] {
    sasl_settings out;
    out.mechanisms = {"PLAIN", "SCRAM-SHA-256"};
    out.plain_users = {{"alice", "alice-secret"}};
    auto store = std::make_shared<memory_credential_store>();
    // Few iterations keep each input fast; the server does not care how many.
    store->put(scram_mechanism::sha256, "user",
               make_scram_credential(scram_mechanism::sha256, "pencil", {1, 2, 3, 4}, 16));
    out.credentials = store;
    return out;
  }();
  return s;
}

std::span<const std::byte> bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view first = input.substr(0, nul);
  const std::string_view second = nul == std::string_view::npos ? "" : input.substr(nul + 1);

  if (auto m = parse_scram_client_first(first)) {
    check(m->gs2_header + m->bare == first);
    check(!m->username.empty() && !m->nonce.empty());
  }
  if (auto m = parse_scram_client_final(second)) {
    check(second.starts_with(m->without_proof));
    check(!m->proof.empty());
  }
  auto scram = make_sasl_server("SCRAM-SHA-256", settings());
  if (scram->step(bytes(first)).result == sasl_step::outcome::more) {
    check(scram->step(bytes(second)).result != sasl_step::outcome::more);
  }
  auto plain = make_sasl_server("PLAIN", settings());
  check(plain->step(bytes(input)).result != sasl_step::outcome::more);
  return 0;
}
