// Transactions on a partition: transactional batches start a producer's transaction, markers
// end it, the last stable offset follows the oldest ongoing one, and ongoing transactions
// survive a clean close (snapshot) and a crash (log replay).

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>

#include "bytes/crc32c.h"
#include "bytes/endian.h"
#include "cluster/partition.h"
#include "cluster/test_node.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;

std::vector<std::byte> txn_batch(int64_t pid, int16_t epoch, int32_t seq, int n,
                                 bool transactional = true) {
  model::batch_options o;
  o.producer = model::producer_id(pid);
  o.epoch = model::producer_epoch(epoch);
  o.base_sequence = model::sequence(seq);
  o.transactional = transactional ? model::is_transactional::yes : model::is_transactional::no;
  model::record_batch_builder b(o);
  int64_t ts = testing::now_ms();
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(seq + i), v = "v" + std::to_string(seq + i);
    b.add(model::timestamp_ms(ts), std::as_bytes(std::span(k)), std::as_bytes(std::span(v)));
  }
  return b.build().value();
}

class PartitionTxn : public ::testing::Test {
 protected:
  std::unique_ptr<partition> open(int64_t segment_bytes = 1 << 20) {
    partition_settings s;
    s.log.segment_bytes = segment_bytes;
    auto l = storage::log::open(io, flusher, dir, {"t", model::partition_id(0)}, s.log);
    EXPECT_TRUE(l.has_value()) << l.error().message;
    return std::make_unique<partition>(ctx, protocol::uuid{}, std::move(*l), s);
  }
  append_outcome write(partition& p, std::vector<std::byte> b) { return p.write(b); }
  append_outcome marker(partition& p, int64_t pid, int16_t epoch, txn_result r, int32_t coord = 0) {
    return p.write_marker_now(model::producer_id(pid), model::producer_epoch(epoch), r, coord);
  }
  model::offset first_txn(partition& p, int64_t pid) {
    auto* e = p.producers().find(model::producer_id(pid));
    return e ? e->current_txn_first_offset : model::offset(-99);
  }

  storage::testing::temp_dir tmp;
  storage::posix_io io;
  storage::flusher flusher{io};
  asio::io_context ctx;
  std::string dir = tmp.sub("t-0");
};

