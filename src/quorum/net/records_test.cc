#include <gtest/gtest.h>

#include "model/record_batch_header.h"
#include "quorum/net/rpc.h"
#include "quorum/net/testing.h"

namespace vltava::quorum::rpc {
namespace {

using testing::batch_entry;
using testing::batch_kind;

TEST(records, entries_round_trip_with_their_offsets_epochs_and_kinds) {
  std::vector<entry> entries{batch_entry(0, 1, 1, batch_kind::control), batch_entry(1, 1, 5),
                             batch_entry(6, 2, 1, batch_kind::control), batch_entry(7, 2, 2)};
  auto back = entries_of(records_of(entries));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, entries);
}

TEST(records, an_entry_spans_its_batch_offsets) {
  auto back = entries_of(records_of({batch_entry(10, 1, 5), batch_entry(15, 1, 1)}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at(0).record_count, 5u);
  EXPECT_EQ(back->at(0).next_offset(), model::offset(15));
  EXPECT_EQ(back->at(1).record_count, 1u);
}

TEST(records, only_a_leader_change_control_batch_is_a_leader_change) {
  model::end_txn_marker_batch marker;
  marker.producer = model::producer_id(5);
  marker.epoch = model::producer_epoch(0);
  marker.partition_leader_epoch = model::leader_epoch(1);
  auto bytes = model::build_end_txn_marker(marker);
  auto back = entries_of(bytes);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->at(0).kind, entry_kind::data);
  EXPECT_EQ(entries_of(records_of({batch_entry(0, 1, 1, batch_kind::control)}))->at(0).kind,
            entry_kind::leader_change);
}

TEST(records, empty_records_are_no_entries) {
  auto back = entries_of({});
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
}

TEST(records, the_entry_sets_base_offset_and_epoch_in_the_header) {
  entry e = batch_entry(0, 0, 2);
  e.offset = model::offset(40);
  e.epoch = model::leader_epoch(9);
  auto bytes = records_of({e});
  auto h = model::validate_batch(bytes);  // the CRC does not cover them: still valid
  ASSERT_TRUE(h);
  EXPECT_EQ(h->base_offset, model::offset(40));
  EXPECT_EQ(h->partition_leader_epoch, model::leader_epoch(9));
}

TEST(records, malformed_records_are_errors_never_crashes) {
  auto good = records_of({batch_entry(0, 1, 3), batch_entry(3, 1, 2)});
  // Every truncation but the one at the batch boundary is an error.
  const size_t first_batch = batch_entry(0, 1, 3).payload.size();
  for (size_t n = 1; n < good.size(); ++n) {
    auto r = entries_of(std::span(good).first(n));
    EXPECT_EQ(r.has_value(), n == first_batch) << n;
  }
  auto bad_crc = good;
  bad_crc[model::batch_layout::header_size + 2] ^= std::byte{1};
  EXPECT_FALSE(entries_of(bad_crc));
  auto bad_magic = good;
  bad_magic[model::batch_layout::magic] = std::byte{1};
  EXPECT_FALSE(entries_of(bad_magic));
  std::vector<std::byte> garbage(200, std::byte{0xff});
  EXPECT_FALSE(entries_of(garbage));
}

TEST(records, batches_must_follow_each_other) {
  auto gap = records_of({batch_entry(0, 1, 3), batch_entry(4, 1, 1)});
  auto r = entries_of(gap);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("does not follow"), std::string::npos) << r.error();
  auto overlap = records_of({batch_entry(0, 1, 3), batch_entry(2, 1, 1)});
  EXPECT_FALSE(entries_of(overlap));
}

}  // namespace
}  // namespace vltava::quorum::rpc
