#include "storage/log.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "bytes/endian.h"
#include "storage/log_test_fixture.h"

namespace vltava::storage {
namespace {
using model::offset;
namespace layout = model::batch_layout;

class log_test : public testing::log_fixture {};

TEST_F(log_test, empty_log) {
  auto l = open_log();
  EXPECT_EQ(l->log_end_offset(), offset(0));
  EXPECT_EQ(l->log_start_offset(), offset(0));
  auto r = l->read(offset(0), 1000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(r->next_offset, offset(0));
  auto oor = l->read(offset(1), 1000);
  ASSERT_FALSE(oor);
  EXPECT_EQ(oor.error().code, errc::offset_out_of_range);
  auto ts = l->find_offset_by_timestamp(0);
  ASSERT_TRUE(ts);
  EXPECT_FALSE(*ts);
  EXPECT_TRUE(*io.exists(dir + "/00000000000000000000.log"));
  EXPECT_TRUE(l->truncate_suffix(offset(0)));
  EXPECT_EQ(l->log_end_offset(), offset(0));
}

TEST_F(log_test, set_config_refuses_an_invalid_config_and_keeps_the_old_one) {
  auto l = open_log();
  log_config bad = l->config();
  bad.segment_bytes = 0;
  EXPECT_FALSE(l->set_config(bad));
  EXPECT_EQ(l->config().segment_bytes, cfg.segment_bytes);
  log_config good = l->config();
  good.retention_ms = 1234;
  EXPECT_TRUE(l->set_config(good));
  EXPECT_EQ(l->config().retention_ms, 1234);
}

TEST_F(log_test, append_assigns_offsets_and_reads_back_byte_exact) {
  auto l = open_log();
  std::vector<std::byte> expected;
  for (int i = 0; i < 3; ++i) {
    auto b = testing::make_batch(5, 100, 1000 + i, static_cast<uint8_t>(i));
    auto r = l->append(b);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->base_offset, offset(5 * i));
    EXPECT_EQ(r->last_offset, offset(5 * i + 4));
    EXPECT_EQ(model::parse_header(b)->base_offset, offset(5 * i));  // rewritten in place
    EXPECT_TRUE(model::validate_batch(b));
    expected.insert(expected.end(), b.begin(), b.end());
  }
  EXPECT_EQ(l->log_end_offset(), offset(15));
  auto all = l->read_bytes(offset(0), 1 << 20);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, expected);
  // From the middle of a batch: the whole batch holding it.
  auto mid = l->read(offset(7), 1 << 20);
  ASSERT_TRUE(mid);
  EXPECT_EQ(mid->bytes, 2 * (layout::header_size + 100));
  EXPECT_EQ(mid->next_offset, offset(15));
  // max_bytes below one batch still returns one batch.
  auto one = l->read(offset(0), 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->bytes, layout::header_size + 100);
  EXPECT_EQ(one->next_offset, offset(5));
  // max_offset is exclusive and never splits a batch.
  auto hw = l->read(offset(0), 1 << 20, offset(12));
  ASSERT_TRUE(hw);
  EXPECT_EQ(hw->next_offset, offset(10));
  auto at_end = l->read(offset(15), 1 << 20);
  ASSERT_TRUE(at_end);
  EXPECT_TRUE(at_end->empty());
}

TEST_F(log_test, file_ranges_point_at_whole_batches) {
  auto l = open_log();
  for (int i = 0; i < 4; ++i) append(*l);
  auto r = l->read(offset(5), 2 * (layout::header_size + 100));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->ranges.size(), 1u);
  EXPECT_EQ(r->ranges[0].position, layout::header_size + 100);
  EXPECT_EQ(r->ranges[0].length, 2 * (layout::header_size + 100));
  std::vector<std::byte> buf(r->ranges[0].length);
  ASSERT_EQ(::pread(r->ranges[0].fd(), buf.data(), buf.size(), r->ranges[0].position),
            static_cast<ssize_t>(buf.size()));
  auto h = model::validate_batch(std::span(buf).first(layout::header_size + 100));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->base_offset, offset(5));
}

TEST_F(log_test, several_batches_in_one_append) {
  auto l = open_log();
  std::vector<std::byte> buf;
  for (int i = 0; i < 3; ++i) {
    auto b = testing::make_batch(2, 50, 10);
    buf.insert(buf.end(), b.begin(), b.end());
  }
  auto r = l->append(buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->base_offset, offset(0));
  EXPECT_EQ(r->last_offset, offset(5));
  EXPECT_EQ(r->batches, 3u);
  auto back = l->read_bytes(offset(0), 1 << 20);
  EXPECT_EQ(*back, buf);
}

