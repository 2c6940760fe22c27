#pragma once

// Builds RecordBatch v2 batches: for tests, and for what the broker writes itself (internal
// topics, transaction markers, batches rewritten by compaction). Layout:
// docs/formats/record-batch.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "bytes/compression.h"
#include "model/record.h"
#include "model/record_batch_header.h"

namespace vltava::model {

enum class is_transactional : bool { no = false, yes = true };

struct batch_options {
  compression codec = compression::none;
  std::optional<int> compression_level;  // the codec's default when empty
  bytes::snappy_framing snappy = bytes::snappy_framing::xerial;
  offset base_offset{0};
  leader_epoch partition_leader_epoch{-1};
  // No producer id, epoch or sequence (-1) unless the producer is idempotent.
  producer_id producer{-1};
  producer_epoch epoch{-1};
  sequence base_sequence{-1};
  is_transactional transactional = is_transactional::no;
  timestamp_type timestamps = timestamp_type::create_time;
};

// Accumulates records (copied, so the caller's buffers may go away) and builds one batch.
// The first record's timestamp becomes the batch's first timestamp; later ones may be earlier
// (negative deltas) or later.
class record_batch_builder {
 public:
  explicit record_batch_builder(batch_options opts) : _opts(opts) {}

  // Appends a record at the offset after the previous one.
  void add(timestamp_ms ts, std::optional<bytes_view> key, std::optional<bytes_view> value,
           std::span<const record_header> headers = {});
  // Appends at an explicit offset delta, leaving a gap as compaction does. Deltas increase.
  void add_at(int32_t offset_delta, timestamp_ms ts, std::optional<bytes_view> key,
              std::optional<bytes_view> value, std::span<const record_header> headers = {});

  int32_t record_count() const { return _count; }
  // Size of the batch if built uncompressed.
  size_t uncompressed_size_bytes() const { return batch_layout::header_size + _records.size(); }

  // The finished batch with a valid CRC. Fails only if the compression library does.
  result<std::vector<std::byte>, bytes::compression_error> build() const;

 private:
  batch_options _opts;
  std::vector<std::byte> _records;
  int32_t _count = 0;
  int32_t _last_offset_delta = -1;
  timestamp_ms _first_timestamp{-1};
  timestamp_ms _max_timestamp{-1};
};

// A transaction marker: a control batch (transactional, control) with one record whose key is
// (version 0, type) and whose value is EndTxnMarker (version 0, coordinator epoch).
struct end_txn_marker_batch {
  control_record_type type = control_record_type::commit;  // commit or abort
  int32_t coordinator_epoch = 0;
  producer_id producer;
  producer_epoch epoch;
  offset base_offset{0};
  leader_epoch partition_leader_epoch{-1};
  timestamp_ms timestamp;
};

std::vector<std::byte> build_end_txn_marker(const end_txn_marker_batch& m);

}  // namespace vltava::model
