#include "cluster/partition_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "bytes/crc32c.h"
#include "bytes/endian.h"
#include "cluster/test_node.h"

namespace vltava::cluster {
namespace {

using testing::batch;
using testing::now_ms;
using testing::test_node;

TEST(PartitionManager, ShardOfIsStableAndSpreads) {
  test_node node(4);
  auto id = testing::make_uuid(3);
  std::vector<int> per_shard(4);
  for (int p = 0; p < 64; ++p) {
    unsigned s = node.manager->shard_of(id, model::partition_id(p));
    EXPECT_EQ(s, node.manager->shard_of(id, model::partition_id(p)));
    ASSERT_LT(s, 4u);
    per_shard[s]++;
  }
  for (int n : per_shard) EXPECT_GT(n, 4);
}

TEST(PartitionManager, OpensPartitionsOnTheirShardsOnly) {
  test_node node;
  node.manager->apply_image_and_wait(node.image({{"a", 3}, {"b", 1}}));
  ASSERT_NE(node.manager->image(), nullptr);
  for (int p = 0; p < 3; ++p) {
    EXPECT_TRUE(node.on_owner("a", p, [](partition* x) { return x != nullptr; }));
    EXPECT_TRUE(std::filesystem::is_directory(node.dir() + "/a-" + std::to_string(p)));
    // The other shard does not host it.
    unsigned other = 1 - node.owner("a", p);
    EXPECT_FALSE(node.call(
        other, [&node, p] { return node.manager->find("a", model::partition_id(p)) != nullptr; }));
  }
  EXPECT_TRUE(node.on_owner("b", 0, [](partition* x) { return x != nullptr; }));
}

TEST(PartitionManager, DeletedTopicLosesItsDirectory) {
  test_node node;
  node.manager->apply_image_and_wait(node.image({{"a", 2}, {"gone", 2}}));
  ASSERT_TRUE(std::filesystem::exists(node.dir() + "/gone-1"));
  node.manager->apply_image_and_wait(node.image({{"a", 2}}));
  EXPECT_FALSE(std::filesystem::exists(node.dir() + "/gone-0"));
  EXPECT_FALSE(std::filesystem::exists(node.dir() + "/gone-1"));
  EXPECT_TRUE(std::filesystem::exists(node.dir() + "/a-1"));
}

// Node 1 of three brokers: it hosts the partitions it is a replica of, leader or not.
TEST(PartitionManager, HostsOnlyThePartitionsThisNodeIsAReplicaOf) {
  test_node node;
  auto img = std::const_pointer_cast<metadata_image>(node.image({{"a", 4}, {"plain", 1}}));
  testing::add_three_brokers(*img);
  testing::assign(*img, "a", 0, {1, 2}, 1);
  testing::assign(*img, "a", 1, {2, 1}, 2);   // follower here
  testing::assign(*img, "a", 2, {2, 3}, 2);   // not a replica
  testing::assign(*img, "a", 3, {1, 3}, -1);  // no leader, still a replica
  node.manager->apply_image_and_wait(img);
  EXPECT_TRUE(node.on_owner("a", 0, [](partition* x) { return x != nullptr; }));
  EXPECT_TRUE(node.on_owner("a", 1, [](partition* x) { return x != nullptr; }));
  EXPECT_FALSE(node.on_owner("a", 2, [](partition* x) { return x != nullptr; }));
  EXPECT_FALSE(std::filesystem::exists(node.dir() + "/a-2"));
  EXPECT_TRUE(node.on_owner("a", 3, [](partition* x) { return x != nullptr; }));
  // No assignments (a hand-built image): this node holds it.
  EXPECT_TRUE(node.on_owner("plain", 0, [](partition* x) { return x != nullptr; }));
  // The data path finds only what this node leads.
  auto leads = [&node](const std::string& t, int32_t p) {
    return node.call(node.owner(t, p), [&node, &t, p] {
      return node.manager->find_leader(t, model::partition_id(p)) != nullptr;
    });
  };
  EXPECT_TRUE(leads("a", 0));
  EXPECT_FALSE(leads("a", 1));
  EXPECT_FALSE(leads("a", 2));
  EXPECT_FALSE(leads("a", 3));
  EXPECT_TRUE(leads("plain", 0));
}

TEST(PartitionManager, APartitionMovedAwayClosesAndKeepsItsLog) {
  test_node node;
  auto first = std::const_pointer_cast<metadata_image>(node.image({{"a", 2}}));
  testing::add_three_brokers(*first);
  testing::assign(*first, "a", 0, {1, 2}, 1);
  node.manager->apply_image_and_wait(first);
  // acks=1: replica 2 is not running here, so acks=all would wait for it (replication).
  ASSERT_EQ(node.append("a", 0, batch(2, now_ms()), acks_mode::leader).error,
            protocol::error_code::none);
  auto moved = std::const_pointer_cast<metadata_image>(node.image({{"a", 2}}));
  testing::add_three_brokers(*moved);
  testing::assign(*moved, "a", 0, {2, 3}, 2);
  node.manager->apply_image_and_wait(moved);
  EXPECT_FALSE(node.on_owner("a", 0, [](partition* x) { return x != nullptr; }));
  EXPECT_TRUE(node.on_owner("a", 1, [](partition* x) { return x != nullptr; }));
  EXPECT_TRUE(std::filesystem::is_directory(node.dir() + "/a-0"));
  // Back as a replica: the kept log reopens with its records.
  auto back = std::const_pointer_cast<metadata_image>(node.image({{"a", 2}}));
  testing::add_three_brokers(*back);
  testing::assign(*back, "a", 0, {2, 1}, 2);
  node.manager->apply_image_and_wait(back);
  EXPECT_EQ(
      node.on_owner("a", 0,
                    [](partition* x) { return x ? x->log().log_end_offset() : model::offset(-1); }),
      model::offset(2));
}

TEST(PartitionManager, AsyncApplyPublishesOnceEveryShardApplied) {
  test_node node;
  auto img = node.image({{"t", 4}});
  node.run(0, node.manager->apply_image_async(img));
  EXPECT_EQ(node.manager->image(), img);
  for (int p = 0; p < 4; ++p) {
    EXPECT_TRUE(node.on_owner("t", p, [](partition* x) { return x != nullptr; }));
  }
}

TEST(PartitionManager, AppendAcksAllIsDurableAndSurvivesReopen) {
  std::string dir;
  {
    test_node node;
    dir = node.dir();
    node.manager->apply_image_and_wait(node.image({{"t", 1}}));
    unsigned s = node.owner("t", 0);
    auto first = node.append("t", 0, batch(5, now_ms()), acks_mode::all);
    EXPECT_EQ(first.error, protocol::error_code::none);
    EXPECT_EQ(first.base_offset, model::offset(0));
    EXPECT_GE(node.on_owner("t", 0, [](partition* p) { return p->log().durable_end(); }),
              model::offset(5));
    auto out = node.append("t", 0, batch(3, now_ms()), acks_mode::leader);
    EXPECT_EQ(out.error, protocol::error_code::none);
    EXPECT_EQ(out.base_offset, model::offset(5));
    EXPECT_EQ(out.last_offset, model::offset(7));
    EXPECT_EQ(out.log_start_offset, model::offset(0));
    // Keep the directory: test_node removes its own, so copy the check before it goes.
    node.manager->stop();
    EXPECT_TRUE(std::filesystem::exists(dir + "/t-0"));
    // Reopen through a second manager on the same directory.
    partition_manager again(node.shards, node.io, node.flusher, dir, node.broker);
    again.apply_image_and_wait(node.image({{"t", 1}}));
    EXPECT_EQ(
        node.call(s,
                  [&again] { return again.find("t", model::partition_id(0))->high_watermark(); }),
        model::offset(8));
    again.stop();
  }
}

TEST(Partition, RefusesBadBatches) {
  test_node node;
  node.manager->apply_image_and_wait(node.image(
      {{"t", 1, {{"max.message.bytes", "200"}, {"message.timestamp.after.max.ms", "1000"}}}}));
  auto append = [&node](std::vector<std::byte> b) {
    return node.append("t", 0, std::move(b), acks_mode::leader);
  };
  EXPECT_EQ(append(batch(1, now_ms())).error, protocol::error_code::none);
  EXPECT_EQ(append(batch(20, now_ms())).error, protocol::error_code::message_too_large);
  auto future = append(batch(1, now_ms() + 60'000));
  EXPECT_EQ(future.error, protocol::error_code::invalid_timestamp);
  EXPECT_EQ(future.batch_index, 0);
  auto bad_crc = batch(1, now_ms());
  bad_crc.back() ^= std::byte{1};
  EXPECT_EQ(append(bad_crc).error, protocol::error_code::corrupt_message);
  auto old_magic = batch(1, now_ms());
  old_magic[model::batch_layout::magic] = std::byte{1};
  EXPECT_EQ(append(old_magic).error, protocol::error_code::invalid_record);
}

TEST(PartitionManager, ProducerIdExpirationComesFromTheBrokerConfig) {
  test_node node(2, {{"producer.id.expiration.ms", "1234"}});
  node.manager->apply_image_and_wait(node.image({{"t", 1}}));
  EXPECT_EQ(
      node.on_owner("t", 0, [](partition* p) { return p->settings().producer_id_expiration_ms; }),
      1234);
}

// AlterConfigs on a topic reaches its open log without a restart: a smaller segment.bytes rolls
// the next append, a new retention.ms is what housekeeping uses.
TEST(PartitionManager, ChangedTopicConfigsReachTheOpenLog) {
  test_node node;
  node.manager->apply_image_and_wait(node.image({{"t", 1}}));
  auto append = [&node] {
    auto out = node.append("t", 0, batch(5, now_ms()), acks_mode::leader);
    ASSERT_EQ(out.error, protocol::error_code::none);
  };
  auto segments = [&] {
    return node.on_owner("t", 0, [](partition* p) { return p->log().segment_count(); });
  };
  append();
  append();
  EXPECT_EQ(segments(), 1u);
  node.manager->apply_image_and_wait(
      node.image({{"t", 1, {{"segment.bytes", "100"}, {"retention.ms", "60000"}}}}));
  EXPECT_EQ(node.on_owner("t", 0, [](partition* p) { return p->log().config().retention_ms; }),
            60000);
  append();
  append();
  EXPECT_EQ(segments(), 3u);  // every batch is larger than 100 bytes: one segment each
}

// The broker compacts a compacted topic by itself (log.cleaner.*), off the shard thread, and
// leaves a topic with cleanup.policy=delete alone.
TEST(PartitionManager, CleanerCompactsCompactedTopicsInTheBackground) {
  test_node node(2, {{"log.cleaner.backoff.ms", "0"}});
  node.manager->apply_image_and_wait(
      node.image({{"c", 1, {{"cleanup.policy", "compact"}, {"segment.bytes", "1024"}}},
                  {"d", 1, {{"segment.bytes", "1024"}}}}));
  auto size_of = [&](const std::string& topic) {
    return node.on_owner(topic, 0, [](partition* p) { return p->log().size_bytes(); });
  };
  for (const std::string topic : {"c", "d"}) {
    // The same ten keys again and again: one batch of each key set per segment or so.
    for (int i = 0; i < 40; ++i) {
      auto out = node.append(topic, 0, batch(10, now_ms()), acks_mode::leader);
      ASSERT_EQ(out.error, protocol::error_code::none);
    }
  }
  const uint64_t compacted_before = size_of("c"), deleted_before = size_of("d");
  ASSERT_EQ(compacted_before, deleted_before);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (size_of("c") > compacted_before / 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_LE(size_of("c"), compacted_before / 2) << "before: " << compacted_before;
  EXPECT_EQ(size_of("d"), deleted_before);
  // Every key still reads back (the newest of each), offsets intact up to the end.
  auto end = node.on_owner("c", 0, [](partition* p) { return p->log_end_offset(); });
  EXPECT_EQ(end, model::offset(400));
}

// The batch's CRC made right again after a test edited its bytes.
void reseal(std::vector<std::byte>& b) {
  auto covered = std::span(b).subspan(model::batch_layout::attributes);
  bytes::store_be<uint32_t>(b.data() + model::batch_layout::crc, bytes::crc32c(covered));
}

TEST(Partition, RefusesMalformedRecordsBehindAGoodCrc) {
  test_node node;
  node.manager->apply_image_and_wait(
      node.image({{"t", 1}, {"c", 1, {{"cleanup.policy", "compact"}}}}));
  auto append = [&node](const std::string& topic, std::vector<std::byte> b) {
    return node.append(topic, 0, std::move(b), acks_mode::leader);
  };
  // The header promises three records; the section holds two.
  auto short_count = batch(2, now_ms());
  bytes::store_be<int32_t>(short_count.data() + model::batch_layout::record_count, 3);
  bytes::store_be<int32_t>(short_count.data() + model::batch_layout::last_offset_delta, 2);
  reseal(short_count);
  auto out = append("t", short_count);
  EXPECT_EQ(out.error, protocol::error_code::invalid_record);
  EXPECT_NE(out.message.find("batch 0"), std::string::npos) << out.message;
  // A record whose length runs past the end of the batch.
  auto overrun = batch(1, now_ms());
  overrun[model::batch_layout::header_size] = std::byte{0x7e};  // zigzag length 63
  reseal(overrun);
  EXPECT_EQ(append("t", overrun).error, protocol::error_code::invalid_record);
  // Compressed sections are decompressed and walked too.
  auto lz4 = batch(3, now_ms(), model::compression::lz4);
  std::fill(lz4.begin() + model::batch_layout::header_size, lz4.end(), std::byte{0xff});
  reseal(lz4);
  EXPECT_EQ(append("t", lz4).error, protocol::error_code::invalid_record);
  EXPECT_EQ(append("t", batch(3, now_ms(), model::compression::lz4)).error,
            protocol::error_code::none);
  // A compacted topic refuses a record without a key; keyed records are fine.
  model::record_batch_builder keyless{model::batch_options{}};
  std::string v = "value";
  keyless.add(model::timestamp_ms(now_ms()), std::nullopt, std::as_bytes(std::span(v)));
  EXPECT_EQ(append("c", keyless.build().value()).error, protocol::error_code::invalid_record);
  EXPECT_EQ(append("t", keyless.build().value()).error, protocol::error_code::none);
  EXPECT_EQ(append("c", batch(2, now_ms())).error, protocol::error_code::none);
}

TEST(Partition, LogAppendTimeStampsBatches) {
  test_node node;
  node.manager->apply_image_and_wait(
      node.image({{"t", 1, {{"message.timestamp.type", "LogAppendTime"}}}}));
  // An ancient CreateTime: ignored under LogAppendTime.
  auto out = node.append("t", 0, batch(2, 1000), acks_mode::leader);
  EXPECT_EQ(out.error, protocol::error_code::none);
  EXPECT_GE(out.log_append_time_ms, now_ms() - 60'000);
}

net::awaitable<bool> woken_within(std::shared_ptr<fetch_waiter> waiter,
                                  std::chrono::milliseconds timeout) {
  co_await waiter->wait_until(std::chrono::steady_clock::now() + timeout);
  co_return waiter->woken();
}

TEST(Partition, WaiterWokenByAppend) {
  test_node node;
  node.manager->apply_image_and_wait(node.image({{"t", 1}}));
  unsigned s = node.owner("t", 0);
  unsigned home = 1 - s;  // the fetch lives on the other shard
  auto waiter = std::make_shared<fetch_waiter>(node.shards.shard(home).get_executor());
  node.on_owner("t", 0, [&](partition* p) {
    p->add_waiter(waiter);
    return 0;
  });
  auto start = std::chrono::steady_clock::now();
  auto waited = asio::co_spawn(node.shards.shard(home),
                               woken_within(waiter, std::chrono::seconds(10)), asio::use_future);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  node.append("t", 0, batch(1, now_ms()), acks_mode::leader);
  EXPECT_TRUE(waited.get());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace vltava::cluster
