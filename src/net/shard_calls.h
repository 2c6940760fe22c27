#pragma once

// The ways code reaches another shard, written once (Seastar's invoke_on / invoke_on_all):
//   co_await on_shard(pool, s, fn)        run a coroutine on shard s, resume on the caller's
//   co_await on_shards<T>(pool, ss, fn)   run fn(i) on ss[i] concurrently, gather in order
//   co_await on_every_shard<T>(pool, fn)  run fn(shard) on every shard, gather by shard
//   split_by_shard(n, shard_of)           group item indices by owning shard, for on_shards
//   run_on_every_shard_and_wait(pool, fn) blocking: start-up and shutdown only
// The blocking form asserts it is not called from a shard thread: a shard waiting on itself (or
// on a shard waiting on it) would deadlock.

#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "base/assert.h"
#include "net/asio.h"
#include "net/shard_pool.h"

namespace vltava::net {

// The shard of `pool` whose thread is calling, or nullopt off the shards.
inline std::optional<unsigned> current_shard(shard_pool& pool) {
  for (unsigned i = 0; i < pool.size(); ++i) {
    if (pool.shard(i).get_executor().running_in_this_thread()) return i;
  }
  return std::nullopt;
}

// Runs fn(i) on shards[i] for each i, concurrently, and resumes the caller on its own executor
// with the results in order. An exception from any task is rethrown after all finished. The
// caller's frame outlives the tasks, so fn may capture it by reference. fn(i) is called on the
// caller's thread and only creates the coroutine (awaitables start suspended): its body runs on
// shards[i]. fn itself need not be a coroutine: a plain capturing lambda that calls a
// non-capturing coroutine, `[&ctx](size_t i) { return work(ctx, i); }`, is the idiom.
template <typename T>
awaitable<std::vector<T>> on_shards(shard_pool& pool, const std::vector<unsigned>& shards,
                                    std::function<awaitable<T>(size_t)> fn) {
  if (shards.size() == 1 && pool.shard(shards[0]).get_executor().running_in_this_thread()) {
    // The common case of a request whose partitions all live on the caller's shard: no spawn,
    // no post there and back, no timer.
    T only = co_await fn(0);
    std::vector<T> out;
    out.push_back(std::move(only));
    co_return out;
  }
  auto home = co_await asio::this_coro::executor;
  struct state {
    state(asio::any_io_executor ex, size_t n) : timer(ex), results(n), remaining(n) {}
    asio::steady_timer timer;
    std::vector<T> results;
    std::exception_ptr error;
    size_t remaining;
  };
  auto st = std::make_shared<state>(home, shards.size());
  for (size_t i = 0; i < shards.size(); ++i) {
    // The handler runs on the shard and hands its reference to `st` over to the caller's
    // executor: the state (its timer belongs to the caller's io_context) must never be
    // destroyed on a shard, where it could outlive the caller's io_context.
    asio::co_spawn(pool.shard(shards[i]), fn(i), [st, i, home](std::exception_ptr e, T v) mutable {
      asio::post(home, [st = std::move(st), i, e, v = std::move(v)]() mutable {
        if (e && !st->error) st->error = e;
        if (!e) st->results[i] = std::move(v);
        if (--st->remaining == 0) st->timer.cancel();
      });
    });
  }
  while (st->remaining > 0) {
    st->timer.expires_at(asio::steady_timer::time_point::max());
    std::error_code ec;
    co_await st->timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  if (st->error) std::rethrow_exception(st->error);
  co_return std::move(st->results);
}

// Runs fn() on shard `shard` and resumes the caller on its own executor with the result.
template <typename T>
awaitable<T> on_shard(shard_pool& pool, unsigned shard, std::function<awaitable<T>()> fn) {
  // Not `{shard}` inside the co_await: g++ 12 miscompiles an initializer list there ("array
  // used as initializer").
  const std::vector<unsigned> one(1, shard);
  auto results = co_await on_shards<T>(pool, one, [&fn](size_t) { return fn(); });
  co_return std::move(results[0]);
}

// Runs fn(shard) on every shard concurrently; the results are indexed by shard.
template <typename T>
awaitable<std::vector<T>> on_every_shard(shard_pool& pool,
                                         std::function<awaitable<T>(unsigned)> fn) {
  std::vector<unsigned> all(pool.size());
  for (unsigned s = 0; s < pool.size(); ++s) all[s] = s;
  co_return co_await on_shards<T>(pool, all,
                                  [&fn](size_t i) { return fn(static_cast<unsigned>(i)); });
}

// A request's items grouped by the shard that owns each: shards[g] owns items[g] (indices into
// the request, in request order). Feed `shards` to on_shards and use `gather` on the answers.
struct shard_split {
  std::vector<unsigned> shards;
  std::vector<std::vector<size_t>> items;

  // Puts per-group results (results[g][k] answers items[g][k]) back in request order.
  template <typename R>
  std::vector<R> gather(std::vector<std::vector<R>> results, size_t count) const {
    VLTAVA_ASSERT(results.size() == items.size(), "one result list per shard group");
    std::vector<R> out(count);
    for (size_t g = 0; g < items.size(); ++g) {
      VLTAVA_ASSERT(results[g].size() == items[g].size(), "one result per item");
      for (size_t k = 0; k < items[g].size(); ++k) out[items[g][k]] = std::move(results[g][k]);
    }
    return out;
  }
};

// Groups the indices 0..count-1 by shard_of(index), shards in ascending order.
template <typename ShardOf>
requires std::is_invocable_r_v<unsigned, ShardOf, size_t> shard_split
split_by_shard(size_t count, ShardOf shard_of) {
  std::map<unsigned, std::vector<size_t>> by_shard;
  for (size_t i = 0; i < count; ++i) by_shard[shard_of(i)].push_back(i);
  shard_split out;
  for (auto& [s, items] : by_shard) {
    out.shards.push_back(s);
    out.items.push_back(std::move(items));
  }
  return out;
}

// Blocking: runs fn(shard) on every shard's thread and returns once all have. For start-up and
// shutdown, from a thread that is not a shard (the shards must be running); fn runs on all
// shards at once. An exception from fn is rethrown here, after every shard finished (the tasks
// hold fn by reference).
template <typename Fn>
requires std::is_invocable_v<Fn, unsigned>
void run_on_every_shard_and_wait(shard_pool& pool, Fn fn) {
  VLTAVA_ASSERT(!current_shard(pool), "run_on_every_shard_and_wait blocks: not from a shard");
  std::vector<std::future<void>> done;
  for (unsigned s = 0; s < pool.size(); ++s) {
    auto task = std::make_shared<std::packaged_task<void()>>([&fn, s] { fn(s); });
    done.push_back(task->get_future());
    asio::post(pool.shard(s), [task] { (*task)(); });
  }
  for (auto& f : done) f.wait();
  for (auto& f : done) f.get();
}

}  // namespace vltava::net
