#include "storage/sync_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

namespace vltava::storage {
namespace {

TEST(sync_pool, runs_every_task_once) {
  sync_pool pool(3);
  for (int round = 0; round < 50; ++round) {
    std::atomic<int> runs[10] = {};
    std::vector<std::function<void()>> tasks;
    for (int i = 0; i < 10; ++i) tasks.emplace_back([&runs, i] { ++runs[i]; });
    pool.run_all(tasks);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(runs[i].load(), 1) << "round " << round;
  }
}

// The point of the pool: tasks that block (an fdatasync) overlap. Each task waits until all
// four have started; run one after another they would each time out instead.
TEST(sync_pool, tasks_run_side_by_side) {
  sync_pool pool(3);
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  std::vector<std::function<void()>> tasks;
  for (int i = 0; i < 4; ++i) {
    tasks.emplace_back([&] {
      ++started;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (started.load() < 4 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (started.load() == 4) ++met;
    });
  }
  pool.run_all(tasks);
  EXPECT_EQ(met.load(), 4);
}

TEST(sync_pool, without_helpers_the_caller_runs_everything) {
  sync_pool pool(0);
  std::set<std::thread::id> threads;
  std::vector<std::function<void()>> tasks;
  for (int i = 0; i < 5; ++i)
    tasks.emplace_back([&] { threads.insert(std::this_thread::get_id()); });
  pool.run_all(tasks);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(*threads.begin(), std::this_thread::get_id());
}

}  // namespace
}  // namespace vltava::storage