TEST_F(PartitionTxn, LastStableOffsetWithInterleavedProducers) {
  auto p = open();
  EXPECT_EQ(p->last_stable_offset(), model::offset(0));
  ASSERT_EQ(write(*p, testing::batch(2, testing::now_ms())).error, error_code::none);  // 0-1
  EXPECT_EQ(p->last_stable_offset(), model::offset(2));
  ASSERT_EQ(write(*p, txn_batch(1, 0, 0, 3)).error, error_code::none);                 // 2-4
  ASSERT_EQ(write(*p, txn_batch(2, 0, 0, 2)).error, error_code::none);                 // 5-6
  ASSERT_EQ(write(*p, txn_batch(1, 0, 3, 1)).error, error_code::none);                 // 7
  ASSERT_EQ(write(*p, testing::batch(1, testing::now_ms())).error, error_code::none);  // 8
  EXPECT_EQ(first_txn(*p, 1), model::offset(2));
  EXPECT_EQ(first_txn(*p, 2), model::offset(5));
  EXPECT_EQ(p->last_stable_offset(), model::offset(2));
  EXPECT_EQ(p->high_watermark(), model::offset(9));

  auto c = marker(*p, 1, 0, txn_result::commit, 3);  // 9
  ASSERT_EQ(c.error, error_code::none) << c.message;
  EXPECT_EQ(c.base_offset, model::offset(9));
  EXPECT_EQ(first_txn(*p, 1), model::offset(-1));
  EXPECT_EQ(p->producers().find(model::producer_id(1))->coordinator_epoch, 3);
  EXPECT_EQ(p->last_stable_offset(), model::offset(5));

  // Producer 1 starts another transaction: the oldest (producer 2's) still bounds the LSO.
  ASSERT_EQ(write(*p, txn_batch(1, 0, 4, 1)).error, error_code::none);  // 10
  EXPECT_EQ(p->last_stable_offset(), model::offset(5));
  ASSERT_EQ(marker(*p, 2, 0, txn_result::abort).error, error_code::none);  // 11
  EXPECT_EQ(p->last_stable_offset(), model::offset(10));
  ASSERT_EQ(marker(*p, 1, 0, txn_result::abort, 3).error, error_code::none);  // 12
  EXPECT_EQ(p->last_stable_offset(), model::offset(13));
  EXPECT_EQ(p->last_stable_offset(), p->high_watermark());
  EXPECT_EQ(p->producers().ongoing_count(), 0u);
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionTxn, LastStableOffsetNeverBelowLogStart) {
  auto p = open();
  ASSERT_EQ(write(*p, txn_batch(1, 0, 0, 2)).error, error_code::none);                 // 0-1 open
  ASSERT_EQ(write(*p, testing::batch(3, testing::now_ms())).error, error_code::none);  // 2-4
  EXPECT_EQ(p->last_stable_offset(), model::offset(0));
  ASSERT_TRUE(p->log().set_log_start_offset(model::offset(3)).has_value());  // DeleteRecords
  EXPECT_EQ(p->last_stable_offset(), model::offset(3));
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionTxn, MarkerFencingAndResends) {
  auto p = open();
  ASSERT_EQ(write(*p, txn_batch(7, 3, 0, 1)).error, error_code::none);
  // An older producer epoch or coordinator epoch writes nothing.
  EXPECT_EQ(marker(*p, 7, 2, txn_result::commit).error, error_code::invalid_producer_epoch);
  ASSERT_EQ(marker(*p, 7, 3, txn_result::commit, 5).error, error_code::none);
  EXPECT_EQ(marker(*p, 7, 3, txn_result::commit, 4).error,
            error_code::transaction_coordinator_fenced);
  EXPECT_EQ(p->log_end_offset(), model::offset(2));
  // A resent marker (no ongoing transaction) and a marker for an unknown producer are written.
  EXPECT_EQ(marker(*p, 7, 3, txn_result::commit, 5).error, error_code::none);
  EXPECT_EQ(marker(*p, 8, 0, txn_result::abort).error, error_code::none);
  EXPECT_EQ(p->log_end_offset(), model::offset(4));
  // A newer epoch in a marker (the coordinator bumped it on abort) becomes the producer's.
  EXPECT_EQ(marker(*p, 7, 4, txn_result::abort, 5).error, error_code::none);
  EXPECT_EQ(p->producers().find(model::producer_id(7))->epoch, model::producer_epoch(4));
  EXPECT_EQ(write(*p, txn_batch(7, 3, 1, 1)).error, error_code::invalid_producer_epoch);
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionTxn, TransactionalProduceRules) {
  auto p = open();
  // Control batches from clients stay refused.
  model::end_txn_marker_batch m;
  m.producer = model::producer_id(1);
  m.epoch = model::producer_epoch(0);
  m.timestamp = model::timestamp_ms(testing::now_ms());
  EXPECT_EQ(write(*p, model::build_end_txn_marker(m)).error, error_code::invalid_record);
  // Inside a transaction a producer writes only transactional batches.
  ASSERT_EQ(write(*p, txn_batch(1, 0, 0, 1)).error, error_code::none);
  EXPECT_EQ(write(*p, txn_batch(1, 0, 1, 1, false)).error, error_code::invalid_txn_state);
  // Transactional batches are idempotent: a retry is a duplicate.
  auto dup = write(*p, txn_batch(1, 0, 0, 1));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(p->log_end_offset(), model::offset(1));
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionTxn, WriteMarkerCompletesWhenDurable) {
  auto p = open();
  ASSERT_EQ(write(*p, txn_batch(1, 0, 0, 2)).error, error_code::none);
  auto done = asio::co_spawn(
      ctx, p->write_marker(model::producer_id(1), model::producer_epoch(0), txn_result::commit, 0),
      asio::use_future);
  ctx.run_for(std::chrono::seconds(10));
  ASSERT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto out = done.get();
  EXPECT_EQ(out.error, error_code::none) << out.message;
  EXPECT_EQ(out.base_offset, model::offset(2));
  EXPECT_EQ(p->last_stable_offset(), model::offset(3));
  ASSERT_TRUE(p->close().has_value());
}

