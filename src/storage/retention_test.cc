// Retention by time and size: whole segments, never the active one, never past the high
// watermark, files renamed to .deleted and removed after file.delete.delay.ms.

#include <gtest/gtest.h>

#include "storage/log_test_fixture.h"

namespace vltava::storage {
namespace {
using model::offset;

class retention_test : public testing::log_fixture {
 protected:
  void SetUp() override {
    cfg.segment_bytes = 1000;  // six 161-byte batches per segment
    io.set_now(1'000'000);
  }
};

TEST_F(retention_test, by_time_deletes_old_segments_up_to_the_high_watermark) {
  cfg.retention_ms = 10'000;
  auto l = open_log();
  for (int i = 0; i < 30; ++i) append(*l, 5, 100, 1'000'000 + i);
  size_t segments = l->segment_count();
  io.advance(20'000);
  // High watermark still at 0: nothing may go.
  EXPECT_EQ(*l->apply_retention(), 0u);
  l->set_high_watermark(offset(60));
  auto n = l->apply_retention();
  ASSERT_TRUE(n);
  EXPECT_GT(*n, 0u);
  EXPECT_LE(l->segment_bases().front(), offset(60));
  EXPECT_EQ(l->log_start_offset(), l->segment_bases().front());
  l->set_high_watermark(offset(150));
  ASSERT_TRUE(l->apply_retention());
  EXPECT_EQ(l->segment_count(), 1u);  // the active segment stays
  EXPECT_LT(l->segment_count(), segments);
  EXPECT_FALSE(l->read(offset(0), 100));
  EXPECT_EQ(l->read(l->log_start_offset(), 1 << 20)->next_offset, offset(150));
}

TEST_F(retention_test, recent_segments_stay) {
  cfg.retention_ms = 10'000;
  auto l = open_log();
  for (int i = 0; i < 30; ++i) append(*l, 5, 100, 1'000'000 + i);
  l->set_high_watermark(offset(150));
  EXPECT_EQ(*l->apply_retention(), 0u);
  cfg.retention_ms = -1;
}

TEST_F(retention_test, by_size) {
  cfg.retention_ms = -1;
  cfg.retention_bytes = 2000;
  auto l = open_log();
  for (int i = 0; i < 30; ++i) append(*l, 5, 100, 1'000'000 + i);
  l->set_high_watermark(offset(150));
  ASSERT_TRUE(l->apply_retention());
  EXPECT_LE(l->size_bytes(), 2000u + 1000u);
  EXPECT_GE(l->size_bytes(), 2000u - 1000u);
}

TEST_F(retention_test, compact_only_policy_keeps_everything) {
  cfg.retention_bytes = 1;
  cfg.cleanup = {.del = false, .compact = true};
  auto l = open_log();
  for (int i = 0; i < 30; ++i) append(*l, 5, 100, 1);
  l->set_high_watermark(offset(150));
  EXPECT_EQ(*l->apply_retention(), 0u);
}

TEST_F(retention_test, deleted_files_go_after_the_delay) {
  cfg.retention_bytes = 0;
  cfg.file_delete_delay_ms = 5000;
  auto l = open_log();
  for (int i = 0; i < 12; ++i) append(*l, 5, 100, 1'000'000);
  l->set_high_watermark(offset(60));
  ASSERT_TRUE(l->housekeeping());
  bool any_deleted = false;
  for (auto& f : files()) any_deleted |= f.ends_with(".deleted");
  EXPECT_TRUE(any_deleted);
  io.advance(5000);
  ASSERT_TRUE(l->housekeeping());
  for (auto& f : files()) EXPECT_FALSE(f.ends_with(".deleted")) << f;
}

TEST_F(retention_test, reads_in_flight_survive_deletion) {
  cfg.retention_bytes = 0;
  auto l = open_log();
  for (int i = 0; i < 12; ++i) append(*l, 5, 100, 1'000'000);
  auto r = l->read(offset(0), 1 << 20);
  ASSERT_TRUE(r);
  l->set_high_watermark(offset(60));
  ASSERT_TRUE(l->apply_retention());
  // The ranges still read the deleted segments' bytes (their descriptors stay open).
  std::vector<std::byte> buf(r->ranges[0].length);
  EXPECT_TRUE(r->ranges[0].source->read_exact(buf, r->ranges[0].position));
  EXPECT_TRUE(model::validate_batch(std::span(buf).first(161)));
}

TEST_F(retention_test, retention_racing_appends) {
  cfg.retention_bytes = 3000;
  cfg.retention_ms = -1;
  auto l = open_log();
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 3; ++i) append(*l, 5, 100, 1'000'000 + round);
    l->set_high_watermark(l->log_end_offset());
    ASSERT_TRUE(l->housekeeping());
    auto r = l->read(l->log_start_offset(), 1 << 20);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->next_offset, l->log_end_offset());
  }
  ASSERT_TRUE(l->flush_and_wait());
  l.reset();
  auto again = open_log();
  EXPECT_EQ(again->log_end_offset(), offset(750));
  EXPECT_GT(again->log_start_offset(), offset(0));
  EXPECT_EQ(again->read(again->log_start_offset(), 1 << 20)->next_offset, offset(750));
}

}  // namespace
}  // namespace vltava::storage
