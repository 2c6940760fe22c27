// Entries <-> the Records of a Fetch response: one record batch v2 per entry.

#include <fmt/format.h>

#include <cstring>

#include "model/record_batch_header.h"
#include "quorum/io/control_batch.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {

std::vector<std::byte> records_of(const std::vector<entry>& entries) {
  size_t size = 0;
  for (const entry& e : entries) size += e.payload.size();
  std::vector<std::byte> out(size);
  size_t at = 0;
  for (const entry& e : entries) {
    VLTAVA_ASSERT(e.payload.size() >= model::batch_layout::header_size,
                  "a quorum entry's payload is a record batch");
    auto batch = std::span(out).subspan(at, e.payload.size());
    std::memcpy(batch.data(), e.payload.data(), e.payload.size());
    model::set_base_offset(batch, e.offset);
    model::set_partition_leader_epoch(batch, e.epoch);
    at += e.payload.size();
  }
  return out;
}

namespace {

std::string batch_failure(size_t index, size_t position, std::string_view why) {
  return fmt::format("records: batch {} (at byte {}): {}", index, position, why);
}

}  // namespace

result<std::vector<entry>, std::string> entries_of(std::span<const std::byte> records) {
  std::vector<entry> out;
  size_t at = 0;
  model::offset next{-1};  // the offset the next batch must start at, once one is read
  while (at < records.size()) {
    auto rest = records.subspan(at);
    auto header = model::parse_header(rest);
    if (!header) return fail(batch_failure(out.size(), at, model::describe(header.error())));
    if (header->size_bytes() > rest.size()) {
      return fail(batch_failure(out.size(), at, model::describe(model::batch_error::truncated)));
    }
    auto batch = rest.first(header->size_bytes());
    if (auto valid = model::validate_batch(batch); !valid) {
      return fail(batch_failure(out.size(), at, model::describe(valid.error())));
    }
    if (next >= model::offset(0) && header->base_offset != next) {
      return fail(batch_failure(out.size(), at,
                                fmt::format("base offset {} does not follow offset {}",
                                            header->base_offset.value(), next.value() - 1)));
    }
    next = header->last_offset() + 1;
    out.push_back(entry_of_batch(batch, *header));  // as the disk side reads it back
    at += batch.size();
  }
  return out;
}

}  // namespace vltava::quorum::rpc
