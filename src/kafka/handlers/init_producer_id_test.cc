#include "kafka/handlers/init_producer_id.h"

#include <gtest/gtest.h>

#include <set>

#include "cluster/metadata_store.h"
#include "cluster/self_registration.h"
#include "config/broker_configs.h"
#include "kafka/testing/admin_test_fixture.h"
#include "storage/test_util.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;

protocol::init_producer_id_request request(std::optional<std::string> txn = std::nullopt,
                                           int64_t pid = -1, int16_t epoch = -1) {
  protocol::init_producer_id_request r;
  r.transactional_id = std::move(txn);
  r.transaction_timeout_ms = 60000;
  r.producer_id = model::producer_id(pid);
  r.producer_epoch = model::producer_epoch(epoch);
  return r;
}

TEST(init_producer_id, fresh_ids_at_epoch_zero_in_every_version) {
  admin_fixture f;
  std::set<int64_t> seen;
  for (int16_t v = 0; v <= init_producer_id_max_version; ++v) {
    auto r = f.call<protocol::init_producer_id_api, &serve_init_producer_id>(request(), v);
    EXPECT_EQ(r.error_code, error_code::none) << v;
    EXPECT_EQ(r.producer_epoch, model::producer_epoch(0));
    EXPECT_GE(r.producer_id(), 0);
    EXPECT_TRUE(seen.insert(r.producer_id()).second) << "id handed out twice";
  }
  // KIP-360: an idempotent producer asking again with its id and epoch gets a fresh id.
  auto again = f.call<protocol::init_producer_id_api, &serve_init_producer_id>(
      request(std::nullopt, *seen.begin(), 0), 4);
  EXPECT_EQ(again.error_code, error_code::none);
  EXPECT_FALSE(seen.contains(again.producer_id()));
  EXPECT_EQ(f.store().image()->next_producer_id, cluster::metadata_store::producer_id_block_size);
}

TEST(init_producer_id, refusals) {
  admin_fixture f;
  auto call = [&](protocol::init_producer_id_request r) {
    return f.call<protocol::init_producer_id_api, &serve_init_producer_id>(r, 4).error_code;
  };
  // A node without a transaction coordinator (txn_handlers_test.cc has one).
  EXPECT_EQ(call(request("txn")), error_code::coordinator_not_available);
  EXPECT_EQ(call(request("")), error_code::invalid_request);
  EXPECT_EQ(call(request(std::nullopt, 5, -1)), error_code::invalid_request);
  EXPECT_EQ(call(request(std::nullopt, -1, 3)), error_code::invalid_request);
}

TEST(init_producer_id, blocks_are_durable_and_never_reused_after_restart) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  auto loaded = config::load_broker_config("", "test", {});
  ASSERT_TRUE(loaded.has_value());
  const config::config_set cfg = loaded->values;
  int64_t last = -1;
  for (int round = 0; round < 2; ++round) {
    storage::flusher flusher(io);
    net::shard_pool shards(2);
    shards.start();
    {
      auto s =
          cluster::metadata_store::open(io, flusher, shards, dir.path(), model::node_id(1), cfg);
      ASSERT_TRUE(s.has_value()) << s.error();
      auto& store = **s;
      ASSERT_TRUE(
          cluster::testing::register_and_unfence(store, shards, model::node_id(1), {}).ok());
      EXPECT_EQ(store.image()->next_producer_id, round * 2000);
      // More than one block: the second is allocated when the first runs out.
      for (int i = 0; i < 1001; ++i) {
        auto r =
            asio::co_spawn(shards.shard(1), store.allocate_producer_id(), asio::use_future).get();
        ASSERT_TRUE(r.ok());
        ASSERT_GT(r.id(), last);
        last = r.id();
      }
      EXPECT_EQ(last, round * 2000 + 1000);
      // Without close(): the blocks were durable before any id of them was handed out.
    }
    shards.stop();
    shards.join();
  }
}

}  // namespace
}  // namespace vltava::kafka
