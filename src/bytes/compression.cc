#include "bytes/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <memory>

#include "base/assert.h"
#include "bytes/endian.h"

namespace vltava::bytes {
namespace {

using bytes_result = result<std::vector<std::byte>, compression_error>;

// The LZ4 frame format and XXH32 read little-endian words.
uint32_t load_le32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
  return v;
}

// Decompression output grows geometrically up to one byte past the caller's bound: producing
// that extra byte proves the bound is exceeded without a codec-specific "is there more?" probe.
class bounded_output {
 public:
  // `expected`: the size the stream declares, if it does (checked against the bound first).
  bounded_output(size_t max_bytes, size_t input_bytes, std::optional<size_t> expected = {})
      : _max(max_bytes), _cap(max_bytes == SIZE_MAX ? SIZE_MAX : max_bytes + 1) {
    const size_t guess = std::clamp<size_t>(input_bytes * 4, 4096, size_t{1} << 20);
    // One byte more than declared, so that a stream lying about its size is still caught.
    const size_t want = expected ? std::max<size_t>(*expected, 4095) + 1 : guess;
    _buf.resize(std::min(_cap, want));
  }
  std::byte* free_begin() { return _buf.data() + _used; }
  size_t free_bytes() const { return _buf.size() - _used; }
  // Makes room for more output; false when the buffer already holds the bound plus one.
  bool grow() {
    if (_buf.size() >= _cap) return false;
    const size_t doubled = _buf.size() > _cap / 2 ? _cap : _buf.size() * 2;
    _buf.resize(std::max<size_t>(doubled, 1));
    return true;
  }
  // Records `n` bytes written at free_begin(); false if the output now exceeds the bound.
  bool commit(size_t n) {
    VLTAVA_ASSERT(n <= free_bytes(), "codec wrote past the output buffer");
    _used += n;
    return _used <= _max;
  }
  // Makes sure `n` more bytes fit; false if that would exceed the bound.
  bool reserve_exact(size_t n) {
    if (n > _max - _used) return false;
    if (free_bytes() < n) _buf.resize(_used + n);
    return true;
  }
  std::vector<std::byte> take() && {
    _buf.resize(_used);
    return std::move(_buf);
  }

 private:
  std::vector<std::byte> _buf;
  size_t _used = 0;
  size_t _max;
  size_t _cap;
};

const char* as_chars(const std::byte* p) {
  return reinterpret_cast<const char*>(p);
}
char* as_chars(std::byte* p) {
  return reinterpret_cast<char*>(p);
}

// ---- gzip -------------------------------------------------------------------------------------

// zlib counts in uInt; feed it at most this much per call.
constexpr size_t zlib_chunk_max = UINT_MAX;

bytes_result gzip_compress(std::span<const std::byte> in, std::optional<int> level) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper (RFC 1952), which Kafka's GZIPInputStream reads.
  if (deflateInit2(&zs, level.value_or(Z_DEFAULT_COMPRESSION), Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return fail(compression_error::library_failure);
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, deflateEnd);
  std::vector<std::byte> out(deflateBound(&zs, static_cast<uLong>(in.size())));
  size_t in_pos = 0;
  size_t out_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    const size_t in_chunk = std::min(in.size() - in_pos, zlib_chunk_max);
    const size_t out_chunk = std::min(out.size() - out_pos, zlib_chunk_max);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const bool last = in_pos + in_chunk == in.size();
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return fail(compression_error::library_failure);
    }
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
  }
  out.resize(out_pos);
  return out;
}

// The gzip trailer's ISIZE (uncompressed size mod 2^32, of the last member only) as a first
// allocation, when it is plausible: deflate expands at most about 1032:1.
std::optional<size_t> gzip_size_hint(std::span<const std::byte> in, size_t max_bytes) {
  constexpr size_t min_member = 18;  // 10-byte header, empty deflate data, 8-byte trailer
  constexpr size_t max_ratio = 1032;
  if (in.size() < min_member) return std::nullopt;
  const size_t isize = load_le32(in.data() + in.size() - 4);
  if (isize > max_bytes || isize / max_ratio > in.size()) return std::nullopt;
  return isize;
}