TEST_F(log_test, bad_batches_are_refused_and_nothing_is_written) {
  auto l = open_log();
  append(*l);
  auto size_before = file_size("00000000000000000000.log");
  auto expect_refused = [&](std::vector<std::byte> b, errc code, std::string_view words,
                            append_options opts = {}) {
    auto r = l->append(b, opts);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code);
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
    EXPECT_EQ(l->log_end_offset(), offset(5));
    EXPECT_EQ(file_size("00000000000000000000.log"), size_before);
  };
  auto good = testing::make_batch(3, 40, 1);
  auto bad_crc = good;
  bad_crc.back() ^= std::byte{1};
  expect_refused(bad_crc, errc::invalid_batch, "CRC32C");
  auto bad_magic = good;
  bad_magic[layout::magic] = std::byte{1};
  expect_refused(bad_magic, errc::invalid_batch, "magic");
  auto short_len = good;
  bytes::store_be<int32_t>(short_len.data() + layout::batch_length, 10);
  expect_refused(short_len, errc::invalid_batch, "smaller than its header");
  auto truncated = good;
  truncated.pop_back();
  expect_refused(truncated, errc::invalid_batch, "truncated");
  expect_refused(std::vector<std::byte>(10), errc::invalid_batch, "truncated");
  expect_refused({}, errc::invalid_batch, "no batches");
  // A good batch followed by a bad one: neither is written.
  auto two = good;
  two.insert(two.end(), bad_crc.begin(), bad_crc.end());
  expect_refused(two, errc::invalid_batch, "batch 1 at byte");
  // Follower appends keep offsets, which must not go backwards.
  auto old = testing::make_batch(3, 40, 1, 1, 2);
  expect_refused(old, errc::invalid_batch, "below the expected", {.assign_offsets = false});
  cfg.max_message_bytes = 50;
  l.reset();  // one log per directory: its background checkpoint must not race the reopen
  flush.drain();
  auto small = open_log();  // same dir, reopened with a lower max.message.bytes
  ASSERT_TRUE(small);
  auto big = testing::make_batch(1, 100, 1);
  auto r = small->append(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::too_large);
}

TEST_F(log_test, follower_append_keeps_offsets_with_gaps) {
  auto l = open_log();
  auto a = testing::make_batch(2, 10, 1, 1, 0);
  auto b = testing::make_batch(2, 10, 1, 1, 10);
  ASSERT_TRUE(l->append(a, {.assign_offsets = false}));
  ASSERT_TRUE(l->append(b, {.assign_offsets = false}));
  EXPECT_EQ(l->log_end_offset(), offset(12));
  auto r = l->read(offset(5), 1 << 20);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes, b.size());
}

TEST_F(log_test, leader_epoch_and_log_append_time_are_written) {
  auto l = open_log();
  auto b = testing::make_batch(1, 10, 5);
  ASSERT_TRUE(l->append(
      b, {.leader_epoch = model::leader_epoch(7), .log_append_time = model::timestamp_ms(12345)}));
  auto back = l->read_bytes(offset(0), 1000);
  auto h = model::validate_batch(*back);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->partition_leader_epoch, model::leader_epoch(7));
  EXPECT_EQ(h->max_timestamp, model::timestamp_ms(12345));
  EXPECT_EQ(h->timestamp_type(), model::timestamp_type::log_append_time);
}

TEST_F(log_test, one_byte_segments_hold_one_batch_each) {
  cfg.segment_bytes = 1;
  auto l = open_log();
  for (int i = 0; i < 5; ++i) append(*l, 2);
  EXPECT_EQ(l->segment_count(), 5u);
  EXPECT_EQ(l->segment_bases(),
            (std::vector<offset>{offset(0), offset(2), offset(4), offset(6), offset(8)}));
  EXPECT_TRUE(*io.exists(dir + "/00000000000000000008.log"));
  EXPECT_TRUE(*io.exists(dir + "/00000000000000000006.index"));  // written at roll
  EXPECT_TRUE(*io.exists(dir + "/00000000000000000006.timeindex"));
  auto all = l->read(offset(0), 1 << 20);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->ranges.size(), 5u);
  EXPECT_EQ(all->next_offset, offset(10));
  auto mid = l->read(offset(5), 1);
  EXPECT_EQ(mid->next_offset, offset(6));
}

