// storage_log's snapshots: checkpoint files written, cleaned by Kafka's retention rule (the log
// start moves to the next snapshot, whole segments before it deleted), found again at open, a
// corrupt one passed over, a download installed in place of the whole log.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "quorum/io/storage_log.h"
#include "quorum/io/test_support.h"

namespace vltava::quorum {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;
using testing::data;
using testing::metadata_batch;
using testing::node_disk;
using testing::sync;

entry at(offset o, int epoch, batch b) {
  return {o, leader_epoch(epoch), entry_kind::data, std::move(b.payload), b.record_count};
}

// 30 one-record batches: epoch 1 for [0, 10), epoch 2 for [10, 30); several segments.
void append_30(storage_log& log) {
  for (int i = 0; i < 30; ++i) {
    log.append({at(offset(i), i < 10 ? 1 : 2, data(1, "e" + std::to_string(i)))});
  }
  sync(log);
  ASSERT_FALSE(log.failure());
}

std::vector<std::vector<std::byte>> state(const std::string& tag) {
  return {metadata_batch(2, tag)};
}

int files_ending(const std::string& dir, const std::string& suffix) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.path().filename().string().ends_with(suffix);
  }
  return n;
}

TEST(storage_log_snapshots, a_directory_without_snapshots_opens_as_before) {
  node_disk d;
  auto log = d.open();
  EXPECT_FALSE(log->latest_snapshot());
  EXPECT_EQ(log->start_offset(), offset(0));
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(0)),
            (offset_and_epoch{offset(0), leader_epoch(0)}));
}

TEST(storage_log_snapshots, cleaning_keeps_the_newest_and_starts_the_log_there) {
  node_disk d;
  auto log = d.open();
  append_30(*log);
  auto segments_before = files_ending(d.dir, ".log");
  ASSERT_GT(segments_before, 3);
  const snapshot_id first{offset(8), leader_epoch(1)}, second{offset(20), leader_epoch(2)};
  ASSERT_TRUE(log->create_snapshot(first, state("s1"), 100));
  // One snapshot: Kafka never drops the log before the only one.
  EXPECT_FALSE(log->clean({.max_bytes = 0}));
  EXPECT_EQ(log->start_offset(), offset(0));
  ASSERT_TRUE(log->create_snapshot(second, state("s2"), 200));
  // Within retention: nothing goes.
  EXPECT_FALSE(log->clean({.max_bytes = 1 << 30, .max_ms = -1}));
  EXPECT_TRUE(log->clean({.max_bytes = 0}));
  EXPECT_EQ(log->start_offset(), offset(20));
  EXPECT_EQ(log->latest_snapshot(), second);
  EXPECT_EQ(log->snapshots(), std::vector<snapshot_id>{second});
  EXPECT_FALSE(std::filesystem::exists(d.dir + "/" + checkpoint_file_name(first)));
  EXPECT_LT(files_ending(d.dir, ".log"), segments_before);
  EXPECT_EQ(files_ending(d.dir, ".deleted"), 0);
  // Epochs still answer from the new start.
  EXPECT_EQ(log->epoch_at(offset(20)), leader_epoch(2));
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(2)),
            (offset_and_epoch{offset(30), leader_epoch(2)}));
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(1)),
            (offset_and_epoch{offset(20), leader_epoch(2)}));
  auto entries = log->read(offset(20), offset(30), 100);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.front().offset, offset(20));

  // Reopened: the same start, the same snapshot, readable.
  log.reset();
  auto again = d.open();
  EXPECT_EQ(again->start_offset(), offset(20));
  EXPECT_EQ(again->end_offset(), offset(30));
  EXPECT_EQ(again->latest_snapshot(), second);
  auto contents = again->read_snapshot_contents(second);
  ASSERT_TRUE(contents) << contents.error();
  EXPECT_EQ(contents->data_batches.size(), 1u);
  EXPECT_EQ(contents->last_contained_ms, 200);
}