bytes_result gzip_decompress(std::span<const std::byte> in, size_t max_bytes) {
  z_stream zs{};
  // gzip wrapper only, as Kafka's broker and Java client accept; raw zlib streams are refused.
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return fail(compression_error::library_failure);
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  bounded_output out(max_bytes, in.size(), gzip_size_hint(in, max_bytes));
  size_t in_pos = 0;
  while (true) {
    if (out.free_bytes() == 0 && !out.grow()) return fail(compression_error::output_too_large);
    const size_t in_chunk = std::min(in.size() - in_pos, zlib_chunk_max);
    const size_t out_chunk = std::min(out.free_bytes(), zlib_chunk_max);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.free_begin());
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t consumed = in_chunk - zs.avail_in;
    in_pos += consumed;
    if (!out.commit(out_chunk - zs.avail_out)) return fail(compression_error::output_too_large);
    switch (rc) {
      case Z_STREAM_END:
        if (in_pos == in.size()) return std::move(out).take();
        // Another gzip member follows (GZIPInputStream reads concatenated members too).
        if (inflateReset(&zs) != Z_OK) return fail(compression_error::library_failure);
        break;
      case Z_OK:
        break;
      case Z_BUF_ERROR:
        // No progress possible: either the output is full (grow and retry) or input ran out.
        if (zs.avail_out != 0 && in_pos == in.size()) return fail(compression_error::truncated);
        break;
      case Z_MEM_ERROR:
        return fail(compression_error::library_failure);
      default:  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
        return fail(compression_error::corrupt);
    }
  }
}

// ---- snappy -----------------------------------------------------------------------------------

void append_raw_snappy(std::vector<std::byte>& out, std::span<const std::byte> in) {
  const size_t at = out.size();
  out.resize(at + snappy::MaxCompressedLength(in.size()));
  size_t written = 0;
  snappy::RawCompress(as_chars(in.data()), in.size(), as_chars(out.data() + at), &written);
  out.resize(at + written);
}

bytes_result snappy_compress(std::span<const std::byte> in, snappy_framing framing) {
  std::vector<std::byte> out;
  if (framing == snappy_framing::raw) {
    append_raw_snappy(out, in);
    return out;
  }
  out.resize(xerial_header_size);
  std::memcpy(out.data(), xerial_magic, sizeof(xerial_magic));
  store_be<int32_t>(out.data() + 8, xerial_version);
  store_be<int32_t>(out.data() + 12, xerial_compatible_version);
  // Always at least one chunk: librdkafka takes a bare 16-byte header for raw snappy.
  size_t pos = 0;
  do {
    const size_t n = std::min(in.size() - pos, xerial_block_size);
    const size_t len_at = out.size();
    out.resize(len_at + 4);
    append_raw_snappy(out, in.subspan(pos, n));
    store_be<int32_t>(out.data() + len_at, static_cast<int32_t>(out.size() - len_at - 4));
    pos += n;
  } while (pos < in.size());
  return out;
}

// Uncompresses one raw snappy block onto the end of `out`.
result<void, compression_error> raw_snappy_into(std::span<const std::byte> in,
                                                bounded_output& out) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(as_chars(in.data()), in.size(), &n)) {
    return fail(compression_error::corrupt);
  }
  if (!out.reserve_exact(n)) return fail(compression_error::output_too_large);
  if (!snappy::RawUncompress(as_chars(in.data()), in.size(), as_chars(out.free_begin()))) {
    return fail(compression_error::corrupt);
  }
  VLTAVA_ASSERT(out.commit(n), "snappy output was reserved within the bound");
  return {};
}

bool is_xerial(std::span<const std::byte> in) {
  return in.size() >= xerial_header_size &&
         std::memcmp(in.data(), xerial_magic, sizeof(xerial_magic)) == 0;
}

bytes_result snappy_decompress(std::span<const std::byte> in, size_t max_bytes) {
  // Start empty: reserve_exact sizes the buffer from each block's declared length.
  bounded_output out(max_bytes, 0);
  if (!is_xerial(in)) {
    if (auto r = raw_snappy_into(in, out); !r) return fail(r.error());
    return std::move(out).take();
  }
  // The version fields are not checked: every reader in the ecosystem ignores them.
  size_t pos = xerial_header_size;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return fail(compression_error::truncated);
    const int32_t len = load_be<int32_t>(in.data() + pos);
    pos += 4;
    if (len < 0) return fail(compression_error::corrupt);
    if (static_cast<size_t>(len) > in.size() - pos) return fail(compression_error::truncated);
    if (auto r = raw_snappy_into(in.subspan(pos, static_cast<size_t>(len)), out); !r) {
      return fail(r.error());
    }
    pos += static_cast<size_t>(len);
  }
  return std::move(out).take();
}

