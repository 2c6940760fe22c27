// The __transaction_state records: value v0 bytes checked by hand against Kafka's layout,
// v1 (flexible, tagged fields) read, bad input refused with a reason.

#include "coord/txn_records.h"

#include <gtest/gtest.h>

namespace vltava::coord {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(txn_records, key_v0_is_the_transactional_id) {
  EXPECT_EQ(encode_txn_key("ab"), bytes({0, 0, 0, 2, 'a', 'b'}));
  EXPECT_EQ(decode_txn_key(bytes({0, 0, 0, 2, 'a', 'b'})).value(), "ab");
  EXPECT_FALSE(decode_txn_key(bytes({0, 1, 0, 2, 'a', 'b'})).has_value());  // version 1
  EXPECT_FALSE(decode_txn_key(bytes({0, 0, 0, 3, 'a', 'b'})).has_value());  // truncated
}

TEST(txn_records, value_v0_layout) {
  txn_value v;
  v.producer_id = 7;
  v.producer_epoch = 2;
  v.timeout_ms = 60000;
  v.status = txn_status::ongoing;
  v.partitions = {{"t", model::partition_id(1)}, {"t", model::partition_id(0)}};
  v.last_update_ms = 5;
  v.start_ms = 4;
  auto b = encode_txn_value(v);
  EXPECT_EQ(b, bytes({0, 0,                             // version
                      0, 0, 0,    0,    0, 0, 0, 7,     // producer id
                      0, 2,                             // epoch
                      0, 0, 0xea, 0x60,                 // timeout 60000
                      1,                                // Ongoing
                      0, 0, 0,    1,                    // one topic
                      0, 1, 't',  0,    0, 0, 2,        // "t", two partitions
                      0, 0, 0,    0,    0, 0, 0, 1,     // 0 and 1, sorted
                      0, 0, 0,    0,    0, 0, 0, 5,     // last update
                      0, 0, 0,    0,    0, 0, 0, 4}));  // start
  EXPECT_EQ(decode_txn_value(b).value(), v);
  b.push_back(std::byte{0});
  EXPECT_FALSE(decode_txn_value(b).has_value());  // trailing bytes
}

TEST(txn_records, value_v1_flexible_is_read) {
  auto b =
      bytes({0, 1,                        // version 1
             0, 0,   0, 0, 0, 0,   0, 7,  // producer id
             0, 2,   0, 0, 0, 100,        // epoch, timeout
             4,                           // CompleteCommit
             2,                           // compact array: one topic
             2, 't', 2, 0, 0, 0,   3, 0,  // "t", [3], no tags
             0, 0,   0, 0, 0, 0,   0, 5, 0, 0, 0,
             0, 0,   0, 0, 4, 1,   2, 2, 0, 2});  // one tagged field (ClientTransactionVersion 2)
  auto v = decode_txn_value(b);
  ASSERT_TRUE(v.has_value()) << v.error();
  EXPECT_EQ(v->status, txn_status::complete_commit);
  EXPECT_EQ(v->partitions, (std::set<model::topic_partition>{{"t", model::partition_id(3)}}));
  EXPECT_EQ(v->timeout_ms, 100);
}

TEST(txn_records, unknown_status_and_null_partitions) {
  txn_value v;
  v.status = txn_status::empty;
  auto b = encode_txn_value(v);
  b[16] = std::byte{9};  // status
  EXPECT_FALSE(decode_txn_value(b).has_value());
  b[16] = std::byte{0};
  // A null partitions array (Kafka writes one for Empty transactions) reads as no partitions.
  for (int i = 17; i < 21; ++i) b[i] = std::byte{0xff};
  auto d = decode_txn_value(b);
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_TRUE(d->partitions.empty());
  EXPECT_EQ(txn_status_name(txn_status::prepare_epoch_fence), "PrepareEpochFence");
}

}  // namespace
}  // namespace vltava::coord