TEST_F(log_test, roll_on_segment_ms) {
  cfg.segment_ms = 1000;
  io.set_now(1'000'000);
  auto l = open_log();
  append(*l, 1, 10, 1'000'000);
  append(*l, 1, 10, 1'000'500);
  EXPECT_EQ(l->segment_count(), 1u);
  io.advance(1000);
  append(*l, 1, 10, 1'001'000);
  EXPECT_EQ(l->segment_count(), 2u);
}

TEST_F(log_test, roll_when_index_is_full) {
  cfg.segment_index_bytes = 24;  // three offset entries, two time entries
  cfg.index_interval_bytes = 0;  // an entry for every batch after the first
  auto l = open_log();
  for (int i = 0; i < 20; ++i) append(*l, 1, 10, 100 + i);
  EXPECT_GT(l->segment_count(), 5u);
  for (int i = 0; i < 20; ++i) {
    auto r = l->read(offset(i), 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->next_offset, offset(i + 1));
  }
}

TEST_F(log_test, roll_on_relative_offset_overflow) {
  auto l = open_log();
  auto a = testing::make_batch(1, 10, 1, 1, 0);
  int64_t far = int64_t{1} << 31;
  auto b = testing::make_batch(1, 10, 1, 1, far + 5);
  ASSERT_TRUE(l->append(a, {.assign_offsets = false}));
  ASSERT_TRUE(l->append(b, {.assign_offsets = false}));
  EXPECT_EQ(l->segment_bases(), (std::vector<offset>{offset(0), offset(far + 5)}));
  auto r = l->read(offset(1), 1 << 20);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->next_offset, offset(far + 6));
}

TEST_F(log_test, sparse_index_finds_every_offset) {
  cfg.index_interval_bytes = 4096;
  cfg.segment_bytes = 256 * 1024;
  auto l = open_log();
  for (int i = 0; i < 400; ++i) append(*l, 3, 1000 + (i % 7) * 100, i);
  EXPECT_GT(l->segment_count(), 1u);
  for (int o = 0; o < 1200; o += 7) {
    auto r = l->read(offset(o), 1);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->ranges.size(), 1u);
    std::vector<std::byte> hdr(layout::header_size);
    ASSERT_TRUE(r->ranges[0].source->read_exact(hdr, r->ranges[0].position));
    auto h = model::parse_header(hdr);
    EXPECT_EQ(h->base_offset, offset(o / 3 * 3));
  }
}

TEST_F(log_test, reads_that_skip_headers_by_the_index_match_a_plain_walk) {
  cfg.index_interval_bytes = 200;  // an entry every other 161-byte batch
  cfg.segment_bytes = 5000;
  auto l = open_log();
  for (int i = 0; i < 100; ++i) append(*l, 5, 100, i);
  const uint64_t bb = layout::header_size + 100;
  for (int from = 0; from < 500; from += 37) {
    for (uint64_t max_bytes :
         {uint64_t{1}, bb, 3 * bb - 1, 10 * bb, 40 * bb + 5, uint64_t{1} << 20}) {
      for (int64_t limit : {int64_t{500}, int64_t{from + 23}, int64_t{from + 1}}) {
        auto r = l->read(offset(from), max_bytes, offset(limit));
        ASSERT_TRUE(r);
        int64_t first = from / 5 * 5;
        int64_t by_limit = (limit - first) / 5;  // whole batches ending below the limit
        int64_t by_bytes = std::max<int64_t>(1, static_cast<int64_t>(max_bytes / bb));
        int64_t n = std::min(by_limit, by_bytes);
        n = std::min<int64_t>(n, (500 - first) / 5);
        EXPECT_EQ(r->bytes, static_cast<uint64_t>(n) * bb)
            << from << " " << max_bytes << " " << limit;
        EXPECT_EQ(r->next_offset, offset(n > 0 ? first + 5 * n : from)) << from << " " << limit;
      }
    }
  }
}

TEST_F(log_test, find_offset_by_timestamp) {
  cfg.segment_bytes = 2000;
  auto l = open_log();
  for (int i = 0; i < 30; ++i) append(*l, 2, 100, 1000 + 10 * i);
  auto before = l->find_offset_by_timestamp(0);
  ASSERT_TRUE(before && *before);
  EXPECT_EQ((*before)->base_offset, offset(0));
  auto exact = l->find_offset_by_timestamp(1100);
  EXPECT_EQ((*exact)->base_offset, offset(20));
  auto between = l->find_offset_by_timestamp(1105);
  EXPECT_EQ((*between)->base_offset, offset(22));
  EXPECT_EQ((*between)->max_timestamp, 1110);
  auto after = l->find_offset_by_timestamp(5000);
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}

