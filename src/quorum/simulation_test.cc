#include "quorum/simulation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>

namespace vltava::quorum {
namespace {

std::optional<uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}

std::string replay_command(uint64_t seed) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return "VLTAVA_SIM_SEED=" + std::to_string(seed) +
         " build/asan/src/quorum/quorum_test --gtest_filter=" + info->test_suite_name() + "." +
         info->name();
}

// Runs `runs` seeds from `first` (or only VLTAVA_SIM_SEED when set; VLTAVA_SIM_RUNS overrides
// the count) and fails with the replay command of the first failing seed.
struct seeds_result {
  coverage seen;
  uint64_t runs = 0;
};

// Some runs add observers (broker-only nodes): with 3 voters, 2 observers in a fifth of the
// runs and 1 in another fifth; with 5 voters, 1 in a quarter. Observers' fetches and ticks
// add steps, and the whole binary must stay within CI's two minutes.
std::size_t observers_for(uint64_t seed, std::size_t voters) {
  if (voters == 3) return seed % 5 == 0 ? 2 : seed % 5 == 1 ? 1 : 0;
  return seed % 4 == 0 ? 1 : 0;
}

seeds_result run_seeds(std::size_t voters, uint64_t first, uint64_t runs) {
  seeds_result total;
  bool trace = env_number("VLTAVA_SIM_TRACE").value_or(0) != 0;
  if (auto only = env_number("VLTAVA_SIM_SEED")) {
    first = *only;
    runs = 1;
  } else if (auto n = env_number("VLTAVA_SIM_RUNS")) {
    runs = *n;
  }
  for (uint64_t seed = first; seed < first + runs; ++seed) {
    auto observers = observers_for(seed, voters);
    auto r =
        run_simulation({.seed = seed, .voters = voters, .observers = observers, .trace = trace});
    total.seen += r.seen;
    ++total.runs;
    if (!r.failure.empty()) {
      ADD_FAILURE() << r.failure << "\n  replay: " << replay_command(seed);
      break;
    }
  }
  return total;
}

void expect_things_happened(const seeds_result& r) {
  const auto& c = r.seen;
  auto runs = r.runs;
  std::cout << "coverage over " << runs << " runs: elections " << c.elections << ", truncations "
            << c.truncations << ", commits " << c.commits << ", crashes " << c.crashes
            << ", crashes losing entries " << c.lost_unflushed << ", resignations "
            << c.resignations << ", entries observers applied " << c.observer_applied
            << ", snapshots " << c.snapshots_taken << ", installed from a leader "
            << c.snapshots_installed << ", steps " << c.steps << "\n";
  if (env_number("VLTAVA_SIM_SEED")) return;
  EXPECT_GE(c.elections, runs);
  EXPECT_GT(c.truncations, runs / 20);
  EXPECT_GE(c.commits, runs * 10);
  EXPECT_GT(c.lost_unflushed, runs / 20);
  EXPECT_GT(c.resignations, runs / 20);
  EXPECT_GE(c.observer_applied, runs);
  EXPECT_GE(c.snapshots_taken, runs);
  EXPECT_GT(c.snapshots_installed, runs / 20);
}

constexpr uint64_t kRunsPerSize = 5000;

TEST(simulation, three_voters_stay_safe_and_live) {
  expect_things_happened(run_seeds(3, 1, kRunsPerSize));
}

TEST(simulation, five_voters_stay_safe_and_live) {
  expect_things_happened(run_seeds(5, 1'000'000, kRunsPerSize));
}

// The checker is not vacuous: each deliberately broken variant makes a safety check fail
// within the seeds tried (a liveness failure does not count).
struct broken_case {
  sabotage broken;
  const char* name;
  std::size_t voters;
};

class checker_catches : public ::testing::TestWithParam<broken_case> {};

TEST_P(checker_catches, the_broken_variant) {
  const auto& c = GetParam();
  constexpr uint64_t kMaxSeeds = 3000;
  for (uint64_t seed = 1; seed <= kMaxSeeds; ++seed) {
    auto r = run_simulation({.seed = seed, .voters = c.voters, .broken = c.broken});
    if (!r.failure.empty() && !r.failure.starts_with("liveness")) {
      std::cout << c.name << ": caught after " << seed << " seeds: " << r.failure << "\n";
      return;
    }
  }
  ADD_FAILURE() << c.name << ": no safety check failed in " << kMaxSeeds << " seeds";
}

INSTANTIATE_TEST_SUITE_P(
    simulation, checker_catches,
    ::testing::Values(broken_case{sabotage::vote_without_persist, "vote_without_persist", 5},
                      broken_case{sabotage::vote_ignores_log, "vote_ignores_log", 3},
                      broken_case{sabotage::leader_from_pre_votes, "leader_from_pre_votes", 3},
                      broken_case{sabotage::ack_before_durable, "ack_before_durable", 3}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vltava::quorum
