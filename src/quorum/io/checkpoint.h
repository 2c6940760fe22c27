#pragma once

// KRaft snapshots on disk in Kafka's checkpoint layout (docs/formats/metadata-snapshot.md): a
// file `<20-digit end offset>-<10-digit epoch>.checkpoint` in the metadata log's directory
// holding record batches: a SnapshotHeader control record (control type 3) first, the state as
// the same metadata records the log carries, a SnapshotFooter control record (type 4) last.
// Batch base offsets count from 0 within the file; every batch's partitionLeaderEpoch is the
// snapshot's epoch. The id {end offset, epoch} names the state up to (not including) the end
// offset, the last entry it covers having that epoch.
//
// A checkpoint is written whole to `<name>.part`, fdatasync'ed, renamed, and the directory
// fsync'ed: after a crash the file is whole or absent (a `.part` left over is deleted at open,
// as Kafka does). A reader checks every batch's CRC, the header first and the footer last, so a
// torn or corrupt file is refused rather than replayed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "quorum/log.h"
#include "storage/file_io.h"

namespace vltava::quorum {

inline constexpr std::string_view checkpoint_suffix = ".checkpoint";
inline constexpr std::string_view checkpoint_partial_suffix = ".checkpoint.part";
// A checkpoint larger than this is refused (the image of a very large cluster is far smaller).
inline constexpr uint64_t checkpoint_bytes_max = uint64_t{1} << 31;

std::string checkpoint_file_name(snapshot_id id);
// The id a checkpoint file name stands for; nullopt for any other name (`.part` included).
std::optional<snapshot_id> parse_checkpoint_file_name(std::string_view name);

// The file's bytes: header, `data_batches` (whole uncompressed or compressed batches, any base
// offset: they are renumbered), footer. `last_contained_ms` is the append time of the last log
// record the snapshot covers (SnapshotHeaderRecord.last_contained_log_timestamp).
std::vector<std::byte> build_checkpoint(snapshot_id id,
                                        std::span<const std::vector<std::byte>> data_batches,
                                        int64_t last_contained_ms, model::timestamp_ms now);

struct checkpoint_contents {
  int64_t last_contained_ms = -1;
  // The data batches in order (control batches other than header and footer are skipped).
  std::vector<std::vector<std::byte>> data_batches;
};
// Checks and splits a whole checkpoint; the error says what is wrong and where.
result<checkpoint_contents, std::string> read_checkpoint(snapshot_id id,
                                                         std::span<const std::byte> bytes);

// Writes `bytes` as `dir`/<name of id> atomically and durably (see above).
result<void, std::string> write_checkpoint_file(storage::file_io& io, const std::string& dir,
                                                snapshot_id id, std::span<const std::byte> bytes);
// Reads and checks `dir`/<name of id>.
result<checkpoint_contents, std::string> read_checkpoint_file(storage::file_io& io,
                                                              const std::string& dir,
                                                              snapshot_id id);

}  // namespace vltava::quorum
