#pragma once

// Test support for quorum/net: record batches as quorum entries, and the trip through the
// real codec (encode at a version, decode).

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "model/record_batch_builder.h"
#include "protocol/reader.h"
#include "protocol/writer.h"
#include "quorum/log.h"

namespace vltava::quorum::rpc::testing {

enum class batch_kind : bool { data, control };

// One batch of `records` records at `offset` in `epoch`, as the log holds it.
inline entry batch_entry(int64_t offset, int32_t epoch, int records,
                         batch_kind kind = batch_kind::data) {
  model::batch_options o;
  o.base_offset = model::offset(offset);
  o.partition_leader_epoch = model::leader_epoch(epoch);
  model::record_batch_builder b(o);
  for (int i = 0; i < records; ++i) {
    std::string value = "record-" + std::to_string(offset + i);
    b.add(model::timestamp_ms(1700000000000 + i), std::nullopt,
          std::as_bytes(std::span(value.data(), value.size())));
  }
  auto bytes = b.build();
  EXPECT_TRUE(bytes);
  if (kind == batch_kind::control) {
    auto h = model::parse_header(*bytes);
    EXPECT_TRUE(h);
    h->attributes |= model::batch_attribute::control;
    model::write_header(*bytes, *h);
  }
  entry e;
  e.offset = model::offset(offset);
  e.epoch = model::leader_epoch(epoch);
  e.kind = kind == batch_kind::control ? entry_kind::leader_change : entry_kind::data;
  e.payload.assign(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  return e;
}

// Encodes `value` at `version` and decodes it again; views of the decoded struct point into
// `frames`, which keeps every encoding.
template <typename T>
T through_wire(const T& value, int16_t version, std::deque<std::vector<std::byte>>& frames) {
  protocol::writer w;
  value.encode(w, version);
  frames.push_back(std::move(w).take());
  protocol::reader r(frames.back());
  T out;
  auto decoded = out.decode(r, version);
  EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error().to_string());
  EXPECT_TRUE(r.empty());
  return out;
}

}  // namespace vltava::quorum::rpc::testing
