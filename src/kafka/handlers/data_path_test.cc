// Handler-level tests of the data path: requests encoded, served by the registered handlers on
// a real shard pool over real logs, responses decoded and checked.

#include <gtest/gtest.h>

#include <thread>

#include "kafka/handlers/delete_records.h"
#include "kafka/handlers/describe_log_dirs.h"
#include "kafka/handlers/fetch.h"
#include "kafka/handlers/list_offsets.h"
#include "kafka/handlers/offset_for_leader_epoch.h"
#include "kafka/handlers/produce.h"
#include "kafka/testing/handler_test_env.h"

namespace vltava::kafka {
namespace {

using cluster::testing::batch;
using cluster::testing::now_ms;
using protocol::error_code;
using testing::handler_env;

protocol::produce_request produce_req(const std::string& topic, int32_t p,
                                      std::span<const std::byte> records, int16_t acks = -1) {
  protocol::produce_request req;
  req.acks = acks;
  req.timeout_ms = 30000;
  auto& t = req.topic_data.emplace_back();
  t.name = topic;
  auto& pd = t.partition_data.emplace_back();
  pd.index = p;
  pd.records = protocol::records_view{records, false};
  return req;
}

protocol::fetch_request fetch_req(const std::string& topic, int32_t p, int64_t offset,
                                  int32_t max_wait_ms = 0, int32_t min_bytes = 1) {
  protocol::fetch_request req;
  req.max_wait_ms = max_wait_ms;
  req.min_bytes = min_bytes;
  req.max_bytes = 50 * 1024 * 1024;
  req.session_epoch = -1;
  auto& t = req.topics.emplace_back();
  t.topic = topic;
  auto& fp = t.partitions.emplace_back();
  fp.partition = p;
  fp.fetch_offset = model::offset(offset);
  fp.partition_max_bytes = 1024 * 1024;
  return req;
}

// The batch as the log stores it: offset assigned, leader epoch 0.
std::vector<std::byte> as_stored(std::vector<std::byte> b, int64_t base) {
  model::set_base_offset(b, model::offset(base));
  model::set_partition_leader_epoch(b, model::leader_epoch(0));
  return b;
}

std::vector<std::byte> bytes_of(const protocol::records_view& r) {
  return {r.data.begin(), r.data.end()};
}

TEST(DataPath, ProduceThenFetchIsByteExact) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 2}}));
  auto b1 = batch(10, now_ms());
  auto b2 = batch(5, now_ms(), model::compression::lz4);
  auto r1 = env.call<protocol::produce_api>(9, produce_req("t", 1, b1));
  ASSERT_TRUE(r1);
  const auto& p1 = r1->responses.at(0).partition_responses.at(0);
  EXPECT_EQ(p1.error_code, error_code::none);
  EXPECT_EQ(p1.base_offset, model::offset(0));
  EXPECT_EQ(p1.log_start_offset, model::offset(0));
  auto r2 = env.call<protocol::produce_api>(3, produce_req("t", 1, b2, 1), 1);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->responses.at(0).partition_responses.at(0).base_offset, model::offset(10));
  {
    // The offsets were assigned in the request body itself (v3: the records end it), not in a
    // copy of it.
    auto stored = as_stored(b2, 10);
    ASSERT_GE(env.last_body.size(), stored.size());
    std::vector<std::byte> tail(env.last_body.end() - static_cast<ptrdiff_t>(stored.size()),
                                env.last_body.end());
    EXPECT_EQ(tail, stored);
  }

  for (int16_t v : {4, 11, 12}) {
    auto f = env.call<protocol::fetch_api>(v, fetch_req("t", 1, 0));
    ASSERT_TRUE(f);
    ASSERT_EQ(f->responses.size(), 1u);
    const auto& pd = f->responses[0].partitions.at(0);
    EXPECT_EQ(pd.error_code, error_code::none);
    EXPECT_EQ(pd.high_watermark, model::offset(15));
    auto expected = as_stored(b1, 0);
    auto second = as_stored(b2, 10);
    expected.insert(expected.end(), second.begin(), second.end());
    EXPECT_EQ(bytes_of(pd.records), expected) << "version " << v;
  }
  EXPECT_GE(env.file_ranges_sent, 3u);  // the records went out as file ranges
  // From the middle of the second batch: the whole batch holding the offset.
  auto f = env.call<protocol::fetch_api>(12, fetch_req("t", 1, 12));
  EXPECT_EQ(bytes_of(f->responses[0].partitions.at(0).records), as_stored(b2, 10));
}