TEST_F(PartitionTxn, OngoingTransactionsSurviveCloseAndCrash) {
  {
    auto p = open();
    ASSERT_EQ(write(*p, txn_batch(1, 0, 0, 2)).error, error_code::none);         // 0-1
    ASSERT_EQ(write(*p, txn_batch(2, 0, 0, 1)).error, error_code::none);         // 2
    ASSERT_EQ(marker(*p, 1, 0, txn_result::commit, 2).error, error_code::none);  // 3
    ASSERT_TRUE(p->close().has_value());                                         // snapshot at 4
  }
  producer_state before;
  {
    auto p = open();
    EXPECT_EQ(first_txn(*p, 2), model::offset(2));
    EXPECT_EQ(first_txn(*p, 1), model::offset(-1));
    EXPECT_EQ(p->producers().find(model::producer_id(1))->coordinator_epoch, 2);
    EXPECT_EQ(p->last_stable_offset(), model::offset(2));
    ASSERT_EQ(write(*p, txn_batch(1, 0, 2, 1)).error, error_code::none);        // 4
    ASSERT_EQ(marker(*p, 2, 0, txn_result::abort, 2).error, error_code::none);  // 5
    EXPECT_EQ(p->last_stable_offset(), model::offset(4));
    ASSERT_TRUE(p->log().flush_and_wait().has_value());
    before = p->producers();
    // "kill -9": no close, the snapshot at 4 plus the log after it rebuild the state.
  }
  {
    auto p = open();
    EXPECT_EQ(p->producers(), before);
    EXPECT_EQ(first_txn(*p, 1), model::offset(4));
    EXPECT_EQ(first_txn(*p, 2), model::offset(-1));
    EXPECT_EQ(p->last_stable_offset(), model::offset(4));
  }
  // With no snapshot at all the whole log is replayed, markers included.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".snapshot") std::filesystem::remove(e.path());
  }
  {
    auto p = open();
    EXPECT_EQ(p->producers(), before);
    EXPECT_EQ(p->last_stable_offset(), model::offset(4));
  }
}

