#pragma once

// Test helpers for the quorum's disk: a metadata log in a temp dir, batches shaped as the node
// writes them (metadata_store: uncompressed, null keys, partitionLeaderEpoch 0).

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "model/record_batch_builder.h"
#include "quorum/io/storage_log.h"
#include "storage/fault_io.h"
#include "storage/flusher.h"
#include "storage/log.h"
#include "storage/test_util.h"

namespace vltava::quorum::testing {

inline std::string as_string(const std::vector<std::byte>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A batch of `records` records whose values are `tag`-0, `tag`-1, ...
inline std::vector<std::byte> metadata_batch(int records, const std::string& tag) {
  model::batch_options o;
  o.partition_leader_epoch = model::leader_epoch(0);
  model::record_batch_builder b(o);
  for (int i = 0; i < records; ++i) {
    auto value = tag + "-" + std::to_string(i);
    b.add(model::timestamp_ms(1000), std::nullopt, std::as_bytes(std::span(value)));
  }
  return b.build().value();
}

inline batch data(int records, const std::string& tag) {
  return {as_string(metadata_batch(records, tag)), static_cast<uint32_t>(records)};
}

// The settings metadata_store opens the metadata log with, but small segments, so that the
// logs here roll.
inline storage::log_config metadata_log_config() {
  storage::log_config cfg;
  cfg.segment_bytes = 300;
  cfg.retention_ms = -1;
  cfg.retention_bytes = -1;
  cfg.file_delete_delay_ms = 0;
  return cfg;
}

// A node's data directory with its metadata log.
struct node_disk {
  storage::testing::temp_dir tmp;
  storage::posix_io real;
  storage::fault_io io{real};
  storage::flusher flush{io};
  std::string dir = tmp.sub(std::string(storage_log::dir_name));

  std::unique_ptr<storage::log> open_storage() {
    auto l = storage::log::open(io, flush, dir, {"__cluster_metadata", model::partition_id(0)},
                                metadata_log_config());
    EXPECT_TRUE(l) << l.error().message;
    return std::move(l).value();
  }
  std::unique_ptr<storage_log> open(model::node_id self = model::node_id(1),
                                    std::vector<model::node_id> voters = {model::node_id(1)}) {
    auto l = storage_log::open(open_storage(), self, std::move(voters));
    EXPECT_TRUE(l) << l.error();
    return std::move(l).value();
  }
};

// What a driver does to learn of durability: ask, wait for the wake-up, then read
// durable_end() (never a value the flush reported).
inline model::offset sync(storage_log& log) {
  std::promise<void> woke;
  auto done = woke.get_future();
  log.request_flush([&woke] { woke.set_value(); });
  done.wait();
  return log.durable_end();
}

}  // namespace vltava::quorum::testing
