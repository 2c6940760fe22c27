// Compaction: newest record per key, offsets kept, tombstones after delete.retention.ms,
// control batches kept, compressed batches, dirty ratio, and crashes around the swap.

#include "storage/compaction.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/log_test_fixture.h"

namespace vltava::storage {
namespace {
using model::offset;

std::vector<std::byte> as_bytes(const std::string& s) {
  std::vector<std::byte> b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return b;
}

struct kv {
  int64_t off;
  std::string key;
  std::optional<std::string> value;
  bool operator==(const kv&) const = default;
};

class compaction_test : public testing::log_fixture {
 protected:
  void SetUp() override {
    cfg.cleanup = {.del = false, .compact = true};
    cfg.segment_bytes = 600;
    io.set_now(10'000'000);
  }
  // One batch of (key, value) records; value nullopt is a tombstone.
  void put(log& l, std::vector<std::pair<std::string, std::optional<std::string>>> recs,
           model::compression codec = model::compression::none) {
    model::batch_options o;
    o.codec = codec;
    model::record_batch_builder b(o);
    std::vector<std::vector<std::byte>> keep;
    for (auto& [k, v] : recs) {
      keep.push_back(as_bytes(k));
      model::bytes_view kv_key = keep.back();
      std::optional<model::bytes_view> val;
      if (v) {
        keep.push_back(as_bytes(*v));
        val = model::bytes_view(keep.back());
      }
      b.add(model::timestamp_ms(io.now_ms()), kv_key, val);
    }
    auto batch = b.build();
    ASSERT_TRUE(batch);
    ASSERT_TRUE(l.append(*batch));
  }
  std::vector<kv> contents(log& l, bool* saw_control = nullptr) {
    std::vector<kv> out;
    auto bytes = l.read_bytes(l.log_start_offset(), 1 << 24);
    EXPECT_TRUE(bytes);
    std::span<const std::byte> rest(*bytes);
    while (!rest.empty()) {
      auto h = model::validate_batch(rest.first(model::parse_header(rest)->size_bytes()));
      EXPECT_TRUE(h);
      auto batch = rest.first(h->size_bytes());
      if (h->is_control()) {
        if (saw_control) *saw_control = true;
      } else {
        auto sec = model::batch_records(batch, *h, 1 << 24);
        auto recs = model::read_records(sec->bytes(), h->record_count);
        EXPECT_TRUE(recs);
        for (auto& r : *recs) {
          std::string k(reinterpret_cast<const char*>(r.key->data()), r.key->size());
          std::optional<std::string> v;
          if (r.value) v.emplace(reinterpret_cast<const char*>(r.value->data()), r.value->size());
          out.push_back({h->base_offset() + r.offset_delta, k, v});
        }
      }
      rest = rest.subspan(h->size_bytes());
    }
    return out;
  }
  // Writes 8 rounds of keys k0..k4 (values "round-key").
  void fill(log& l, int rounds = 8, model::compression codec = model::compression::none) {
    for (int r = 0; r < rounds; ++r) {
      std::vector<std::pair<std::string, std::optional<std::string>>> recs;
      for (int k = 0; k < 5; ++k) {
        recs.push_back({"k" + std::to_string(k), std::to_string(r) + "-" + std::to_string(k)});
      }
      put(l, recs, codec);
    }
  }
  static void expect_newest_per_key(const std::vector<kv>& before, const std::vector<kv>& after) {
    std::map<std::string, kv> newest;
    for (auto& e : before) newest[e.key] = e;
    for (auto& [k, e] : newest) {
      EXPECT_NE(std::find(after.begin(), after.end(), e), after.end()) << k;
    }
    for (size_t i = 1; i < after.size(); ++i) EXPECT_LT(after[i - 1].off, after[i].off);
    for (auto& e : after) {  // nothing invented: every record is one that was written
      EXPECT_NE(std::find(before.begin(), before.end(), e), before.end());
    }
  }
};

TEST_F(compaction_test, keeps_the_newest_record_per_key_and_offsets) {
  auto l = open_log();
  fill(*l);
  auto before = contents(*l);
  offset end = l->log_end_offset();
  EXPECT_FALSE(l->begin_compaction());  // high watermark still 0: nothing cleanable
  l->set_high_watermark(end);
  auto st = l->compact();
  ASSERT_TRUE(st);
  EXPECT_GT(st->segments_rewritten, 0u);
  EXPECT_GT(st->records_removed, 0u);
  EXPECT_LT(st->bytes_after, st->bytes_before);
  auto after = contents(*l);
  EXPECT_LT(after.size(), before.size());
  expect_newest_per_key(before, after);
  EXPECT_EQ(l->log_end_offset(), end);
  // Reads from an offset removed by compaction start at the next batch kept.
  auto r = l->read(offset(1), 1);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->empty());
  // Nothing dirty left: no second pass.
  EXPECT_FALSE(l->begin_compaction());
  // Survives reopening, clean or not.
  l.reset();
  auto again = open_log();
  EXPECT_EQ(contents(*again), after);
  ASSERT_TRUE(again->close());
  again.reset();
  auto third = open_log();
  EXPECT_EQ(contents(*third), after);
  EXPECT_EQ(third->log_end_offset(), end);
}

TEST_F(compaction_test, compressed_batches) {
  auto l = open_log();
  fill(*l, 8, model::compression::lz4);
  auto before = contents(*l);
  l->set_high_watermark(l->log_end_offset());
  ASSERT_TRUE(l->compact());
  auto after = contents(*l);
  EXPECT_LT(after.size(), before.size());
  expect_newest_per_key(before, after);
}

TEST_F(compaction_test, tombstones_go_after_delete_retention_and_one_pass) {
  cfg.delete_retention_ms = 1000;
  auto l = open_log();
  put(*l, {{"a", "1"}, {"b", "1"}});
  put(*l, {{"a", std::nullopt}});
  fill(*l, 6);
  l->set_high_watermark(l->log_end_offset());
  ASSERT_TRUE(l->compact(log::compaction_trigger::forced));
  auto has_tombstone = [&] {
    for (auto& e : contents(*l)) {
      if (e.key == "a" && !e.value) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_tombstone());  // first pass: kept for consumers to see
  io.advance(2000);
  fill(*l, 6);
  l->set_high_watermark(l->log_end_offset());
  auto st = l->compact(log::compaction_trigger::forced);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->tombstones_removed, 1u);
  EXPECT_FALSE(has_tombstone());
  bool b_kept = false;
  for (auto& e : contents(*l)) b_kept |= e.key == "b";
  EXPECT_TRUE(b_kept);
}

TEST_F(compaction_test, control_batches_are_kept) {
  auto l = open_log();
  fill(*l, 3);
  model::end_txn_marker_batch m;
  m.producer = model::producer_id(7);
  m.epoch = model::producer_epoch(0);
  m.timestamp = model::timestamp_ms(io.now_ms());
  auto marker = model::build_end_txn_marker(m);
  ASSERT_TRUE(l->append(marker));
  fill(*l, 5);
  l->set_high_watermark(l->log_end_offset());
  ASSERT_TRUE(l->compact(log::compaction_trigger::forced));
  bool saw = false;
  contents(*l, &saw);
  EXPECT_TRUE(saw);
}

TEST_F(compaction_test, dirty_ratio_and_lag_hold_it_back) {
  cfg.min_compaction_lag_ms = 5000;
  auto l = open_log();
  fill(*l);
  l->set_high_watermark(l->log_end_offset());
  EXPECT_FALSE(l->begin_compaction());  // too young
  io.advance(5000);
  ASSERT_TRUE(l->begin_compaction());
  ASSERT_TRUE(l->compact());
  put(*l, {{"k1", "x"}});
  l->set_high_watermark(l->log_end_offset());
  EXPECT_FALSE(l->begin_compaction());  // little dirty data: below 0.5
}

TEST_F(compaction_test, abandoned_when_the_log_changes_meanwhile) {
  auto l = open_log();
  fill(*l);
  auto before = contents(*l);
  l->set_high_watermark(l->log_end_offset());
  auto job = l->begin_compaction();
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->run());
  ASSERT_TRUE(l->truncate_suffix(offset(10)));
  auto st = l->finish_compaction(*job);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->segments_rewritten, 0u);
  for (auto& f : files()) EXPECT_FALSE(f.ends_with(".cleaned")) << f;
  EXPECT_EQ(l->log_end_offset(), offset(10));
}

