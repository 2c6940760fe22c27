// libFuzzer target: RecordBatch v2 parsing from the header down to the last header of the last
// record, through every codec with a bounded output, plus the legacy v0/v1 message set decoder.
// Nothing here may crash, hang, leak or read out of bounds; errors are values.
//
// Random bytes almost never carry a valid CRC32C, so besides checking the input as it is, the
// target re-seals a copy with the right CRC to reach the record parser.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/assert.h"
#include "bytes/compression.h"
#include "bytes/endian.h"
#include "model/legacy_message.h"
#include "model/record.h"
#include "model/record_batch_header.h"

namespace {

using namespace vltava;

// Small enough to keep runs fast, large enough for every seed.
constexpr size_t max_uncompressed_bytes = 256 * 1024;

void read_all_records(std::span<const std::byte> batch, const model::record_batch_header& h) {
  auto section = model::batch_records(batch, h, max_uncompressed_bytes);
  if (!section) return;
  model::record_view view(section->bytes(), h.record_count);
  size_t bytes_seen = 0;
  while (true) {
    auto r = view.next();
    if (!r || !*r) break;
    const model::record& rec = **r;
    bytes_seen += rec.size_bytes;
    VLTAVA_ASSERT(bytes_seen <= section->bytes().size(), "records overran their section");
    (void)model::record_timestamp(h, rec);
    if (h.is_control()) {
      (void)model::parse_control_key(rec);
      (void)model::parse_end_txn_marker(rec);
    }
    if (view.records_read() == h.record_count) {
      auto end = view.next();
      if (end) {
        VLTAVA_ASSERT(bytes_seen == section->bytes().size(), "a clean end uses every byte");
      }
      break;
    }
  }
}

void fuzz_batch(std::span<const std::byte> data) {
  // As given (the CRC decides).
  if (auto h = model::validate_batch(data)) read_all_records(data, *h);

  // Re-sealed: the first batch's bytes with the CRC it should have.
  auto h = model::parse_header(data);
  if (!h || h->size_bytes() > data.size()) return;
  std::vector<std::byte> copy(data.begin(), data.begin() + static_cast<ptrdiff_t>(h->size_bytes()));
  bytes::store_be<uint32_t>(copy.data() + model::batch_layout::crc, model::compute_crc(copy));
  auto sealed = model::validate_batch(copy);
  VLTAVA_ASSERT(sealed.has_value(), "a re-sealed batch validates");
  read_all_records(copy, *sealed);
}

void fuzz_legacy(std::span<const std::byte> data) {
  auto set = model::decode_message_set(
      data, {.max_uncompressed_bytes = max_uncompressed_bytes, .max_messages = 10'000});
  if (!set) return;
  for (const auto& m : set->messages) VLTAVA_ASSERT(m.magic == 0 || m.magic == 1, "legacy magic");
}

void fuzz_codecs(std::span<const std::byte> data) {
  for (auto c : {bytes::codec::gzip, bytes::codec::snappy, bytes::codec::lz4, bytes::codec::zstd}) {
    auto out = bytes::decompress(c, data, max_uncompressed_bytes);
    if (out) VLTAVA_ASSERT(out->size() <= max_uncompressed_bytes, "decompress bound held");
  }
  auto v0 = bytes::decompress(bytes::codec::lz4, data, max_uncompressed_bytes,
                              {.lz4 = bytes::lz4_header_checksum::kafka_v0_broken});
  if (v0) VLTAVA_ASSERT(v0->size() <= max_uncompressed_bytes, "decompress bound held");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  fuzz_batch(in);
  fuzz_legacy(in);
  // The records section of a batch is where compressed bytes live.
  if (in.size() > model::batch_layout::header_size) {
    fuzz_codecs(in.subspan(model::batch_layout::header_size));
  } else {
    fuzz_codecs(in);
  }
  return 0;
}
