#include "net/shard_calls.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace vltava::net {
namespace {

using namespace std::chrono_literals;

// What one task saw: where it ran and what it was asked.
struct ran {
  std::optional<unsigned> shard;
  size_t index = 0;
};

awaitable<ran> where_am_i(shard_pool* pool, size_t i) {
  co_return ran{current_shard(*pool), i};
}

// Sleeps on its shard first, so it finishes after a task that throws at once.
awaitable<ran> slow_then_mark(shard_pool* pool, size_t i, std::atomic<bool>* finished) {
  asio::steady_timer t(co_await asio::this_coro::executor, 50ms);
  co_await t.async_wait(use_awaitable);
  finished->store(true);
  co_return ran{current_shard(*pool), i};
}

awaitable<ran> fail_at_once(size_t) {
  throw std::runtime_error("task failed");
  co_return ran{};
}

// Runs `a` on a thread that is not a shard (its own io_context) and returns its result.
template <typename T>
T run_off_shards(awaitable<T> a) {
  asio::io_context home(1);
  auto f = asio::co_spawn(home, std::move(a), asio::use_future);
  home.run();
  return f.get();
}

class shard_calls_test : public ::testing::Test {
 protected:
  void SetUp() override { pool.start(); }
  void TearDown() override {
    pool.stop();
    pool.join();
  }
  shard_pool pool{3};
};

awaitable<std::vector<ran>> gather_where(shard_pool* pool, std::vector<unsigned> shards) {
  co_return co_await on_shards<ran>(*pool, shards,
                                    [pool](size_t i) { return where_am_i(pool, i); });
}

TEST_F(shard_calls_test, ResultsComeBackInRequestOrderFromTheirShards) {
  const std::vector<unsigned> shards{2, 0, 1, 0, 2};
  auto results = run_off_shards(gather_where(&pool, shards));
  ASSERT_EQ(results.size(), shards.size());
  for (size_t i = 0; i < shards.size(); ++i) {
    EXPECT_EQ(results[i].index, i);
    EXPECT_EQ(results[i].shard, shards[i]);
  }
}

TEST_F(shard_calls_test, NoShardsNoTasks) {
  EXPECT_TRUE(run_off_shards(gather_where(&pool, {})).empty());
}

awaitable<std::string> fail_and_wait(shard_pool* pool, std::atomic<bool>* finished) {
  try {
    co_await on_shards<ran>(*pool, {0, 1}, [pool, finished](size_t i) {
      return i == 0 ? fail_at_once(i) : slow_then_mark(pool, i, finished);
    });
  } catch (const std::runtime_error& e) {
    // The other task finished before the failure reached the caller.
    co_return std::string(e.what()) + (finished->load() ? ", after all" : ", too early");
  }
  co_return "no exception";
}

TEST_F(shard_calls_test, AnExceptionIsRethrownAfterEveryTaskFinished) {
  std::atomic<bool> finished{false};
  EXPECT_EQ(run_off_shards(fail_and_wait(&pool, &finished)), "task failed, after all");
}

// On `pool`'s shard 0: calls other shards every way there is and reports where it resumed
// after each call (all 0 when the caller comes back home).
awaitable<std::vector<std::optional<unsigned>>> resumes_where(shard_pool* pool) {
  std::vector<std::optional<unsigned>> after;
  co_await on_shards<ran>(*pool, {1, 2}, [pool](size_t i) { return where_am_i(pool, i); });
  after.push_back(current_shard(*pool));
  co_await on_shards<ran>(*pool, {0}, [pool](size_t i) { return where_am_i(pool, i); });
  after.push_back(current_shard(*pool));
  auto one = co_await on_shard<ran>(*pool, 2, [pool] { return where_am_i(pool, 0); });
  EXPECT_EQ(one.shard, 2u);
  after.push_back(current_shard(*pool));
  auto all =
      co_await on_every_shard<ran>(*pool, [pool](unsigned s) { return where_am_i(pool, s); });
  for (unsigned s = 0; s < all.size(); ++s) EXPECT_EQ(all[s].shard, s);
  after.push_back(current_shard(*pool));
  co_return after;
}

TEST_F(shard_calls_test, TheCallerResumesOnItsOwnShard) {
  auto after = asio::co_spawn(pool.shard(0), resumes_where(&pool), asio::use_future).get();
  ASSERT_EQ(after.size(), 4u);
  for (const auto& s : after) EXPECT_EQ(s, 0u);
}

TEST_F(shard_calls_test, CurrentShardIsNulloptOffTheShards) {
  EXPECT_EQ(current_shard(pool), std::nullopt);
}

TEST(shard_split, SplitThenGatherRestoresRequestOrder) {
  const std::vector<unsigned> owner{2, 0, 2, 1, 0, 2};
  auto split = split_by_shard(owner.size(), [&owner](size_t i) { return owner[i]; });
  EXPECT_EQ(split.shards, (std::vector<unsigned>{0, 1, 2}));
  EXPECT_EQ(split.items, (std::vector<std::vector<size_t>>{{1, 4}, {3}, {0, 2, 5}}));
  // Each group answers its items in order; gather puts the answers back by request index.
  std::vector<std::vector<std::string>> answers;
  for (size_t g = 0; g < split.items.size(); ++g) {
    auto& a = answers.emplace_back();
    for (size_t i : split.items[g]) a.push_back("item" + std::to_string(i));
  }
  auto out = split.gather(std::move(answers), owner.size());
  for (size_t i = 0; i < owner.size(); ++i) EXPECT_EQ(out[i], "item" + std::to_string(i));
}

TEST(shard_split, NothingToSplit) {
  auto split = split_by_shard(0, [](size_t) { return 0u; });
  EXPECT_TRUE(split.shards.empty());
  EXPECT_TRUE(split.gather(std::vector<std::vector<int>>{}, 0).empty());
}

TEST_F(shard_calls_test, BlockingFormRunsOnceOnEveryShard) {
  std::vector<std::atomic<int>> runs(pool.size());
  std::vector<std::optional<unsigned>> seen(pool.size());
  run_on_every_shard_and_wait(pool, [&](unsigned s) {
    runs[s]++;
    seen[s] = current_shard(pool);
  });
  for (unsigned s = 0; s < pool.size(); ++s) {
    EXPECT_EQ(runs[s].load(), 1);
    EXPECT_EQ(seen[s], s);
  }
}

TEST_F(shard_calls_test, BlockingFormRethrowsAfterEveryShardFinished) {
  std::atomic<int> finished{0};
  EXPECT_THROW(run_on_every_shard_and_wait(pool,
                                           [&finished](unsigned s) {
                                             if (s == 0) throw std::runtime_error("shard 0");
                                             std::this_thread::sleep_for(20ms);
                                             ++finished;
                                           }),
               std::runtime_error);
  EXPECT_EQ(finished.load(), static_cast<int>(pool.size()) - 1);
}

// A shard that blocks waiting for every shard would wait for itself: the form asserts.
void block_from_a_shard() {
  shard_pool pool(2);
  pool.start();
  std::packaged_task<void()> call([&pool] { run_on_every_shard_and_wait(pool, [](unsigned) {}); });
  asio::post(pool.shard(1), [&call] { call(); });
  call.get_future().get();
}

TEST(shard_calls_DeathTest, BlockingFormAssertsOnAShardThread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(block_from_a_shard(), "run_on_every_shard_and_wait blocks: not from a shard");
}

}  // namespace
}  // namespace vltava::net