TEST_F(compaction_test, crash_before_the_commit_point_changes_nothing) {
  auto l = open_log();
  fill(*l);
  auto before = contents(*l);
  l->set_high_watermark(l->log_end_offset());
  auto job = l->begin_compaction();
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->run());  // .cleaned files written; then the process dies
  l.reset();
  auto again = open_log();
  EXPECT_EQ(contents(*again), before);
  for (auto& f : files()) EXPECT_FALSE(f.ends_with(".cleaned")) << f;
}

TEST_F(compaction_test, crash_after_the_commit_point_completes_the_swap) {
  auto l = open_log();
  fill(*l, 20);
  auto before = contents(*l);
  l->set_high_watermark(l->log_end_offset());
  auto job = l->begin_compaction();
  ASSERT_TRUE(job);
  ASSERT_TRUE(job->run());
  // What finish does up to its commit point, then the process dies.
  size_t swapped = 0;
  for (auto& s : job->sources()) {
    if (!s.changed) continue;
    ASSERT_TRUE(io.rename(s.cleaned_path, s.log->path() + ".swap"));
    if (++swapped == 1) {
      // and one .swap already renamed into place
      ASSERT_TRUE(io.rename(s.log->path() + ".swap", s.log->path()));
    }
  }
  ASSERT_GT(swapped, 1u);
  l.reset();
  auto again = open_log();
  auto after = contents(*again);
  EXPECT_LT(after.size(), before.size());
  expect_newest_per_key(before, after);
  for (auto& f : files()) EXPECT_FALSE(f.ends_with(".swap")) << f;
  for (int o = 0; o < 40; ++o) EXPECT_TRUE(again->read(offset(o), 1));
}

}  // namespace
}  // namespace vltava::storage
