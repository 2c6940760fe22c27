// Transactions on the data path, handler level: transactional produce, markers written on the
// owning shard, read_committed Fetch (LSO bound, aborted_transactions), ListOffsets with
// READ_COMMITTED, and DescribeProducers.

#include <gtest/gtest.h>

#include "kafka/handlers/describe_producers.h"
#include "kafka/handlers/fetch.h"
#include "kafka/handlers/list_offsets.h"
#include "kafka/handlers/produce.h"
#include "kafka/testing/handler_test_env.h"

namespace vltava::kafka {
namespace {

using cluster::testing::now_ms;
using protocol::error_code;
using testing::handler_env;

std::vector<std::byte> txn_batch(int64_t pid, int32_t seq, int n) {
  model::batch_options o;
  o.producer = model::producer_id(pid);
  o.epoch = model::producer_epoch(0);
  o.base_sequence = model::sequence(seq);
  o.transactional = model::is_transactional::yes;
  model::record_batch_builder b(o);
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(i);
    b.add(model::timestamp_ms(now_ms()), std::as_bytes(std::span(k)), std::as_bytes(std::span(k)));
  }
  return b.build().value();
}

protocol::produce_request produce_req(std::span<const std::byte> records) {
  protocol::produce_request req;
  req.acks = -1;
  req.timeout_ms = 30000;
  req.transactional_id = "tx";
  auto& t = req.topic_data.emplace_back();
  t.name = "t";
  auto& pd = t.partition_data.emplace_back();
  pd.index = 0;
  pd.records = protocol::records_view{records, false};
  return req;
}

protocol::fetch_request fetch_req(int64_t offset, int8_t isolation) {
  protocol::fetch_request req;
  req.max_wait_ms = 0;
  req.min_bytes = 1;
  req.max_bytes = 1 << 20;
  req.session_epoch = -1;
  req.isolation_level = isolation;
  auto& t = req.topics.emplace_back();
  t.topic = "t";
  auto& fp = t.partitions.emplace_back();
  fp.partition = 0;
  fp.fetch_offset = model::offset(offset);
  fp.partition_max_bytes = 1 << 20;
  return req;
}

TEST(TransactionsData, ReadCommittedFetchListOffsetsAndDescribeProducers) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 1}}));
  const unsigned owner = env.node.owner("t", 0);
  auto produce = [&](std::vector<std::byte> b) {
    auto r = env.call<protocol::produce_api>(9, produce_req(b), owner);
    EXPECT_TRUE(r);
    return r->responses.at(0).partition_responses.at(0).error_code;
  };
  auto marker = [&](int64_t pid, cluster::txn_result res) {
    auto out = env.node.on_owner("t", 0, [&](cluster::partition* p) {
      return p->write_marker_now(model::producer_id(pid), model::producer_epoch(0), res, 1);
    });
    EXPECT_EQ(out.error, error_code::none) << out.message;
  };
  ASSERT_EQ(produce(txn_batch(1, 0, 2)), error_code::none);  // 0-1, aborted below
  ASSERT_EQ(produce(txn_batch(2, 0, 1)), error_code::none);  // 2, still open
  marker(1, cluster::txn_result::abort);                     // 3

  auto fetch = [&](int64_t from, int8_t iso) {
    auto f = env.call<protocol::fetch_api>(12, fetch_req(from, iso), owner);
    EXPECT_TRUE(f);
    return f->responses.at(0).partitions.at(0);
  };
  auto committed = fetch(0, 1);
  EXPECT_EQ(committed.error_code, error_code::none);
  EXPECT_EQ(committed.high_watermark, model::offset(4));
  EXPECT_EQ(committed.last_stable_offset, model::offset(2));
  ASSERT_TRUE(committed.aborted_transactions.has_value());
  ASSERT_EQ(committed.aborted_transactions->size(), 1u);
  EXPECT_EQ(committed.aborted_transactions->at(0).producer_id, model::producer_id(1));
  EXPECT_EQ(committed.aborted_transactions->at(0).first_offset, model::offset(0));
  auto h = model::parse_header(committed.records.data);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->last_offset(), model::offset(1));  // nothing of producer 2's open transaction
  EXPECT_EQ(committed.records.data.size(), h->size_bytes());
  // At the LSO: nothing to read yet.
  EXPECT_TRUE(fetch(2, 1).records.data.empty());
  // read_uncommitted sees everything and no aborted list.
  auto uncommitted = fetch(0, 0);
  EXPECT_FALSE(uncommitted.aborted_transactions.has_value());
  EXPECT_EQ(uncommitted.last_stable_offset, model::offset(2));
  EXPECT_GT(uncommitted.records.data.size(), committed.records.data.size());

  protocol::list_offsets_request lo;
  lo.isolation_level = 1;
  auto& lt = lo.topics.emplace_back();
  lt.name = "t";
  lt.partitions.emplace_back().timestamp = -1;
  auto l = env.call<protocol::list_offsets_api>(7, lo, owner);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->topics.at(0).partitions.at(0).offset, 2);
  lo.isolation_level = 0;
  l = env.call<protocol::list_offsets_api>(7, lo, owner);
  EXPECT_EQ(l->topics.at(0).partitions.at(0).offset, 4);

  protocol::describe_producers_request dp;
  auto& dt = dp.topics.emplace_back();
  dt.name = "t";
  dt.partition_indexes = {model::partition_id(0), model::partition_id(5)};
  auto d = env.call<protocol::describe_producers_api>(0, dp, owner);
  ASSERT_TRUE(d);
  const auto& parts = d->topics.at(0).partitions;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].error_code, error_code::unknown_topic_or_partition);
  ASSERT_EQ(parts[0].active_producers.size(), 2u);
  EXPECT_EQ(parts[0].active_producers[0].producer_id, model::producer_id(1));
  EXPECT_EQ(parts[0].active_producers[0].coordinator_epoch, 1);
  EXPECT_EQ(parts[0].active_producers[0].current_txn_start_offset, -1);
  EXPECT_EQ(parts[0].active_producers[0].last_sequence, 1);
  EXPECT_EQ(parts[0].active_producers[1].producer_id, model::producer_id(2));
  EXPECT_EQ(parts[0].active_producers[1].current_txn_start_offset, 2);

  // The commit moves the LSO to the end: producer 2's record becomes readable.
  marker(2, cluster::txn_result::commit);  // 4
  auto after = fetch(2, 1);
  EXPECT_EQ(after.last_stable_offset, model::offset(5));
  EXPECT_FALSE(after.records.data.empty());
  // Producer 1's abort marker (offset 3) lies in the range returned: still listed.
  ASSERT_EQ(after.aborted_transactions->size(), 1u);
  EXPECT_TRUE(fetch(4, 1).aborted_transactions->empty());
}

