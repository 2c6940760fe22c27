#include "quorum/io/storage_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <thread>

#include "quorum/io/control_batch.h"
#include "quorum/io/quorum_state_file.h"
#include "quorum/io/test_support.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;
using testing::data;
using testing::node_disk;

entry at(offset o, int epoch, batch b) {
  return {o, leader_epoch(epoch), entry_kind::data, std::move(b.payload), b.record_count};
}
entry leader_change_at(offset o, int epoch) {
  return {o, leader_epoch(epoch), entry_kind::leader_change, {}, 1};
}

// Epoch 1: [0] leader change, [1,4) 3 records, [4,5); epoch 2: [5] leader change, [6,8);
// epoch 4: [8] leader change, [9,13).
void append_history(storage_log& log) {
  log.append({leader_change_at(offset(0), 1), at(offset(1), 1, data(3, "a")),
              at(offset(4), 1, data(1, "b"))});
  log.append({leader_change_at(offset(5), 2), at(offset(6), 2, data(2, "c"))});
  log.append({leader_change_at(offset(8), 4), at(offset(9), 4, data(4, "d"))});
  ASSERT_FALSE(log.failure()) << *log.failure();
}

std::vector<entry> read_all(const storage_log& log) {
  std::vector<entry> out;
  for (auto from = log.start_offset(); from < log.end_offset();) {
    auto part = log.read(from, log.end_offset(), 1000);
    if (part.empty()) break;
    from = part.back().next_offset();
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

TEST(storage_log, entries_read_back_as_the_batches_on_disk) {
  node_disk d;
  auto log = d.open();
  append_history(*log);
  EXPECT_EQ(log->end_offset(), offset(13));
  EXPECT_EQ(log->last_epoch(), leader_epoch(4));
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 7u);
  std::vector<std::tuple<int64_t, int, entry_kind, uint32_t>> want{
      {0, 1, entry_kind::leader_change, 1}, {1, 1, entry_kind::data, 3},
      {4, 1, entry_kind::data, 1},          {5, 2, entry_kind::leader_change, 1},
      {6, 2, entry_kind::data, 2},          {8, 4, entry_kind::leader_change, 1},
      {9, 4, entry_kind::data, 4}};
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& [o, e, kind, count] = want[i];
    EXPECT_EQ(all[i].offset, offset(o));
    EXPECT_EQ(all[i].epoch, leader_epoch(e));
    EXPECT_EQ(all[i].kind, kind);
    EXPECT_EQ(all[i].record_count, count);
    // The payload is the stored batch, stamped with its offset and epoch, CRC intact.
    auto h = model::validate_batch(std::as_bytes(std::span(all[i].payload)));
    ASSERT_TRUE(h);
    EXPECT_EQ(h->base_offset, offset(o));
    EXPECT_EQ(h->partition_leader_epoch, leader_epoch(e));
  }
  // The same entries appended to another log give the same bytes (a follower's copy).
  node_disk other;
  auto copy = other.open();
  copy->append(all);
  EXPECT_EQ(read_all(*copy), all);
}

TEST(storage_log, answers_end_offset_for_epoch_and_epoch_at) {
  node_disk d;
  auto log = d.open();
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(3)),
            (offset_and_epoch{offset(0), leader_epoch(0)}));
  append_history(*log);
  auto eo = [&](int e) { return log->end_offset_for_epoch(leader_epoch(e)); };
  EXPECT_EQ(eo(0), (offset_and_epoch{offset(0), leader_epoch(0)}));
  EXPECT_EQ(eo(1), (offset_and_epoch{offset(5), leader_epoch(1)}));
  EXPECT_EQ(eo(2), (offset_and_epoch{offset(8), leader_epoch(2)}));
  EXPECT_EQ(eo(3), (offset_and_epoch{offset(8), leader_epoch(2)}));
  EXPECT_EQ(eo(4), (offset_and_epoch{offset(13), leader_epoch(4)}));
  EXPECT_EQ(eo(9), (offset_and_epoch{offset(13), leader_epoch(4)}));
  EXPECT_EQ(log->epoch_at(offset(2)), leader_epoch(1));  // inside a batch
  EXPECT_EQ(log->epoch_at(offset(7)), leader_epoch(2));
  EXPECT_EQ(log->epoch_at(offset(12)), leader_epoch(4));
}

TEST(storage_log, reopens_with_the_same_entries_and_epochs) {
  node_disk d;
  std::vector<entry> before;
  {
    auto log = d.open();
    append_history(*log);
    testing::sync(*log);
    before = read_all(*log);
  }  // no close: reopened as after a crash
  auto log = d.open();
  EXPECT_GT(log->storage().segment_count(), 1u);
  EXPECT_EQ(read_all(*log), before);
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(2)),
            (offset_and_epoch{offset(8), leader_epoch(2)}));
  EXPECT_EQ(log->durable_end(), log->end_offset());  // raft_node takes all of it as durable
}