TEST(DataPath, TopicIdsFromV13) {
  handler_env env;
  auto img = env.node.image({{"t", 1}});
  env.node.manager->apply_image_and_wait(img);
  auto id = img->find_topic("t")->id;
  auto b = batch(3, now_ms());
  auto req = produce_req("", 0, b);
  req.topic_data[0].topic_id = id;
  auto r = env.call<protocol::produce_api>(13, req);
  EXPECT_EQ(r->responses.at(0).topic_id, id);
  EXPECT_EQ(r->responses[0].partition_responses.at(0).error_code, error_code::none);
  req.topic_data[0].topic_id = cluster::testing::make_uuid(99);
  r = env.call<protocol::produce_api>(13, req);
  EXPECT_EQ(r->responses[0].partition_responses.at(0).error_code, error_code::unknown_topic_id);

  auto freq = fetch_req("", 0, 0);
  freq.topics[0].topic_id = id;
  auto f = env.call<protocol::fetch_api>(16, freq);
  EXPECT_EQ(f->responses.at(0).topic_id, id);
  EXPECT_EQ(bytes_of(f->responses[0].partitions.at(0).records), as_stored(b, 0));
  freq.topics[0].topic_id = cluster::testing::make_uuid(98);
  f = env.call<protocol::fetch_api>(16, freq);
  EXPECT_EQ(f->responses.at(0).partitions.at(0).error_code, error_code::unknown_topic_id);
}

TEST(DataPath, ProduceErrorsArePerPartition) {
  handler_env env;
  env.node.manager->apply_image_and_wait(
      env.node.image({{"t", 1, {{"max.message.bytes", "100"}}}, {"ok", 1}}));
  auto small = batch(1, now_ms());
  auto big = batch(30, now_ms());
  protocol::produce_request req = produce_req("t", 0, big);
  req.topic_data[0].partition_data.push_back({7, protocol::records_view{small, false}});
  auto& unknown = req.topic_data.emplace_back();
  unknown.name = "nope";
  unknown.partition_data.push_back({0, protocol::records_view{small, false}});
  auto& ok = req.topic_data.emplace_back();
  ok.name = "ok";
  ok.partition_data.push_back({0, protocol::records_view{small, false}});
  auto r = env.call<protocol::produce_api>(10, req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->responses[0].partition_responses[0].error_code, error_code::message_too_large);
  EXPECT_EQ(r->responses[0].partition_responses[0].record_errors.size(), 1u);
  EXPECT_EQ(r->responses[0].partition_responses[1].error_code,
            error_code::unknown_topic_or_partition);
  EXPECT_EQ(r->responses[1].partition_responses[0].error_code,
            error_code::unknown_topic_or_partition);
  EXPECT_EQ(r->responses[2].partition_responses[0].error_code, error_code::none);

  auto bad = produce_req("ok", 0, small, 2);
  EXPECT_EQ(
      env.call<protocol::produce_api>(10, bad)->responses[0].partition_responses[0].error_code,
      error_code::invalid_required_acks);
  auto garbage = small;
  garbage[30] ^= std::byte{0xff};
  auto corrupt = produce_req("ok", 0, garbage);
  EXPECT_EQ(
      env.call<protocol::produce_api>(10, corrupt)->responses[0].partition_responses[0].error_code,
      error_code::corrupt_message);
}

TEST(DataPath, AcksZeroSendsNoResponse) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 1}}));
  auto b = batch(2, now_ms());
  EXPECT_FALSE(env.call<protocol::produce_api>(8, produce_req("t", 0, b, 0)));
  auto f = env.call<protocol::fetch_api>(12, fetch_req("t", 0, 0));
  EXPECT_EQ(f->responses[0].partitions[0].high_watermark, model::offset(2));
}

TEST(DataPath, FetchOutOfRangeAndEmptyAtEnd) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 1}}));
  auto b = batch(2, now_ms());
  env.call<protocol::produce_api>(8, produce_req("t", 0, b));
  auto f = env.call<protocol::fetch_api>(12, fetch_req("t", 0, 5));
  EXPECT_EQ(f->responses[0].partitions[0].error_code, error_code::offset_out_of_range);
  f = env.call<protocol::fetch_api>(12, fetch_req("t", 0, 2));
  EXPECT_EQ(f->responses[0].partitions[0].error_code, error_code::none);
  EXPECT_TRUE(f->responses[0].partitions[0].records.data.empty());
}

TEST(DataPath, LongPollWakesOnAppend) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 1}}));
  auto start = std::chrono::steady_clock::now();
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto b = batch(1, now_ms());
    env.call<protocol::produce_api>(8, produce_req("t", 0, b, 1), 1);
  });
  auto f = env.call<protocol::fetch_api>(12, fetch_req("t", 0, 0, /*max_wait_ms=*/10'000));
  auto took = std::chrono::steady_clock::now() - start;
  producer.join();
  EXPECT_FALSE(f->responses[0].partitions[0].records.data.empty());
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(5));
  // Without data, max_wait_ms bounds the wait.
  start = std::chrono::steady_clock::now();
  f = env.call<protocol::fetch_api>(12, fetch_req("t", 0, 1, 300));
  took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_TRUE(f->responses[0].partitions[0].records.data.empty());
}