TEST_F(log_test, truncate_suffix_everywhere) {
  cfg.segment_bytes = 1000;
  auto l = open_log();
  for (int i = 0; i < 20; ++i) append(*l, 5, 100, i);  // 161-byte batches, 6 per segment
  size_t segments = l->segment_count();
  EXPECT_GT(segments, 3u);
  // Inside a batch: the whole batch goes.
  auto end = l->truncate_suffix(offset(52));
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, offset(50));
  EXPECT_EQ(l->log_end_offset(), offset(50));
  EXPECT_LT(l->segment_count(), segments);
  auto r = l->read(offset(45), 1 << 20);
  EXPECT_EQ(r->next_offset, offset(50));
  // Appends continue from the new end.
  EXPECT_EQ(append(*l).base_offset, offset(50));
  // At a segment boundary.
  auto bases = l->segment_bases();
  ASSERT_TRUE(l->truncate_suffix(bases[1]));
  EXPECT_EQ(l->log_end_offset(), bases[1]);
  // To zero.
  ASSERT_TRUE(l->truncate_suffix(offset(0)));
  EXPECT_EQ(l->log_end_offset(), offset(0));
  EXPECT_EQ(l->segment_count(), 1u);
  EXPECT_EQ(append(*l).base_offset, offset(0));
  ASSERT_TRUE(l->close());
  auto again = open_log();
  EXPECT_EQ(again->log_end_offset(), offset(5));
}

TEST_F(log_test, log_start_offset_moves_and_deletes_segments) {
  cfg.segment_bytes = 1000;
  auto l = open_log();
  for (int i = 0; i < 20; ++i) append(*l, 5, 100, i);
  auto r = l->set_log_start_offset(offset(40));
  ASSERT_FALSE(r);  // above the high watermark (still 0)
  EXPECT_EQ(r.error().code, errc::offset_out_of_range);
  l->set_high_watermark(offset(100));
  EXPECT_EQ(l->high_watermark(), offset(100));
  ASSERT_TRUE(l->set_log_start_offset(offset(40)));
  EXPECT_EQ(l->log_start_offset(), offset(40));
  EXPECT_LE(l->segment_bases().front(), offset(40));
  EXPECT_GT(l->segment_bases().front(), offset(0));
  auto below = l->read(offset(39), 100);
  ASSERT_FALSE(below);
  EXPECT_EQ(below.error().code, errc::offset_out_of_range);
  auto at = l->read(offset(40), 1);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->next_offset, offset(45));
  ASSERT_TRUE(l->flush_and_wait());
  // Survives a crash (no close): the checkpoint holds the log start.
  l.reset();
  auto again = open_log();
  EXPECT_EQ(again->log_start_offset(), offset(40));
}

TEST_F(log_test, close_and_reopen_is_clean) {
  cfg.segment_bytes = 1000;
  auto l = open_log();
  for (int i = 0; i < 20; ++i) append(*l, 5, 100, 1000 + i);
  auto before = l->read_bytes(offset(0), 1 << 20);
  ASSERT_TRUE(l->close());
  auto late = testing::make_batch(1, 1, 1);
  EXPECT_FALSE(l->append(late).has_value());
  l.reset();
  EXPECT_TRUE(*io.exists(dir + "/.clean_shutdown"));
  auto again = open_log();
  EXPECT_TRUE(again->recovery().clean_shutdown);
  EXPECT_EQ(again->recovery().segments_scanned, 0u);
  EXPECT_FALSE(*io.exists(dir + "/.clean_shutdown"));
  EXPECT_EQ(again->log_end_offset(), offset(100));
  EXPECT_EQ(*again->read_bytes(offset(0), 1 << 20), *before);
  EXPECT_EQ(append(*again).base_offset, offset(100));
  auto ts = again->find_offset_by_timestamp(1010);
  EXPECT_EQ((*ts)->base_offset, offset(50));
}

TEST_F(log_test, enospc_fails_the_append_and_keeps_the_log) {
  auto l = open_log();
  append(*l);
  io.fail_next(io_op::pwrite, ENOSPC);
  auto b = testing::make_batch(5, 100, 1);
  auto r = l->append(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::no_space);
  EXPECT_EQ(l->log_end_offset(), offset(5));
  EXPECT_EQ(append(*l).base_offset, offset(5));
  EXPECT_EQ(l->read(offset(0), 1 << 20)->next_offset, offset(10));
}

