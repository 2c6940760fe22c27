#include "bytes/compression.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bytes/endian.h"

namespace vltava::bytes {
namespace {

constexpr size_t mib = 1024 * 1024;
const codec all_codecs[] = {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd};
const codec real_codecs[] = {codec::gzip, codec::snappy, codec::lz4, codec::zstd};

std::string name(codec c) {
  switch (c) {
    case codec::none:
      return "none";
    case codec::gzip:
      return "gzip";
    case codec::snappy:
      return "snappy";
    case codec::lz4:
      return "lz4";
    case codec::zstd:
      return "zstd";
  }
  return "?";
}

std::vector<std::byte> as_bytes(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

// Half text-like (compressible), half random (not), so every codec emits both kinds of blocks.
std::vector<std::byte> sample(size_t n, uint32_t seed = 1) {
  std::vector<std::byte> v(n);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < n; ++i) {
    v[i] = i < n / 2 ? static_cast<std::byte>("kafka record "[i % 13])
                     : static_cast<std::byte>(rng() & 0xFF);
  }
  return v;
}

std::vector<std::byte> must_compress(codec c, std::span<const std::byte> in,
                                     const compress_options& o = {}) {
  auto r = compress(c, in, o);
  EXPECT_TRUE(r) << name(c);
  return r ? std::move(*r) : std::vector<std::byte>{};
}

TEST(Compression, RoundTripEveryCodecAndSize) {
  for (codec c : all_codecs) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{70'000}, mib}) {
      auto in = sample(n);
      auto z = must_compress(c, in);
      auto out = decompress(c, z, n);
      ASSERT_TRUE(out) << name(c) << " n=" << n << ": " << describe(out.error());
      EXPECT_EQ(*out, in) << name(c) << " n=" << n;
    }
  }
}

TEST(Compression, CompressesRepetitiveInput) {
  std::vector<std::byte> in(mib, std::byte{'x'});
  for (codec c : real_codecs) {
    auto z = must_compress(c, in);
    EXPECT_LT(z.size(), in.size() / 20) << name(c);
  }
}

TEST(Compression, LevelsRoundTrip) {
  auto in = sample(200'000);
  for (codec c : {codec::gzip, codec::lz4, codec::zstd}) {
    for (int level : {1, 9}) {
      auto z = must_compress(c, in, {.level = level});
      auto out = decompress(c, z, in.size());
      ASSERT_TRUE(out) << name(c) << " level " << level;
      EXPECT_EQ(*out, in);
    }
  }
}

TEST(Compression, OutputBoundIsEnforced) {
  // A 64 MiB run of zeros compresses to a few KiB: a zip bomb for a 1 MiB bound.
  std::vector<std::byte> bomb(64 * mib, std::byte{0});
  for (codec c : all_codecs) {
    auto z = must_compress(c, bomb);
    auto out = decompress(c, z, mib);
    ASSERT_FALSE(out) << name(c);
    EXPECT_EQ(out.error(), compression_error::output_too_large) << name(c);
  }
}

TEST(Compression, OutputExactlyAtBoundIsAccepted) {
  for (codec c : all_codecs) {
    for (size_t n : {size_t{0}, size_t{4096}, size_t{100'000}}) {
      auto in = sample(n, 7);
      auto z = must_compress(c, in);
      auto at = decompress(c, z, n);
      ASSERT_TRUE(at) << name(c) << " n=" << n;
      EXPECT_EQ(*at, in);
      if (n > 0) {
        auto below = decompress(c, z, n - 1);
        ASSERT_FALSE(below) << name(c) << " n=" << n;
        EXPECT_EQ(below.error(), compression_error::output_too_large);
      }
    }
  }
}

TEST(Compression, TruncatedInputFailsCleanly) {
  auto in = sample(100'000);
  for (codec c : real_codecs) {
    auto z = must_compress(c, in);
    for (size_t keep : {size_t{0}, size_t{1}, size_t{5}, z.size() / 2, z.size() - 1}) {
      auto out = decompress(c, std::span(z).first(keep), 10 * mib);
      EXPECT_FALSE(out) << name(c) << " keep=" << keep;
    }
  }
}

TEST(Compression, CorruptInputFailsCleanly) {
  auto in = sample(100'000);
  for (codec c : real_codecs) {
    auto z = must_compress(c, in);
    std::mt19937 rng(42);
    int failures = 0;
    for (int trial = 0; trial < 200; ++trial) {
      auto bad = z;
      // Flip a few bytes anywhere; no codec may crash or overrun. Flips near the start hit
      // headers and entropy-coded data, which every codec notices at least sometimes
      // (raw/stored blocks carry no checksum of their own: the batch CRC covers them).
      bad[rng() % bad.size()] ^= std::byte{0x5A};
      bad[rng() % std::min<size_t>(bad.size(), 64)] ^= std::byte{0x5A};
      auto out = decompress(c, bad, 10 * mib);
      if (!out) ++failures;
      if (out) {
        EXPECT_LE(out->size(), 10 * mib);
      }
    }
    EXPECT_GT(failures, 0) << name(c);
  }
  // Garbage that does not even start like the codec's stream.
  auto junk = as_bytes("definitely not compressed data");
  for (codec c : real_codecs) EXPECT_FALSE(decompress(c, junk, mib)) << name(c);
}

TEST(Compression, GzipTrailingGarbageIsCorrupt) {
  auto z = must_compress(codec::gzip, sample(1000));
  z.push_back(std::byte{0x42});
  EXPECT_FALSE(decompress(codec::gzip, z, mib));
}

TEST(Compression, DeclaredSizesAreOnlyHints) {
  auto in = sample(10'000);
  // gzip's trailer ISIZE sizes the first allocation; a lie is caught by zlib's length check.
  auto gz = must_compress(codec::gzip, in);
  for (uint32_t lie : {0u, 5u, 10'001u, 0xFFFFFFFFu}) {
    auto bad = gz;
    std::memcpy(bad.data() + bad.size() - 4, &lie, 4);  // little-endian on x86
    EXPECT_FALSE(decompress(codec::gzip, bad, mib)) << lie;
  }
  // zstd's frame content size above the bound fails before decoding.
  auto zs = must_compress(codec::zstd, in);
  auto r = decompress(codec::zstd, zs, 9'999);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), compression_error::output_too_large);
}

TEST(Compression, ConcatenatedMembersAndFrames) {
  auto a = sample(5000, 1);
  auto b = sample(7000, 2);
  std::vector<std::byte> both(a);
  both.insert(both.end(), b.begin(), b.end());
  for (codec c : {codec::gzip, codec::lz4, codec::zstd}) {
    auto za = must_compress(c, a);
    auto zb = must_compress(c, b);
    za.insert(za.end(), zb.begin(), zb.end());
    auto out = decompress(c, za, mib);
    ASSERT_TRUE(out) << name(c);
    EXPECT_EQ(*out, both) << name(c);
  }
}

TEST(Compression, XerialFramingLayout) {
  auto in = sample(100'000);  // four 32 KiB blocks: 32+32+32+(100000-98304)
  auto z = must_compress(codec::snappy, in);
  ASSERT_GE(z.size(), xerial_header_size);
  const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(std::memcmp(z.data(), header, sizeof(header)), 0);
  size_t pos = xerial_header_size;
  int chunks = 0;
  while (pos < z.size()) {
    auto len = load_be<int32_t>(z.data() + pos);
    ASSERT_GT(len, 0);
    pos += 4 + static_cast<size_t>(len);
    ++chunks;
  }
  EXPECT_EQ(pos, z.size());
  EXPECT_EQ(chunks, 4);
}

TEST(Compression, SnappyReadsRawAndXerial) {
  auto in = sample(50'000);
  auto raw = must_compress(codec::snappy, in, {.snappy = snappy_framing::raw});
  EXPECT_NE(std::memcmp(raw.data(), xerial_magic, sizeof(xerial_magic)), 0);
  auto framed = must_compress(codec::snappy, in, {.snappy = snappy_framing::xerial});
  for (const auto& z : {raw, framed}) {
    auto out = decompress(codec::snappy, z, mib);
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, in);
  }
  // An empty input still gets one chunk, so readers that want header+chunk accept it.
  auto empty = must_compress(codec::snappy, {});
  EXPECT_GT(empty.size(), xerial_header_size + 4);
  // A bare header is an empty stream, as snappy-java reads it.
  auto bare = std::vector<std::byte>(framed.begin(), framed.begin() + xerial_header_size);
  auto out = decompress(codec::snappy, bare, mib);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->empty());
}

TEST(Compression, XerialChunkErrors) {
  auto framed = must_compress(codec::snappy, sample(1000));
  // A chunk length running past the end.
  auto longer = framed;
  store_be<int32_t>(longer.data() + xerial_header_size, 1 << 30);
  auto r = decompress(codec::snappy, longer, mib);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), compression_error::truncated);
  // A negative chunk length.
  auto negative = framed;
  store_be<int32_t>(negative.data() + xerial_header_size, -5);
  r = decompress(codec::snappy, negative, mib);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), compression_error::corrupt);
  // A dangling partial length.
  auto dangling = framed;
  dangling.push_back(std::byte{0});
  dangling.push_back(std::byte{0});
  r = decompress(codec::snappy, dangling, mib);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), compression_error::truncated);
}

TEST(Compression, Lz4FrameMatchesKafkaJavaProducer) {
  auto z = must_compress(codec::lz4, sample(1000));
  ASSERT_GE(z.size(), 7u);
  EXPECT_EQ(z[0], std::byte{0x04});  // magic 0x184D2204, little-endian
  EXPECT_EQ(z[1], std::byte{0x22});
  EXPECT_EQ(z[2], std::byte{0x4D});
  EXPECT_EQ(z[3], std::byte{0x18});
  EXPECT_EQ(z[4], std::byte{0x60});  // FLG: version 01, independent blocks, nothing else
  EXPECT_EQ(z[5], std::byte{0x40});  // BD: 64 KiB maximum block size
  const uint32_t h = xxhash32(std::span(z).subspan(4, 2), 0);
  EXPECT_EQ(z[6], static_cast<std::byte>((h >> 8) & 0xFF));
}

TEST(Compression, Lz4KafkaV0BrokenHeaderChecksum) {
  auto in = sample(3000);
  auto z = must_compress(codec::lz4, in);
  // Kafka 0.8-0.9 hashed magic+FLG+BD instead of FLG+BD.
  const uint32_t broken = xxhash32(std::span(z).first(6), 0);
  const auto broken_byte = static_cast<std::byte>((broken >> 8) & 0xFF);
  ASSERT_NE(z[6], broken_byte);  // true for this FLG/BD pair
  z[6] = broken_byte;
  EXPECT_FALSE(decompress(codec::lz4, z, mib));
  auto out = decompress(codec::lz4, z, mib, {.lz4 = lz4_header_checksum::kafka_v0_broken});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, in);
}

TEST(Compression, XxHash32KnownValues) {
  EXPECT_EQ(xxhash32({}, 0), 0x02CC5D05U);
  EXPECT_EQ(xxhash32(as_bytes("a"), 0), 0x550D7456U);
  EXPECT_EQ(xxhash32(as_bytes("abc"), 0), 0x32D153FFU);
  EXPECT_EQ(xxhash32(as_bytes("Nobody inspects the spammish repetition"), 0), 0xE2293B2FU);
}

TEST(Compression, UnknownCodec) {
  auto r = decompress(static_cast<codec>(5), as_bytes("x"), 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), compression_error::unknown_codec);
  EXPECT_FALSE(compress(static_cast<codec>(7), as_bytes("x")));
}

}  // namespace
}  // namespace vltava::bytes