TEST(storage_log, truncates_at_batch_boundaries_and_reopens_truncated) {
  node_disk d;
  {
    auto log = d.open();
    append_history(*log);
    log->truncate(offset(6));  // within epoch 2, after its leader change
    EXPECT_EQ(log->end_offset(), offset(6));
    EXPECT_EQ(log->last_epoch(), leader_epoch(2));
    EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(4)),
              (offset_and_epoch{offset(6), leader_epoch(2)}));
    log->append({at(offset(6), 3, data(2, "e"))});
    EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(2)),
              (offset_and_epoch{offset(6), leader_epoch(2)}));
    EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(3)),
              (offset_and_epoch{offset(8), leader_epoch(3)}));
    log->truncate(offset(3));  // inside [1,4): that batch goes whole
    EXPECT_EQ(log->end_offset(), offset(1));
    EXPECT_EQ(log->last_epoch(), leader_epoch(1));
    testing::sync(*log);
  }
  auto log = d.open();
  EXPECT_EQ(log->end_offset(), offset(1));
  EXPECT_EQ(log->last_epoch(), leader_epoch(1));
  ASSERT_EQ(read_all(*log).size(), 1u);
}

TEST(storage_log, a_torn_tail_after_a_crash_is_cut) {
  node_disk d;
  {
    auto log = d.open();
    log->append({leader_change_at(offset(0), 1), at(offset(1), 1, data(2, "a"))});
    testing::sync(*log);
    log->append({leader_change_at(offset(3), 2), at(offset(4), 2, data(3, "b"))});
  }
  // The last batch reached the disk only in part.
  std::string segment;  // the active one: the largest name
  for (const auto& f : std::filesystem::directory_iterator(d.dir)) {
    if (f.path().extension() == ".log") segment = std::max(segment, f.path().string());
  }
  std::filesystem::resize_file(segment, std::filesystem::file_size(segment) - 7);
  auto log = d.open();
  EXPECT_TRUE(log->storage().recovery().truncation.has_value());
  EXPECT_EQ(log->end_offset(), offset(4));
  EXPECT_EQ(log->last_epoch(), leader_epoch(2));
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(2)),
            (offset_and_epoch{offset(4), leader_epoch(2)}));
  EXPECT_EQ(log->durable_end(), offset(4));
}

TEST(storage_log, a_leader_change_is_kafkas_control_batch) {
  node_disk d;
  auto log = d.open(node_id(1), {node_id(1), node_id(2), node_id(3)});
  log->append({leader_change_at(offset(0), 7)});
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, entry_kind::leader_change);
  auto bytes = std::as_bytes(std::span(all[0].payload));
  auto h = model::validate_batch(bytes);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->is_control());
  EXPECT_FALSE(h->is_transactional());
  EXPECT_EQ(h->producer, model::producer_id(-1));
  EXPECT_EQ(h->epoch, model::producer_epoch(-1));
  EXPECT_EQ(h->record_count, 1);
  EXPECT_EQ(h->partition_leader_epoch, leader_epoch(7));
  auto lc = read_leader_change(bytes);
  ASSERT_TRUE(lc) << lc.error();
  EXPECT_EQ(*lc, (leader_change{node_id(1), {node_id(1), node_id(2), node_id(3)}, {node_id(1)}}));
  // Key and value byte for byte: control key (version 0, type 2); LeaderChangeMessage v0 with
  // compact arrays of Voter{int32, no tags}.
  auto section = model::batch_records(bytes, *h, 1 << 20).value();
  auto records = model::read_records(section.bytes(), 1).value();
  auto hex = [](model::bytes_view v) {
    std::string s;
    for (auto b : v)
      s += "0123456789abcdef"[static_cast<int>(b) >> 4],
          s += "0123456789abcdef"[static_cast<int>(b) & 15];
    return s;
  };
  EXPECT_EQ(hex(*records[0].key), "00000002");
  EXPECT_EQ(hex(*records[0].value),
            "0000"      // version 0
            "00000001"  // leader 1
            "04"
            "0000000100"
            "0000000200"
            "0000000300"  // voters 1, 2, 3
            "02"
            "0000000100"  // granting voters: 1
            "00");        // no tagged fields
}