TEST(TransactionsData, ReadCommittedTimestampLookupsStopAtTheLso) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 1}}));
  const unsigned owner = env.node.owner("t", 0);
  auto batch = [](model::batch_options o, int64_t ts) {
    model::record_batch_builder b(o);
    std::string v = "v";
    b.add(model::timestamp_ms(ts), std::nullopt, std::as_bytes(std::span(v)));
    return b.build().value();
  };
  auto plain = batch({}, 1000);  // offset 0, committed
  model::batch_options txn;
  txn.producer = model::producer_id(1);
  txn.epoch = model::producer_epoch(0);
  txn.base_sequence = model::sequence(0);
  txn.transactional = model::is_transactional::yes;
  auto open = batch(txn, 2000);  // offset 1, in an open transaction
  for (auto* b : {&plain, &open}) {
    auto req = produce_req(*b);
    if (b == &plain) req.transactional_id.reset();
    auto r = env.call<protocol::produce_api>(9, req, owner);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->responses.at(0).partition_responses.at(0).error_code, error_code::none);
  }
  auto lookup = [&](int64_t ts, int8_t isolation) {
    protocol::list_offsets_request lo;
    lo.isolation_level = isolation;
    auto& lt = lo.topics.emplace_back();
    lt.name = "t";
    lt.partitions.emplace_back().timestamp = ts;
    auto l = env.call<protocol::list_offsets_api>(7, lo, owner);
    EXPECT_TRUE(l);
    return l->topics.at(0).partitions.at(0).offset;
  };
  EXPECT_EQ(lookup(1500, 0), 1);
  EXPECT_EQ(lookup(1500, 1), -1);  // found at the LSO: not visible yet
  EXPECT_EQ(lookup(500, 1), 0);
  EXPECT_EQ(lookup(-3, 0), 1);  // max timestamp
  EXPECT_EQ(lookup(-3, 1), -1);
  EXPECT_EQ(lookup(-2, 1), 0);  // earliest
}

}  // namespace
}  // namespace vltava::kafka
