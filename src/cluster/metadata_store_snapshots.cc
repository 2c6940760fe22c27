// metadata_store: KRaft snapshots of the metadata image (KIP-630). Every node, voter or not,
// snapshots its own committed image (Kafka's SnapshotGenerator): once
// metadata.log.max.record.bytes.between.snapshots of batches were applied since the last one,
// or metadata.log.max.snapshot.interval.ms passed with something applied. The snapshot is the
// image as metadata records (metadata_snapshot.h) in a checkpoint file at the committed offset
// (quorum/io/checkpoint.h); then Kafka's retention (metadata.max.retention.bytes / .ms) drops
// older snapshots and the log before the next one. At start the newest snapshot is the image
// the log replays onto; a follower that fetched one from the leader loads it in place of its
// image. All on shard 0.

#include <fmt/format.h>

#include <chrono>

#include "base/assert.h"
#include "base/log.h"
#include "cluster/metadata_snapshot.h"
#include "cluster/metadata_store.h"
#include "cluster/metadata_store_state.h"
#include "config/broker_configs.h"
#include "model/record_batch_header.h"

namespace vltava::cluster {

void metadata_store::init_snapshots() {
  state& st = *_state;
  const auto& c = _static_config;
  st.snapshot_bytes_max =
      c.get(config::broker_keys::metadata_log_max_record_bytes_between_snapshots);
  st.snapshot_interval =
      std::chrono::milliseconds(c.get(config::broker_keys::metadata_log_max_snapshot_interval_ms));
  st.retention_bytes = c.get(config::broker_keys::metadata_max_retention_bytes);
  st.retention_ms = c.get(config::broker_keys::metadata_max_retention_ms);
  st.last_snapshot = std::chrono::steady_clock::now();
  // Not a snapshot setting, but read here with the others at open.
  st.auto_leader_rebalance = c.get(config::broker_keys::auto_leader_rebalance_enable);
  st.leader_imbalance_interval =
      std::chrono::seconds(c.get(config::broker_keys::leader_imbalance_check_interval_seconds));
  st.next_rebalance = std::chrono::steady_clock::now() + st.leader_imbalance_interval;
}

result<void, std::string> metadata_store::load_snapshot(quorum::snapshot_id id) {
  state& st = *_state;
  auto contents = st.log->read_snapshot_contents(id);
  if (!contents) return fail(contents.error());
  auto loaded = image_from_batches(contents->data_batches, st.committed.cluster_id, id.offset());
  if (!loaded) return fail(quorum::checkpoint_file_name(id) + ": " + loaded.error());
  auto version = st.committed.version;
  auto controller = st.committed.controller_id;
  st.committed = std::move(loaded->image);
  st.committed_ids = std::move(loaded->ids);
  st.committed.version = version + 1;
  st.committed.controller_id = controller;
  st.last_record_ms = contents->last_contained_ms;
  st.log_has_records = true;
  st.bytes_since_snapshot = 0;
  st.last_snapshot = std::chrono::steady_clock::now();
  log::info("cluster", "metadata: loaded snapshot {}: {} topics, {} brokers",
            quorum::checkpoint_file_name(id), st.committed.topics.size(),
            st.committed.brokers.size());
  return {};
}

// A snapshot fetched from the leader replaced the log: the image is rebuilt from it.
void metadata_store::install_snapshot(quorum::snapshot_id id) {
  state& st = *_state;
  auto r = load_snapshot(id);
  // The log checked the file before installing it: a snapshot that does not apply is a bug,
  // and serving an image that differs from the other nodes' is worse than stopping.
  VLTAVA_ASSERT(r.has_value(), "an installed metadata snapshot loads");
  const auto& node = st.quorum->node();
  if (auto leader = node.leader_id()) st.committed.controller_id = *leader;
  if (node.current_role() != quorum::role::leader) {
    st.working = st.committed;
    st.ids = st.committed_ids;
  }
  publish(std::make_shared<const metadata_image>(st.committed));
}

void metadata_store::note_applied(const quorum::entry& e) {
  state& st = *_state;
  st.bytes_since_snapshot += static_cast<int64_t>(e.payload.size());
  auto h = model::parse_header(std::as_bytes(std::span(e.payload)));
  if (h) st.last_record_ms = h->max_timestamp();
}

void metadata_store::maybe_snapshot() {
  state& st = *_state;
  if (st.bytes_since_snapshot == 0 || st.closed) return;
  auto now = std::chrono::steady_clock::now();
  bool by_bytes = st.bytes_since_snapshot >= st.snapshot_bytes_max;
  bool by_time = st.snapshot_interval.count() > 0 && now - st.last_snapshot >= st.snapshot_interval;
  if (!by_bytes && !by_time) return;
  // Only what is committed and durable here: a snapshot never runs ahead of this node's log.
  const model::offset end(st.committed.offset + 1);
  if (end <= st.log->start_offset() || end > st.log->durable_end()) return;  // next time
  if (auto latest = st.log->latest_snapshot(); latest && latest->offset >= end) return;
  const quorum::snapshot_id id{end, st.log->epoch_at(end - 1)};
  auto started = std::chrono::steady_clock::now();
  auto batches = image_batches(st.committed, st.io.now_ms());
  if (auto w = st.log->create_snapshot(id, batches, st.last_record_ms); !w) {
    log::error("cluster", "metadata snapshot {}: {}", quorum::checkpoint_file_name(id), w.error());
    return;  // tried again after the next change
  }
  st.bytes_since_snapshot = 0;
  st.last_snapshot = now;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  bool moved = st.log->clean({st.retention_bytes, st.retention_ms});
  log::info("cluster", "metadata: wrote snapshot {} ({} topics, {} ms){}",
            quorum::checkpoint_file_name(id), st.committed.topics.size(), took.count(),
            moved ? fmt::format("; the log now starts at {}", st.log->start_offset()()) : "");
}

net::awaitable<void> metadata_store::learn_controller_from_quorum(metadata_store* self) {
  state& st = *self->_state;
  asio::steady_timer poll(co_await asio::this_coro::executor);
  // Until the quorum knows its leader (or a leader change applied names it).
  while (st.committed.controller_id < model::node_id(0) && !st.closed && !st.quorum->failed()) {
    const auto& node = st.quorum->node();
    bool settled = node.current_role() == quorum::role::leader ||
                   node.current_role() == quorum::role::follower;
    if (settled && node.leader_id() && st.log->latest_snapshot()) {
      st.committed.controller_id = *node.leader_id();
      self->publish(std::make_shared<const metadata_image>(st.committed));
      break;
    }
    if (!st.log->latest_snapshot()) break;  // the log holds the leader changes
    poll.expires_after(std::chrono::milliseconds(10));
    co_await poll.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
}

}  // namespace vltava::cluster