TEST(storage_log, todays_metadata_log_opens_as_epoch_0_entries) {
  node_disk d;
  {
    // As metadata_store writes it: one batch per mutation, epoch 0, offsets assigned by storage.
    auto s = d.open_storage();
    for (int records : {2, 1, 5}) {
      auto b = testing::metadata_batch(records, "m");
      ASSERT_TRUE(s->append(b));
    }
    ASSERT_TRUE(s->close());
  }
  auto log = d.open();
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].offset, offset(3));
  EXPECT_EQ(all[2].record_count, 5u);
  for (const auto& e : all) {
    EXPECT_EQ(e.epoch, leader_epoch(0));
    EXPECT_EQ(e.kind, entry_kind::data);
  }
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(0)),
            (offset_and_epoch{offset(8), leader_epoch(0)}));
  EXPECT_EQ(log->end_offset_for_epoch(leader_epoch(5)),
            (offset_and_epoch{offset(8), leader_epoch(0)}));
  // No quorum-state file yet: the default state; a one-voter quorum leads epoch 1 over it and
  // applies the old entries first.
  quorum_state_file state(d.io, d.dir, {node_id(1)});
  auto durable = state.read();
  ASSERT_TRUE(durable) << durable.error();
  EXPECT_EQ(*durable, election_state{});
  quorum_config c{"cluster",          {node_id(1)},       milliseconds(1000),
                  milliseconds(2000), milliseconds(2000), milliseconds(20)};
  raft_node node(c, node_id(1), *log, *durable, 1, milliseconds(0));
  node.tick(milliseconds(2000));
  ASSERT_EQ(node.current_role(), role::leader);
  for (const auto& o : node.take_outputs()) {
    if (const auto* p = std::get_if<persist_election>(&o)) ASSERT_TRUE(state.write(p->state));
  }
  node.on_flushed(testing::sync(*log), milliseconds(2001));
  EXPECT_EQ(node.high_watermark(), offset(9));
  auto committed = node.take_committed();
  ASSERT_EQ(committed.size(), 4u);
  EXPECT_EQ(committed[0].payload, all[0].payload);
  EXPECT_EQ(committed[3].kind, entry_kind::leader_change);
  EXPECT_EQ(committed[3].epoch, leader_epoch(1));
  EXPECT_EQ(state.read().value(), (election_state{leader_epoch(1), node_id(1), node_id(1)}));
}

TEST(storage_log, durability_is_read_after_the_wake_up_never_taken_from_it) {
  node_disk d;
  auto log = d.open();
  log->append({leader_change_at(offset(0), 1), at(offset(1), 1, data(2, "a"))});
  EXPECT_EQ(log->durable_end(), offset(0));
  EXPECT_EQ(testing::sync(*log), offset(3));
  // A flush in flight while the tail is cut and rewritten: its completion must not make the
  // rewritten tail durable.
  log->append({at(offset(3), 1, data(2, "b"))});
  d.io.set_sync_delay_ms(200);
  std::atomic<bool> woke{false};
  log->request_flush([&woke] { woke = true; });
  log->truncate(offset(3));
  log->append({at(offset(3), 1, data(3, "c"))});
  while (!woke) std::this_thread::yield();
  EXPECT_LE(log->durable_end(), offset(3));  // the log as it is now: [3,6) was never synced
  d.io.set_sync_delay_ms(0);
  EXPECT_EQ(testing::sync(*log), offset(6));
}

TEST(storage_log, a_failed_write_is_reported_and_stops_the_log) {
  node_disk d;
  auto log = d.open();
  log->append({leader_change_at(offset(0), 1)});
  d.io.fail_next(storage::io_op::pwrite, ENOSPC);
  log->append({at(offset(1), 1, data(2, "a"))});
  ASSERT_TRUE(log->failure());
  EXPECT_NE(log->failure()->find("__cluster_metadata-0"), std::string::npos) << *log->failure();
  EXPECT_EQ(log->end_offset(), offset(1));
  log->append({at(offset(1), 1, data(1, "b"))});  // refused: the log is dead
  EXPECT_EQ(log->end_offset(), offset(1));
}

TEST(storage_log, an_entry_whose_batch_spans_other_offsets_is_refused) {
  node_disk d;
  auto log = d.open();
  auto b = data(3, "a");
  log->append({{offset(0), leader_epoch(1), entry_kind::data, b.payload, 2}});
  ASSERT_TRUE(log->failure());
  EXPECT_EQ(log->end_offset(), offset(0));
}

TEST(storage_log, a_log_whose_epochs_go_down_does_not_open) {
  node_disk d;
  {
    auto s = d.open_storage();
    auto b = testing::metadata_batch(1, "x");
    ASSERT_TRUE(s->append(b, {.leader_epoch = leader_epoch(3)}));
    b = testing::metadata_batch(1, "y");
    ASSERT_TRUE(s->append(b, {.leader_epoch = leader_epoch(2)}));
    ASSERT_TRUE(s->close());
  }
  auto log = storage_log::open(d.open_storage(), node_id(1), {node_id(1)});
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().find("offset 1"), std::string::npos) << log.error();
}

}  // namespace
}  // namespace vltava::quorum