TEST(storage_log_snapshots, cleaning_by_time_uses_the_last_contained_timestamp) {
  node_disk d;
  d.io.set_now(1'000'000);
  auto log = d.open();
  append_30(*log);
  ASSERT_TRUE(log->create_snapshot({offset(8), leader_epoch(1)}, state("s1"), 1000));
  ASSERT_TRUE(log->create_snapshot({offset(20), leader_epoch(2)}, state("s2"), 999'000));
  EXPECT_FALSE(log->clean({.max_bytes = -1, .max_ms = 1'000'000}));
  EXPECT_TRUE(log->clean({.max_bytes = -1, .max_ms = 500'000}));
  EXPECT_EQ(log->start_offset(), offset(20));
}

TEST(storage_log_snapshots, a_corrupt_newest_snapshot_is_passed_over_at_open) {
  node_disk d;
  const snapshot_id first{offset(8), leader_epoch(1)}, second{offset(20), leader_epoch(2)};
  {
    auto log = d.open();
    append_30(*log);
    ASSERT_TRUE(log->create_snapshot(first, state("s1"), 1));
    ASSERT_TRUE(log->create_snapshot(second, state("s2"), 2));
  }
  // The newest loses its footer (cut short); a download left unfinished.
  auto path = d.dir + "/" + checkpoint_file_name(second);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  std::ofstream(d.dir + "/" + checkpoint_file_name({offset(25), leader_epoch(2)}) + ".part")
      << "partial";
  auto log = d.open();
  EXPECT_EQ(log->latest_snapshot(), first);
  EXPECT_TRUE(std::filesystem::exists(path + ".corrupt"));
  EXPECT_EQ(files_ending(d.dir, ".part"), 0);
  EXPECT_EQ(log->end_offset(), offset(30));
}

TEST(storage_log_snapshots, a_log_that_ends_before_its_newest_snapshot_restarts_there) {
  node_disk d;
  const snapshot_id snap{offset(20), leader_epoch(2)};
  {
    auto log = d.open();
    append_30(*log);
    ASSERT_TRUE(log->create_snapshot(snap, state("s"), 1));
    log->truncate(offset(12));  // as if the tail after 12 had never reached the disk
    sync(*log);
  }
  auto log = d.open();
  EXPECT_EQ(log->start_offset(), offset(20));
  EXPECT_EQ(log->end_offset(), offset(20));
  EXPECT_EQ(log->last_epoch(), leader_epoch(2));
}

TEST(storage_log_snapshots, a_download_is_installed_in_place_of_the_whole_log) {
  node_disk leader_disk, follower_disk;
  const snapshot_id snap{offset(20), leader_epoch(2)};
  auto leader = leader_disk.open();
  append_30(*leader);
  ASSERT_TRUE(leader->create_snapshot(snap, state("s"), 1));
  auto follower = follower_disk.open();
  follower->append({at(offset(0), 1, data(1, "old"))});
  sync(*follower);

  EXPECT_EQ(leader->read_snapshot({offset(19), leader_epoch(2)}, 0, 10).error(),
            errc::snapshot_not_found);
  auto size = leader->read_snapshot(snap, 0, 1).value().size;
  EXPECT_EQ(leader->read_snapshot(snap, size, 10).error(), errc::position_out_of_range);
  // Chunks of 37 bytes; a chunk out of place is refused.
  EXPECT_FALSE(follower->write_snapshot_chunk(snap, 37, "x"));
  for (int64_t pos = 0; pos < size;) {
    auto chunk = leader->read_snapshot(snap, pos, 37).value();
    ASSERT_TRUE(follower->write_snapshot_chunk(snap, pos, chunk.bytes));
    pos += static_cast<int64_t>(chunk.bytes.size());
  }
  EXPECT_FALSE(follower->install_snapshot({offset(21), leader_epoch(2)}));
  ASSERT_TRUE(follower->install_snapshot(snap));
  EXPECT_EQ(follower->start_offset(), offset(20));
  EXPECT_EQ(follower->end_offset(), offset(20));
  EXPECT_EQ(follower->durable_end(), offset(20));
  EXPECT_EQ(follower->last_epoch(), leader_epoch(2));
  EXPECT_EQ(follower->latest_snapshot(), snap);
  // The log continues from the snapshot, and a restart finds it so.
  follower->append({at(offset(20), 3, data(2, "new"))});
  sync(*follower);
  follower.reset();
  auto again = follower_disk.open();
  EXPECT_EQ(again->start_offset(), offset(20));
  EXPECT_EQ(again->end_offset(), offset(22));
  EXPECT_EQ(again->latest_snapshot(), snap);
}

TEST(storage_log_snapshots, a_corrupt_download_is_refused_and_the_log_kept) {
  node_disk leader_disk, follower_disk;
  const snapshot_id snap{offset(20), leader_epoch(2)};
  auto leader = leader_disk.open();
  append_30(*leader);
  ASSERT_TRUE(leader->create_snapshot(snap, state("s"), 1));
  auto follower = follower_disk.open();
  auto whole = leader->read_snapshot(snap, 0, 1 << 20).value();
  whole.bytes[whole.bytes.size() / 2] ^= 0x11;
  ASSERT_TRUE(follower->write_snapshot_chunk(snap, 0, whole.bytes));
  EXPECT_FALSE(follower->install_snapshot(snap));
  EXPECT_FALSE(follower->latest_snapshot());
  EXPECT_EQ(follower->start_offset(), offset(0));
  EXPECT_FALSE(follower->failure());
}

}  // namespace
}  // namespace vltava::quorum
