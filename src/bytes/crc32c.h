#pragma once

// CRC32C (Castagnoli), the checksum of Kafka's RecordBatch v2, computed by ISA-L (Debian's
// libisal), which uses the CPU's crc32 and carry-less multiply instructions when present.

#include <cstddef>
#include <cstdint>
#include <span>

namespace vltava::bytes {

// Extends `crc` (the value returned for the bytes before `data`; 0 to start) over `data`.
uint32_t crc32c_extend(uint32_t crc, std::span<const std::byte> data);

inline uint32_t crc32c(std::span<const std::byte> data) {
  return crc32c_extend(0, data);
}

}  // namespace vltava::bytes