TEST(DataPath, MaxBytesKeepsFirstBatchWhole) {
  handler_env env(1);
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 2}}));
  auto b = batch(50, now_ms());
  env.call<protocol::produce_api>(8, produce_req("t", 0, b));
  env.call<protocol::produce_api>(8, produce_req("t", 1, b));
  auto req = fetch_req("t", 0, 0);
  req.max_bytes = 10;
  auto& p1 = req.topics[0].partitions.emplace_back();
  p1.partition = 1;
  p1.partition_max_bytes = 10;
  auto f = env.call<protocol::fetch_api>(12, req);
  ASSERT_EQ(f->responses[0].partitions.size(), 2u);
  EXPECT_EQ(bytes_of(f->responses[0].partitions[0].records), as_stored(b, 0));
  EXPECT_TRUE(f->responses[0].partitions[1].records.data.empty());
}

TEST(DataPath, FetchSessionIncremental) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 2}}));
  auto b = batch(4, now_ms());
  env.call<protocol::produce_api>(8, produce_req("t", 0, b));
  // Full fetch opening a session (epoch 0) over both partitions.
  auto req = fetch_req("t", 0, 0);
  req.session_id = 0;
  req.session_epoch = 0;
  auto& p1 = req.topics[0].partitions.emplace_back();
  p1.partition = 1;
  p1.partition_max_bytes = 1 << 20;
  auto f = env.call<protocol::fetch_api>(12, req);
  ASSERT_NE(f->session_id, 0);
  EXPECT_EQ(f->responses[0].partitions.size(), 2u);
  const int32_t id = f->session_id;

  // Incremental, epoch 1: partition 0 moves on; nothing new anywhere → no partitions.
  protocol::fetch_request inc;
  inc.session_id = id;
  inc.session_epoch = 1;
  inc.max_bytes = 1 << 20;
  auto& t = inc.topics.emplace_back();
  t.topic = "t";
  auto& fp = t.partitions.emplace_back();
  fp.partition = 0;
  fp.fetch_offset = model::offset(4);
  fp.partition_max_bytes = 1 << 20;
  f = env.call<protocol::fetch_api>(12, inc);
  EXPECT_EQ(f->error_code, error_code::none);
  EXPECT_EQ(f->session_id, id);
  EXPECT_TRUE(f->responses.empty());

  // New data on partition 1 (still in the session at offset 0) shows up alone.
  env.call<protocol::produce_api>(8, produce_req("t", 1, b));
  protocol::fetch_request inc2;
  inc2.session_id = id;
  inc2.session_epoch = 2;
  inc2.max_bytes = 1 << 20;
  f = env.call<protocol::fetch_api>(12, inc2);
  ASSERT_EQ(f->responses.size(), 1u);
  ASSERT_EQ(f->responses[0].partitions.size(), 1u);
  EXPECT_EQ(f->responses[0].partitions[0].partition_index, model::partition_id(1));
  EXPECT_EQ(bytes_of(f->responses[0].partitions[0].records), as_stored(b, 0));

  // Forgotten partitions leave the session; wrong epochs and unknown ids are refused.
  protocol::fetch_request forget;
  forget.session_id = id;
  forget.session_epoch = 3;
  forget.max_bytes = 1 << 20;
  forget.forgotten_topics_data.push_back({"t", {}, {0, 1}});
  f = env.call<protocol::fetch_api>(12, forget);
  EXPECT_EQ(f->error_code, error_code::none);
  forget.session_epoch = 9;
  f = env.call<protocol::fetch_api>(12, forget);
  EXPECT_EQ(f->error_code, error_code::invalid_fetch_session_epoch);
  forget.session_id = id + 1;
  forget.session_epoch = 1;
  f = env.call<protocol::fetch_api>(12, forget);
  EXPECT_EQ(f->error_code, error_code::fetch_session_id_not_found);
  // Epoch -1 closes the session.
  auto close = fetch_req("t", 0, 0);
  close.session_id = id;
  close.session_epoch = -1;
  f = env.call<protocol::fetch_api>(12, close);
  EXPECT_EQ(f->session_id, 0);
  inc.session_epoch = 4;
  EXPECT_EQ(env.call<protocol::fetch_api>(12, inc)->error_code,
            error_code::fetch_session_id_not_found);
}

protocol::list_offsets_request list_req(const std::string& topic, int64_t ts) {
  protocol::list_offsets_request req;
  req.replica_id = model::node_id(-1);
  auto& t = req.topics.emplace_back();
  t.name = topic;
  auto& p = t.partitions.emplace_back();
  p.partition_index = model::partition_id(0);
  p.timestamp = ts;
  return req;
}