// ---- lz4 --------------------------------------------------------------------------------------

bytes_result lz4_compress(std::span<const std::byte> in, std::optional<int> level) {
  LZ4F_preferences_t prefs{};
  // What Kafka's Java producer writes: 64 KiB independent blocks, no checksums, no size.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.compressionLevel = level.value_or(0);
  std::vector<std::byte> out(LZ4F_compressFrameBound(in.size(), &prefs));
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) return fail(compression_error::library_failure);
  out.resize(n);
  return out;
}

// Rewrites the header checksum byte of an LZ4 frame written with Kafka v0's broken checksum
// (which hashed the magic number too) so that liblz4 accepts it.
result<std::vector<std::byte>, compression_error> fix_kafka_v0_lz4_header(
    std::span<const std::byte> in) {
  constexpr size_t flg_at = 4;
  if (in.size() < flg_at + 3) return fail(compression_error::truncated);
  const auto flg = static_cast<uint8_t>(in[flg_at]);
  const size_t descriptor = 2 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0);
  const size_t hc_at = flg_at + descriptor;
  if (in.size() <= hc_at) return fail(compression_error::truncated);
  std::vector<std::byte> copy(in.begin(), in.end());
  const uint32_t h = xxhash32(in.subspan(flg_at, descriptor), 0);
  copy[hc_at] = static_cast<std::byte>((h >> 8) & 0xFF);
  return copy;
}

bytes_result lz4_decompress(std::span<const std::byte> in, size_t max_bytes,
                            lz4_header_checksum checksum) {
  if (in.size() < 4) return fail(compression_error::truncated);
  if (load_le32(in.data()) != lz4_frame_magic) return fail(compression_error::corrupt);
  std::vector<std::byte> fixed;
  if (checksum == lz4_header_checksum::kafka_v0_broken) {
    auto f = fix_kafka_v0_lz4_header(in);
    if (!f) return fail(f.error());
    fixed = std::move(*f);
    in = fixed;
  }
  LZ4F_dctx* raw_ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw_ctx, LZ4F_VERSION))) {
    return fail(compression_error::library_failure);
  }
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> ctx(raw_ctx,
                                                                   LZ4F_freeDecompressionContext);
  bounded_output out(max_bytes, in.size());
  size_t pos = 0;
  while (true) {
    if (out.free_bytes() == 0 && !out.grow()) return fail(compression_error::output_too_large);
    size_t dst = out.free_bytes();
    size_t src = in.size() - pos;
    const size_t hint =
        LZ4F_decompress(ctx.get(), out.free_begin(), &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) return fail(compression_error::corrupt);
    pos += src;
    if (!out.commit(dst)) return fail(compression_error::output_too_large);
    if (hint == 0) {
      // A frame ended; another may follow (the context starts over by itself).
      if (pos == in.size()) return std::move(out).take();
      continue;
    }
    if (pos == in.size() && src == 0 && dst == 0 && out.free_bytes() > 0) {
      return fail(compression_error::truncated);
    }
  }
}

// ---- zstd -------------------------------------------------------------------------------------

bytes_result zstd_compress(std::span<const std::byte> in, std::optional<int> level) {
  std::vector<std::byte> out(ZSTD_compressBound(in.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(),
                                 level.value_or(ZSTD_CLEVEL_DEFAULT));
  if (ZSTD_isError(n)) return fail(compression_error::library_failure);
  out.resize(n);
  return out;
}

// The decoder allocates up to its window size. Allow the 8 MiB window of level-19 streaming
// producers, more only when the bound itself is larger, never zstd's 2 GiB maximum.
int zstd_window_log_max(size_t max_bytes) {
  const int needed = max_bytes <= 1 ? 1 : static_cast<int>(std::bit_width(max_bytes - 1));
  return std::clamp(needed, 23, 27);
}

bytes_result zstd_decompress(std::span<const std::byte> in, size_t max_bytes) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return fail(compression_error::library_failure);
  if (ZSTD_isError(
          ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, zstd_window_log_max(max_bytes)))) {
    return fail(compression_error::library_failure);
  }
  // Frames written in one shot (librdkafka, Vltava) declare their size: allocate it once, which
  // also lets the decoder write straight into the output instead of through its window.
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  const bool known = declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR;
  if (known && declared > max_bytes) return fail(compression_error::output_too_large);
  bounded_output out(max_bytes, in.size(), known ? std::optional<size_t>(declared) : std::nullopt);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  while (true) {
    if (out.free_bytes() == 0 && !out.grow()) return fail(compression_error::output_too_large);
    ZSTD_outBuffer dst{out.free_begin(), out.free_bytes(), 0};
    const size_t hint = ZSTD_decompressStream(ctx.get(), &dst, &src);
    if (ZSTD_isError(hint)) {
      return fail(ZSTD_getErrorCode(hint) == ZSTD_error_memory_allocation
                      ? compression_error::library_failure
                      : compression_error::corrupt);
    }
    if (!out.commit(dst.pos)) return fail(compression_error::output_too_large);
    if (hint == 0) {
      // A frame ended and is fully flushed; another may follow.
      if (src.pos == src.size) return std::move(out).take();
      continue;
    }
    // All input given, room left, and the decoder still wants more: the frame is cut short.
    if (src.pos == src.size && dst.pos < dst.size) return fail(compression_error::truncated);
  }
}

}  // namespace

