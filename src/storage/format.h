#pragma once

// On-disk names and layouts of a partition directory, shared by the writer and the reader.
// Documents: docs/formats/log-segment.md, offset-index.md, time-index.md,
// partition-checkpoint.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/fundamental.h"

namespace vltava::storage::format {

inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";
// No .txnindex: aborted ranges live in the producer state's .snapshot (storage/README.md).
inline constexpr std::string_view snapshot_suffix = ".snapshot";
// Transient suffixes: files being deleted, compaction output, compaction swap-in.
inline constexpr std::string_view deleted_suffix = ".deleted";
inline constexpr std::string_view cleaned_suffix = ".cleaned";
inline constexpr std::string_view swap_suffix = ".swap";

inline constexpr std::string_view checkpoint_name = "partition.checkpoint";
inline constexpr std::string_view clean_shutdown_name = ".clean_shutdown";

// Segment files are named by their base offset, zero-padded to 20 digits so `ls` sorts them.
inline constexpr size_t name_digits = 20;
std::string segment_name(model::offset base);  // "00000000000000000042" (no suffix)
// Parses "<20 digits><suffix>" and returns the base offset, or nullopt for other names.
std::optional<model::offset> parse_segment_name(std::string_view name, std::string_view suffix);

// .index entry: relative offset (int32 BE) then position in the .log (uint32 BE).
inline constexpr size_t offset_entry_size = 8;
// .timeindex entry: timestamp (int64 BE) then relative offset (int32 BE).
inline constexpr size_t time_entry_size = 12;

// partition.checkpoint: magic, version, recovery point, log start offset, CRC32C of the rest.
inline constexpr uint32_t checkpoint_magic = 0x564c434b;  // "VLCK"
inline constexpr uint16_t checkpoint_version = 1;
inline constexpr size_t checkpoint_size = 4 + 2 + 8 + 8 + 4;
static_assert(checkpoint_size == 26);

}  // namespace vltava::storage::format