TEST_F(PartitionTxn, ReadCommittedRangeAndAbortedList) {
  std::vector<aborted_txn> aborted;
  {
    auto p = open();
    ASSERT_EQ(write(*p, txn_batch(1, 0, 0, 2)).error, error_code::none);     // 0-1 aborted
    ASSERT_EQ(write(*p, txn_batch(2, 0, 0, 1)).error, error_code::none);     // 2 committed
    ASSERT_EQ(write(*p, txn_batch(1, 0, 2, 1)).error, error_code::none);     // 3 aborted
    ASSERT_EQ(marker(*p, 1, 0, txn_result::abort).error, error_code::none);  // 4
    EXPECT_EQ(p->last_stable_offset(), model::offset(2));
    ASSERT_EQ(write(*p, txn_batch(3, 0, 0, 1)).error, error_code::none);      // 5 ongoing
    ASSERT_EQ(marker(*p, 2, 0, txn_result::commit).error, error_code::none);  // 6
    EXPECT_EQ(p->last_stable_offset(), model::offset(5));
    // read_committed stops at the LSO: batches 0-4, not producer 3's ongoing one.
    auto r = p->read(model::offset(0), 1 << 20, p->last_stable_offset());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->next_offset, model::offset(5));
    auto a = p->aborted_transactions(model::offset(0), r->next_offset);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].producer, model::producer_id(1));
    EXPECT_EQ(a[0].first_offset, model::offset(0));
    EXPECT_EQ(a[0].last_offset, model::offset(4));
    EXPECT_EQ(a[0].last_stable_offset, model::offset(2));  // producer 2 was still open
    // Ranges after the marker or before the transaction see nothing.
    EXPECT_TRUE(p->aborted_transactions(model::offset(5), model::offset(7)).empty());
    EXPECT_EQ(p->aborted_transactions(model::offset(4), model::offset(5)).size(), 1u);
    EXPECT_TRUE(p->read(model::offset(5), 1 << 20, p->last_stable_offset())->empty());
    ASSERT_EQ(marker(*p, 3, 0, txn_result::abort).error, error_code::none);  // 7
    EXPECT_EQ(p->aborted_transactions(model::offset(0), model::offset(8)).size(), 2u);
    aborted = p->producers().aborted();
    ASSERT_TRUE(p->log().flush_and_wait().has_value());
    // crash: the list is rebuilt from the log
  }
  {
    auto p = open();
    EXPECT_EQ(p->producers().aborted(), aborted);
    ASSERT_TRUE(p->close().has_value());
  }
  {
    auto p = open();  // from the snapshot of the clean close
    EXPECT_EQ(p->producers().aborted(), aborted);
    EXPECT_EQ(p->last_stable_offset(), model::offset(8));
  }
}

std::vector<std::byte> kv_batch(int64_t pid, int32_t seq, const std::string& k,
                                const std::string& v) {
  model::batch_options o;
  o.producer = model::producer_id(pid);
  o.epoch = model::producer_epoch(0);
  o.base_sequence = model::sequence(seq);
  o.transactional = pid >= 0 ? model::is_transactional::yes : model::is_transactional::no;
  if (pid < 0) o.base_sequence = model::sequence(-1);
  model::record_batch_builder b(o);
  b.add(model::timestamp_ms(testing::now_ms()), std::as_bytes(std::span(k)),
        std::as_bytes(std::span(v)));
  return b.build().value();
}

TEST_F(PartitionTxn, CompactionDropsAbortedAndStopsAtFirstUnstable) {
  partition_settings s;
  s.log.segment_bytes = 1;  // every batch in its own segment
  s.log.cleanup = storage::cleanup_policy{false, true};
  auto l = storage::log::open(io, flusher, dir, {"t", model::partition_id(0)}, s.log);
  ASSERT_TRUE(l.has_value()) << l.error().message;
  partition p(ctx, protocol::uuid{}, std::move(*l), s);
  ASSERT_EQ(write(p, kv_batch(1, 0, "a", "good")).error, error_code::none);     // 0
  ASSERT_EQ(marker(p, 1, 0, txn_result::commit).error, error_code::none);       // 1
  ASSERT_EQ(write(p, kv_batch(2, 0, "a", "aborted")).error, error_code::none);  // 2
  ASSERT_EQ(marker(p, 2, 0, txn_result::abort).error, error_code::none);        // 3
  ASSERT_EQ(write(p, kv_batch(3, 0, "b", "open")).error, error_code::none);     // 4 ongoing
  ASSERT_EQ(write(p, kv_batch(-1, 0, "b", "plain")).error, error_code::none);   // 5
  ASSERT_EQ(write(p, kv_batch(-1, 0, "c", "tail")).error, error_code::none);    // 6
  EXPECT_EQ(p.last_stable_offset(), model::offset(4));
  auto job = p.log().begin_compaction(storage::log::compaction_trigger::forced);
  ASSERT_TRUE(job.has_value());
  EXPECT_LE(job->clean_end(), model::offset(4));  // never past the first unstable offset
  ASSERT_TRUE(job->run().has_value());
  ASSERT_TRUE(p.log().finish_compaction(*job).has_value());

  // What is left: offset -> (control?, value).
  std::map<int64_t, std::string> left;
  auto bytes = p.log().read_bytes(model::offset(0), 1 << 20);
  ASSERT_TRUE(bytes.has_value());
  std::span<const std::byte> rest(*bytes);
  while (!rest.empty()) {
    auto h = model::parse_header(rest);
    ASSERT_TRUE(h.has_value());
    auto batch = rest.first(h->size_bytes());
    if (h->is_control()) {
      left[h->base_offset()] = "marker";
    } else {
      auto sec = model::batch_records(batch, *h, 1 << 20);
      auto recs = model::read_records(sec->bytes(), h->record_count);
      ASSERT_TRUE(recs.has_value());
      for (const auto& r : *recs) {
        left[h->base_offset() + r.offset_delta] =
            std::string(reinterpret_cast<const char*>(r.value->data()), r.value->size());
      }
    }
    rest = rest.subspan(h->size_bytes());
  }
  // The aborted "a" neither survives nor displaces the committed one; markers stay; the open
  // transaction's "b" is not cleaned although "plain" overwrites it later.
  std::map<int64_t, std::string> want{{0, "good"}, {1, "marker"}, {3, "marker"},
                                      {4, "open"}, {5, "plain"},  {6, "tail"}};
  EXPECT_EQ(left, want);
  ASSERT_TRUE(p.close().has_value());
}