TEST_F(log_test, torn_write_is_cut_back_and_the_log_goes_on) {
  auto l = open_log();
  append(*l);
  io.limit_write_faults_to(".log");
  io.fail_writes_after(50, EIO);
  auto b = testing::make_batch(5, 100, 1);
  auto r = l->append(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io_error);
  io.clear_faults();
  EXPECT_EQ(file_size("00000000000000000000.log"), layout::header_size + 100);
  EXPECT_EQ(append(*l).base_offset, offset(5));
  l.reset();
  auto again = open_log();
  EXPECT_EQ(again->log_end_offset(), offset(10));
  EXPECT_EQ(again->recovery().bytes_truncated, 0u);
}

TEST_F(log_test, failed_append_across_a_roll_is_undone) {
  cfg.segment_bytes = 300;
  auto l = open_log();
  append(*l);
  std::vector<std::byte> buf;
  for (int i = 0; i < 3; ++i) {
    auto b = testing::make_batch(5, 100, 1);
    buf.insert(buf.end(), b.begin(), b.end());
  }
  io.limit_write_faults_to(".log");  // the flusher's checkpoint writes are not under test
  io.fail_writes_after(400, EIO);
  ASSERT_FALSE(l->append(buf));
  io.clear_faults();
  EXPECT_EQ(l->log_end_offset(), offset(5));
  EXPECT_EQ(append(*l).base_offset, offset(5));
}

TEST_F(log_test, short_writes_are_invisible) {
  io.set_short_writes(true);
  auto l = open_log();
  for (int i = 0; i < 10; ++i) append(*l, 2, 500, i);
  io.clear_faults();
  EXPECT_EQ(l->read(offset(0), 1 << 20)->next_offset, offset(20));
}

TEST_F(log_test, fsync_failure_fails_the_log) {
  auto l = open_log();
  append(*l);
  io.fail_next(io_op::fdatasync, EIO);
  auto r = l->flush_and_wait();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::log_failed);
  EXPECT_TRUE(l->failed());
  auto one = testing::make_batch(1, 1, 1);
  auto a = l->append(one);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, errc::log_failed);
  EXPECT_TRUE(l->read(offset(0), 100));  // still readable
}

TEST_F(log_test, durability_and_group_commit) {
  auto l = open_log();
  EXPECT_EQ(l->durable_end(), offset(0));
  std::atomic<int> done{0};
  std::atomic<int64_t> max_durable{0};
  for (int i = 0; i < 200; ++i) {
    auto r = append(*l, 1, 1000, i);
    l->wait_durable(r.last_offset, [&, r](sresult<offset> d) {
      ASSERT_TRUE(d);
      EXPECT_GT(*d, r.last_offset);
      max_durable = std::max<int64_t>(max_durable, (*d)());
      ++done;
    });
  }
  flush.drain();
  EXPECT_EQ(done.load(), 200);
  EXPECT_EQ(l->durable_end(), offset(200));
  // Fewer fsyncs than waiters (one per round covers all waiting appends).
  EXPECT_LT(flush.fsyncs(), 200u);
  bool immediate = false;
  l->wait_durable(offset(10), [&](sresult<offset> d) { immediate = d.has_value(); });
  EXPECT_TRUE(immediate);
}

TEST_F(log_test, flush_messages_flushes_by_itself) {
  cfg.flush_messages = 10;
  auto l = open_log();
  for (int i = 0; i < 3; ++i) append(*l, 5);
  flush.drain();
  EXPECT_GE(l->durable_end(), offset(10));
}

TEST_F(log_test, flush_ms_flushes_in_housekeeping) {
  cfg.flush_ms = 100;
  io.set_now(10'000);
  auto l = open_log();
  append(*l);
  ASSERT_TRUE(l->housekeeping());
  flush.drain();
  EXPECT_EQ(l->durable_end(), offset(0));
  io.advance(100);
  ASSERT_TRUE(l->housekeeping());
  flush.drain();
  EXPECT_EQ(l->durable_end(), offset(5));
}

TEST_F(log_test, truncation_lowers_durable_end) {
  auto l = open_log();
  for (int i = 0; i < 4; ++i) append(*l);
  ASSERT_TRUE(l->flush_and_wait());
  EXPECT_EQ(l->durable_end(), offset(20));
  ASSERT_TRUE(l->truncate_suffix(offset(10)));
  EXPECT_EQ(l->durable_end(), offset(10));
  append(*l);
  EXPECT_EQ(l->durable_end(), offset(10));
  ASSERT_TRUE(l->flush_and_wait());
  EXPECT_EQ(l->durable_end(), offset(15));
}

}  // namespace
}  // namespace vltava::storage
