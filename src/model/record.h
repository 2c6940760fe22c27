#pragma once

// Records of a RecordBatch v2 (message format 2): reading them from a batch's records section
// as views, writing them for builders, and the control records (transaction markers).
// Layout: docs/formats/record-batch.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/record_batch_header.h"

namespace vltava::model {

using bytes_view = std::span<const std::byte>;

// A record header: the key is a non-null string, the value nullable bytes.
struct record_header {
  bytes_view key;
  std::optional<bytes_view> value;
};

// One record, its key, value and headers viewing the records section it was read from.
struct record {
  int8_t attributes = 0;  // no bits defined yet; kept as read
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<bytes_view> key;    // nullopt: a null key
  std::optional<bytes_view> value;  // nullopt: a null value (a tombstone)
  std::vector<record_header> headers;
  size_t size_bytes = 0;  // encoded size, including the length varint
};

enum class record_error : uint8_t {
  truncated = 1,            // a record runs past the end of the records section
  bad_varint,               // a varint is longer than 5 (10 for varlong) bytes or cut off
  bad_record_length,        // length negative, or the fields do not fill exactly that length
  bad_key_length,           // key length below -1
  bad_value_length,         // value length below -1
  bad_header_count,         // header count negative or more than the record could hold
  bad_header_key_length,    // header key length negative (header keys are never null)
  bad_header_value_length,  // header value length below -1
  too_few_records,          // the section ends before the batch's record count is reached
  too_many_records,         // bytes remain after the batch's record count
  bad_compressed_data,      // the records section does not decompress
  uncompressed_too_large,   // the records section decompresses past the caller's limit
  bad_control_record,       // a control record's key or value is malformed
};

std::string_view describe(record_error e);

// Reads the records of a records section one by one, validating every varint and length.
// Holds views into `section`, which must outlive it and the records it returns.
class record_view {
 public:
  record_view(bytes_view section, int32_t record_count);

  // The next record, nullopt after the last (once the count is reached and every byte used).
  // After an error every further call returns the same error.
  result<std::optional<record>, record_error> next();

  int32_t records_read() const { return _read; }

 private:
  bytes_view _section;
  size_t _pos = 0;
  int32_t _count;
  int32_t _read = 0;
  std::optional<record_error> _error;
};

// All records of a section at once (tests, small batches, compaction of one batch).
result<std::vector<record>, record_error> read_records(bytes_view section, int32_t record_count);

// A batch's records section, decompressed if the batch is compressed. Views read from it point
// into the batch (uncompressed) or into this object (compressed): keep both alive while used.
class records_section {
 public:
  static records_section borrowed(bytes_view v) { return records_section(v, {}); }
  static records_section owned(std::vector<std::byte> v) {
    return records_section({}, std::move(v));
  }

  bytes_view bytes() const { return _owned.empty() ? _view : bytes_view(_owned); }

  records_section(records_section&&) = default;
  records_section& operator=(records_section&&) = default;
  records_section(const records_section&) = delete;
  records_section& operator=(const records_section&) = delete;

 private:
  records_section(bytes_view v, std::vector<std::byte> owned)
      : _view(v), _owned(std::move(owned)) {}
  bytes_view _view;
  std::vector<std::byte> _owned;
};

// The records section of `batch`, one whole batch that validate_batch accepted and whose header
// is `h`. Compressed sections are decompressed up to `max_uncompressed_bytes`.
result<records_section, record_error> batch_records(bytes_view batch, const record_batch_header& h,
                                                    size_t max_uncompressed_bytes);

// A record's absolute timestamp: first_timestamp + delta, or max_timestamp for LogAppendTime.
timestamp_ms record_timestamp(const record_batch_header& h, const record& r);

// ---- writing ----------------------------------------------------------------------------------

// The fields of a record to write; views are read only during the call.
struct record_fields {
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<bytes_view> key;
  std::optional<bytes_view> value;
  std::span<const record_header> headers;
};

// Encoded size of a record, including its length varint.
size_t encoded_record_size(const record_fields& f);

// Appends the encoded record to `out`.
void append_record(std::vector<std::byte>& out, const record_fields& f);

// ---- control records ---------------------------------------------------------------------------

// Control record key: version int16, type int16 (big-endian). Types 2..6 are KRaft's.
enum class control_record_type : int16_t {
  abort = 0,
  commit = 1,
  leader_change = 2,
  snapshot_header = 3,
  snapshot_footer = 4,
  kraft_version = 5,
  kraft_voters = 6,
};
inline constexpr int16_t control_key_version = 0;
inline constexpr size_t control_key_size = 4;

struct control_key {
  int16_t version = control_key_version;
  int16_t type = 0;  // raw: readers skip types they do not know
};

// The value of commit and abort markers (EndTxnMarker): version int16, coordinator epoch int32.
inline constexpr int16_t end_txn_marker_version = 0;
inline constexpr size_t end_txn_marker_size = 6;

struct end_txn_marker {
  int16_t version = end_txn_marker_version;
  int32_t coordinator_epoch = 0;
};

// Parse a control record's key / a marker's value. Negative versions are refused; newer
// versions are read as version 0, as Kafka does (fields are only ever appended).
result<control_key, record_error> parse_control_key(const record& r);
result<end_txn_marker, record_error> parse_end_txn_marker(const record& r);

}  // namespace vltava::model
