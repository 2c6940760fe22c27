#include "bytes/crc32c.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace vltava::bytes {
namespace {

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) check value and test vectors.
  EXPECT_EQ(crc32c(as_bytes("123456789")), 0xE3069283u);
  std::vector<std::byte> zeros(32, std::byte{0});
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  std::vector<std::byte> ones(32, std::byte{0xFF});
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c({}), 0u);
}

TEST(Crc32c, ExtendEqualsWhole) {
  std::string s(1000, 'x');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7 + 3);
  auto all = as_bytes(s);
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    uint32_t part = crc32c_extend(crc32c(all.first(cut)), all.subspan(cut));
    EXPECT_EQ(part, crc32c(all)) << "cut at " << cut;
  }
}

// Bit by bit from the polynomial: the reference the fast kernels (which switch strategy with the
// length and alignment) must agree with.
uint32_t crc32c_bitwise(std::span<const std::byte> data) {
  uint32_t c = ~0u;
  for (std::byte b : data) {
    c ^= static_cast<uint8_t>(b);
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

TEST(Crc32c, AgreesWithTheBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::vector<std::byte> data(70000);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::byte>(x >> 24);
  }
  const std::span<const std::byte> all(data);
  for (size_t start : {0u, 1u, 3u, 8u}) {
    for (size_t len : {1u, 15u, 16u, 63u, 64u, 255u, 256u, 257u, 1023u, 4096u, 16384u, 65537u}) {
      auto s = all.subspan(start, len);
      EXPECT_EQ(crc32c(s), crc32c_bitwise(s)) << "start " << start << " length " << len;
    }
  }
}

}  // namespace
}  // namespace vltava::bytes
