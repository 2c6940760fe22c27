#include "bytes/varint.h"

#include <gtest/gtest.h>

#include <array>
#include <limits>

namespace vltava::bytes {
namespace {

TEST(Varint, ZigzagKnownValues) {
  EXPECT_EQ(zigzag_encode32(0), 0u);
  EXPECT_EQ(zigzag_encode32(-1), 1u);
  EXPECT_EQ(zigzag_encode32(1), 2u);
  EXPECT_EQ(zigzag_encode32(-2), 3u);
  EXPECT_EQ(zigzag_encode32(std::numeric_limits<int32_t>::min()), 0xFFFFFFFFu);
  EXPECT_EQ(zigzag_decode64(zigzag_encode64(std::numeric_limits<int64_t>::min())),
            std::numeric_limits<int64_t>::min());
}

TEST(Varint, RoundTrip64) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64}, int64_t{300},
                    std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    std::array<std::byte, varint64_max_bytes> buf{};
    size_t n = put_uvarint(buf.data(), zigzag_encode64(v));
    EXPECT_EQ(n, uvarint_size(zigzag_encode64(v)));
    auto d = get_varint64(std::span(buf).first(n));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->value, v);
    EXPECT_EQ(d->size, n);
  }
}

TEST(Varint, RejectsTruncated) {
  std::array<std::byte, 2> buf{std::byte{0x80}, std::byte{0x80}};
  EXPECT_FALSE(get_uvarint32(buf));
  EXPECT_FALSE(get_uvarint32({}));
}

TEST(Varint, RejectsOverlong32) {
  // Six bytes is one more than any 32-bit value needs.
  std::array<std::byte, 6> buf{std::byte{0x80}, std::byte{0x80}, std::byte{0x80},
                               std::byte{0x80}, std::byte{0x80}, std::byte{0x01}};
  EXPECT_FALSE(get_uvarint32(buf));
  // Fifth byte with bits beyond 32.
  std::array<std::byte, 5> wide{std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF},
                                std::byte{0x1F}};
  EXPECT_FALSE(get_uvarint32(wide));
  std::array<std::byte, 5> max{std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF},
                               std::byte{0x0F}};
  auto d = get_uvarint32(max);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, 0xFFFFFFFFu);
}

}  // namespace
}  // namespace vltava::bytes