TEST(ProducerStateTxn, SnapshotVersionOneStillReads) {
  producer_state s;
  producer_entry e;
  e.epoch = model::producer_epoch(1);
  e.last_timestamp_ms = 5;
  s.put(model::producer_id(9), e);
  auto bytes = s.encode();
  // A version 1 file is the same without the trailing aborted-transaction count.
  bytes.resize(bytes.size() - 4);
  bytes[1] = std::byte{1};
  uint32_t crc = bytes::crc32c(std::span<const std::byte>(bytes).subspan(6));
  bytes::store_be<uint32_t>(bytes.data() + 2, crc);
  auto d = producer_state::decode(bytes);
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(*d, s);
}

TEST(ProducerStateTxn, SnapshotKeepsTransactions) {
  producer_state s;
  producer_entry e;
  e.epoch = model::producer_epoch(2);
  e.coordinator_epoch = 9;
  e.current_txn_first_offset = model::offset(40);
  s.put(model::producer_id(3), e);
  e.current_txn_first_offset = model::offset(12);
  s.put(model::producer_id(4), e);
  EXPECT_EQ(s.first_unstable_offset(), model::offset(12));
  auto d = producer_state::decode(s.encode());
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(*d, s);
  EXPECT_EQ(d->first_unstable_offset(), model::offset(12));
  e.current_txn_first_offset = model::offset(-1);
  s.put(model::producer_id(4), e);
  EXPECT_EQ(s.first_unstable_offset(), model::offset(40));

  // Aborted transactions round-trip and are forgotten with their segments.
  model::record_batch_header h;
  h.producer = model::producer_id(3);
  h.epoch = model::producer_epoch(2);
  h.base_offset = model::offset(50);
  h.attributes = model::batch_attribute::transactional | model::batch_attribute::control;
  s.apply(h, txn_marker{model::control_record_type::abort, 9});
  ASSERT_EQ(s.aborted().size(), 1u);
  EXPECT_EQ(s.aborted()[0], (aborted_txn{model::producer_id(3), model::offset(40),
                                         model::offset(50), model::offset(51)}));
  auto d2 = producer_state::decode(s.encode());
  ASSERT_TRUE(d2.has_value()) << d2.error();
  EXPECT_EQ(*d2, s);
  s.forget_aborted_below(model::offset(51));
  EXPECT_TRUE(s.aborted().empty());
}

}  // namespace
}  // namespace vltava::cluster
