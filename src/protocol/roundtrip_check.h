#pragma once

// Test support for the generated round-trip tests (<stem>_roundtrip.cc in the build directory):
// encode a filled message, decode it, compare, re-encode byte-identically, and check that every
// truncation of the encoding fails to decode cleanly. Test code only; not linked into the broker.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "protocol/reader.h"
#include "protocol/wire.h"
#include "protocol/writer.h"

namespace vltava::protocol::testing {

struct roundtrip_case {
  const char* name;
  std::string (*run)();  // returns "" or the failures, one per line
};

// Every API and message of the schema directory (generated roundtrip_registry.cc).
const std::vector<roundtrip_case>& roundtrip_cases();

// A value of a field's type from a small integer (plain ints, enums, strong types).
template <typename T>
T make(int64_t v) {
  return T(static_cast<wire_t<T>>(v));
}

// Bytes standing in for a record batch in `records` fields.
inline std::span<const std::byte> sample_records() {
  static const std::byte bytes[] = {std::byte{0}, std::byte{1}, std::byte{2}, std::byte{0xFF}};
  return bytes;
}

template <typename M>
std::string check_roundtrip(const M& m, const char* what, int16_t version, int variant) {
  auto where = [&](const std::string& msg) {
    return std::string(what) + " v" + std::to_string(version) + " variant " +
           std::to_string(variant) + ": " + msg + "\n";
  };
  writer w;
  m.encode(w, version);
  const std::vector<std::byte>& bytes = w.buffer();
  reader r(bytes);
  M decoded;
  auto res = decoded.decode(r, version);
  if (!res) return where("decode failed: " + res.error().to_string());
  if (!r.empty()) return where("decode left " + std::to_string(r.remaining()) + " bytes");
  if (!(decoded == m)) return where("decoded message differs from the original");
  writer w2;
  decoded.encode(w2, version);
  if (w2.buffer() != bytes) return where("re-encoding differs from the first encoding");
  // Every strict prefix must fail (and, under ASan, without reading past its end).
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
    reader pr(prefix);
    M partial;
    if (partial.decode(pr, version)) {
      return where("a prefix of " + std::to_string(cut) + " of " + std::to_string(bytes.size()) +
                   " bytes decoded");
    }
  }
  return "";
}

}  // namespace vltava::protocol::testing
