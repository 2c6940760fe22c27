#pragma once

// Helpers for storage tests: batches built with model::write_header, temp directories.

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "model/record_batch_header.h"

namespace vltava::storage::testing {

// A valid batch of `records` records (offsets base..base+records-1) whose record bytes are
// an opaque pattern derived from `seed`; `payload` bytes after the header.
inline std::vector<std::byte> make_batch(int32_t records, size_t payload, int64_t timestamp,
                                         uint8_t seed = 1, int64_t base = 0) {
  std::vector<std::byte> b(model::batch_layout::header_size + payload);
  for (size_t i = model::batch_layout::header_size; i < b.size(); ++i) {
    b[i] = std::byte(static_cast<uint8_t>(seed + i * 31));
  }
  model::record_batch_header h;
  h.base_offset = model::offset(base);
  h.batch_length = static_cast<int32_t>(b.size() - model::batch_layout::log_overhead);
  h.partition_leader_epoch = model::leader_epoch(0);
  h.last_offset_delta = records - 1;
  h.first_timestamp = model::timestamp_ms(timestamp);
  h.max_timestamp = model::timestamp_ms(timestamp);
  h.producer = model::producer_id(-1);
  h.epoch = model::producer_epoch(-1);
  h.base_sequence = model::sequence(-1);
  h.record_count = records;
  model::write_header(b, h);
  return b;
}

// A fresh directory under TMPDIR (or /tmp), removed when the object goes.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/vltava-storage-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    _path = ::mkdtemp(buf.data());
  }
  ~temp_dir() { std::filesystem::remove_all(_path); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return _path; }
  std::string sub(const std::string& name) const { return _path + "/" + name; }

 private:
  std::string _path;
};

}  // namespace vltava::storage::testing
