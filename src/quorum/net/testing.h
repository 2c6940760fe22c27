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
#include "quorum/io/control_batch.h"
#include "quorum/log.h"

namespace vltava::quorum::rpc::testing {

enum class batch_kind : bool { data, control };

// One batch of `records` records at `offset` in `epoch`, as the log holds it; a control batch
// is KRaft's LeaderChangeMessage (one record).
inline entry batch_entry(int64_t offset, int32_t epoch, int records,
                         batch_kind kind = batch_kind::data) {
  if (kind == batch_kind::control) {
    auto bytes =
        build_leader_change_batch({model::node_id(1),
                                   {model::node_id(1), model::node_id(2), model::node_id(3)},
                                   {model::node_id(1), model::node_id(2)}},
                                  model::timestamp_ms(1700000000000));
    model::set_base_offset(bytes, model::offset(offset));
    model::set_partition_leader_epoch(bytes, model::leader_epoch(epoch));
    return entry{model::offset(offset), model::leader_epoch(epoch), entry_kind::leader_change,
                 std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), 1};
  }
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
  return entry{model::offset(offset), model::leader_epoch(epoch), entry_kind::data,
               std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
               static_cast<uint32_t>(records)};
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
