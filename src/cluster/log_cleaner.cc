#include "cluster/log_cleaner.h"

#include "base/log.h"
#include "cluster/partition.h"

namespace vltava::cluster {
namespace {
constexpr std::string_view module = "cleaner";
}  // namespace

log_cleaner::log_cleaner(bool enabled, int threads) {
  if (!enabled) return;
  for (int i = 0; i < threads; ++i) _threads.emplace_back(run, _state);
}

log_cleaner::~log_cleaner() {
  stop();
}

void log_cleaner::offer(const std::shared_ptr<partition>& p, asio::io_context& shard,
                        std::string name) {
  if (!enabled() || p->closed() || !p->settings().log.cleanup.compact) return;
  {
    std::lock_guard g(_state->mu);
    if (_state->stopped || _state->busy.contains(p.get())) return;
  }
  auto job = p->log().begin_compaction();
  if (!job) return;
  std::lock_guard g(_state->mu);
  _state->busy.insert(p.get());
  _state->queue.push_back(work{p, &shard, std::move(name), std::move(*job)});
  _state->wake.notify_one();
}

void log_cleaner::run(std::shared_ptr<state> st) {
  for (;;) {
    std::unique_lock lock(st->mu);
    st->wake.wait(lock, [&] { return st->stopped || !st->queue.empty(); });
    if (st->stopped) return;
    auto w = std::make_shared<work>(std::move(st->queue.front()));
    st->queue.pop_front();
    lock.unlock();

    auto ran = w->job.run();  // reads the snapshotted segments, writes and syncs .cleaned files
    asio::post(*w->shard, [st, w, ran = std::move(ran)] {
      if (!ran) {
        log::warn(module, "{}: compaction failed: {}", w->name, ran.error().message);
      } else if (w->part->closed()) {
        w->job.discard();
      } else if (auto done = w->part->log().finish_compaction(w->job); !done) {
        log::warn(module, "{}: compaction not swapped in: {}", w->name, done.error().message);
      } else if (done->segments_rewritten > 0) {
        log::info(module, "{}: compacted {} segments, {} -> {} bytes, {} records removed", w->name,
                  done->segments_rewritten, done->bytes_before, done->bytes_after,
                  done->records_removed);
      }
      std::lock_guard g(st->mu);
      st->busy.erase(w->part.get());
      ++st->passes_done;
    });
  }
}

void log_cleaner::stop() {
  std::deque<work> dropped;
  {
    std::lock_guard g(_state->mu);
    _state->stopped = true;
    dropped.swap(_state->queue);
    for (const auto& w : dropped) _state->busy.erase(w.part.get());
  }
  _state->wake.notify_all();
  for (auto& t : _threads) t.join();
  _threads.clear();
  // Never run: nothing was written for them. discard() is idempotent on missing files.
  for (auto& w : dropped) w.job.discard();
}

uint64_t log_cleaner::passes_done() const {
  std::lock_guard g(_state->mu);
  return _state->passes_done;
}

}  // namespace vltava::cluster