TEST(DataPath, ListOffsets) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 1}}));
  const int64_t t0 = now_ms() - 100'000;
  auto b1 = batch(10, t0);                                   // timestamps t0 .. t0+9
  auto b2 = batch(10, t0 + 1000, model::compression::zstd);  // t0+1000 .. t0+1009
  env.call<protocol::produce_api>(8, produce_req("t", 0, b1));
  env.call<protocol::produce_api>(8, produce_req("t", 0, b2));
  auto ask = [&](int64_t ts, int16_t v = 7) {
    auto r = env.call<protocol::list_offsets_api>(v, list_req("t", ts));
    return r->topics.at(0).partitions.at(0);
  };
  EXPECT_EQ(ask(-2).offset, 0);
  EXPECT_EQ(ask(-1).offset, 20);
  EXPECT_EQ(ask(t0 + 3).offset, 3);
  EXPECT_EQ(ask(t0 + 3).timestamp, t0 + 3);
  EXPECT_EQ(ask(t0 + 500).offset, 10);   // first record at or after: inside the second batch
  EXPECT_EQ(ask(t0 + 1004).offset, 14);  // exact record inside a compressed batch
  EXPECT_EQ(ask(t0 + 5000).offset, -1);
  auto max = ask(-3);
  EXPECT_EQ(max.offset, 19);
  EXPECT_EQ(max.timestamp, t0 + 1009);
  EXPECT_EQ(ask(-4).offset, 0);
  EXPECT_EQ(ask(-2, 0).old_style_offsets, std::vector<int64_t>{0});
  auto unknown = env.call<protocol::list_offsets_api>(7, list_req("nope", -1));
  EXPECT_EQ(unknown->topics[0].partitions[0].error_code, error_code::unknown_topic_or_partition);
}

TEST(DataPath, DeleteRecordsMovesLogStart) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 1}}));
  for (int i = 0; i < 3; ++i) {
    auto b = batch(10, now_ms());
    env.call<protocol::produce_api>(8, produce_req("t", 0, b));
  }
  auto del = [&](int64_t offset) {
    protocol::delete_records_request req;
    auto& t = req.topics.emplace_back();
    t.name = "t";
    t.partitions.push_back({model::partition_id(0), offset});
    return env.call<protocol::delete_records_api>(2, req)->topics.at(0).partitions.at(0);
  };
  auto r = del(15);
  EXPECT_EQ(r.error_code, error_code::none);
  EXPECT_EQ(r.low_watermark, 15);
  EXPECT_EQ(del(31).error_code, error_code::offset_out_of_range);
  auto f = env.call<protocol::fetch_api>(12, fetch_req("t", 0, 3));
  EXPECT_EQ(f->responses[0].partitions[0].error_code, error_code::offset_out_of_range);
  EXPECT_EQ(f->responses[0].partitions[0].log_start_offset, model::offset(15));
  auto earliest = env.call<protocol::list_offsets_api>(7, list_req("t", -2));
  EXPECT_EQ(earliest->topics[0].partitions[0].offset, 15);
  r = del(-1);
  EXPECT_EQ(r.low_watermark, 30);
}

TEST(DataPath, OffsetForLeaderEpochAndDescribeLogDirs) {
  handler_env env;
  env.node.manager->apply_image_and_wait(env.node.image({{"t", 2}}));
  auto b = batch(6, now_ms());
  env.call<protocol::produce_api>(8, produce_req("t", 1, b));
  protocol::offset_for_leader_epoch_request req;
  auto& t = req.topics.emplace_back();
  t.topic = "t";
  t.partitions.push_back({1, model::leader_epoch(-1), model::leader_epoch(0)});
  t.partitions.push_back({1, model::leader_epoch(-1), model::leader_epoch(5)});
  auto r = env.call<protocol::offset_for_leader_epoch_api>(4, req);
  EXPECT_EQ(r->topics[0].partitions[0].end_offset, model::offset(6));
  EXPECT_EQ(r->topics[0].partitions[0].leader_epoch, model::leader_epoch(0));
  EXPECT_EQ(r->topics[0].partitions[1].end_offset, model::offset(-1));

  protocol::describe_log_dirs_request dreq;
  dreq.topics = std::nullopt;
  auto d = env.call<protocol::describe_log_dirs_api>(4, dreq);
  ASSERT_EQ(d->results.size(), 1u);
  ASSERT_EQ(d->results[0].topics.size(), 1u);
  ASSERT_EQ(d->results[0].topics[0].partitions.size(), 2u);
  EXPECT_GE(d->results[0].topics[0].partitions[1].partition_size, static_cast<int64_t>(b.size()));
  EXPECT_GT(d->results[0].total_bytes, 0);
}

}  // namespace
}  // namespace vltava::kafka