std::string_view describe(compression_error e) {
  switch (e) {
    case compression_error::corrupt:
      return "compressed data is corrupt";
    case compression_error::truncated:
      return "compressed data is truncated";
    case compression_error::output_too_large:
      return "decompressed data exceeds the size limit";
    case compression_error::unknown_codec:
      return "unknown compression codec";
    case compression_error::library_failure:
      return "compression library failure";
  }
  return "unknown compression error";
}

result<std::vector<std::byte>, compression_error> compress(codec c,
                                                           std::span<const std::byte> input,
                                                           const compress_options& opts) {
  switch (c) {
    case codec::none:
      return std::vector<std::byte>(input.begin(), input.end());
    case codec::gzip:
      return gzip_compress(input, opts.level);
    case codec::snappy:
      return snappy_compress(input, opts.snappy);
    case codec::lz4:
      return lz4_compress(input, opts.level);
    case codec::zstd:
      return zstd_compress(input, opts.level);
  }
  return fail(compression_error::unknown_codec);
}

result<std::vector<std::byte>, compression_error> decompress(codec c,
                                                             std::span<const std::byte> input,
                                                             size_t max_output_bytes,
                                                             const decompress_options& opts) {
  switch (c) {
    case codec::none:
      if (input.size() > max_output_bytes) return fail(compression_error::output_too_large);
      return std::vector<std::byte>(input.begin(), input.end());
    case codec::gzip:
      return gzip_decompress(input, max_output_bytes);
    case codec::snappy:
      return snappy_decompress(input, max_output_bytes);
    case codec::lz4:
      return lz4_decompress(input, max_output_bytes, opts.lz4);
    case codec::zstd:
      return zstd_decompress(input, max_output_bytes);
  }
  return fail(compression_error::unknown_codec);
}

uint32_t xxhash32(std::span<const std::byte> data, uint32_t seed) {
  constexpr uint32_t p1 = 0x9E3779B1U;
  constexpr uint32_t p2 = 0x85EBCA77U;
  constexpr uint32_t p3 = 0xC2B2AE3DU;
  constexpr uint32_t p4 = 0x27D4EB2FU;
  constexpr uint32_t p5 = 0x165667B1U;
  const std::byte* p = data.data();
  size_t left = data.size();
  auto round = [](uint32_t acc, uint32_t lane) { return std::rotl(acc + lane * p2, 13) * p1; };
  uint32_t h;
  if (left >= 16) {
    uint32_t v1 = seed + p1 + p2;
    uint32_t v2 = seed + p2;
    uint32_t v3 = seed;
    uint32_t v4 = seed - p1;
    for (; left >= 16; left -= 16, p += 16) {
      v1 = round(v1, load_le32(p));
      v2 = round(v2, load_le32(p + 4));
      v3 = round(v3, load_le32(p + 8));
      v4 = round(v4, load_le32(p + 12));
    }
    h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
  } else {
    h = seed + p5;
  }
  h += static_cast<uint32_t>(data.size());
  for (; left >= 4; left -= 4, p += 4) h = std::rotl(h + load_le32(p) * p3, 17) * p4;
  for (; left > 0; --left, ++p) h = std::rotl(h + static_cast<uint8_t>(*p) * p5, 11) * p1;
  h ^= h >> 15;
  h *= p2;
  h ^= h >> 13;
  h *= p3;
  h ^= h >> 16;
  return h;
}

}  // namespace vltava::bytes
