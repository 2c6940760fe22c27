#include "storage/flusher.h"

#include <algorithm>
#include <map>
#include <set>

namespace vltava::storage {

std::string durability_state::failure() const {
  std::lock_guard g(_mu);
  return _failure;
}

void durability_state::complete(model::offset target, uint64_t generation) {
  std::lock_guard g(_mu);
  if (_failed.load() || generation != _generation.load()) return;
  if (target() > _durable_end.load()) _durable_end.store(target());
}

void durability_state::fail(std::string why) {
  std::lock_guard g(_mu);
  if (!_failed.load()) _failure = std::move(why);
  _failed.store(true);
}

void durability_state::truncated(model::offset end) {
  std::lock_guard g(_mu);
  _generation.fetch_add(1);
  if (end() < _durable_end.load()) _durable_end.store(end());
}

void durability_state::reset(model::offset end) {
  std::lock_guard g(_mu);
  _generation.fetch_add(1);
  _durable_end.store(end());
}

flusher::flusher(file_io& io, size_t max_jobs, size_t sync_threads)
    : _io(io), _max_jobs(max_jobs), _syncs(sync_threads), _thread([this] { run(); }) {}

flusher::~flusher() {
  {
    std::lock_guard g(_mu);
    _stop = true;
  }
  _cv.notify_all();
  _thread.join();
}

void flusher::submit(flush_job job) {
  std::unique_lock g(_mu);
  _done_cv.wait(g, [&] { return _queue.size() < _max_jobs; });
  _queue.push_back(std::move(job));
  ++_submitted;
  g.unlock();
  _cv.notify_one();
}

void flusher::drain() {
  std::unique_lock g(_mu);
  uint64_t target = _submitted;
  _done_cv.wait(g, [&] { return _completed >= target; });
}

void flusher::run() {
  std::vector<flush_job> jobs;
  for (;;) {
    {
      std::unique_lock g(_mu);
      _cv.wait(g, [&] { return _stop || !_queue.empty(); });
      if (_queue.empty()) return;  // stopping, and nothing left
      jobs.assign(std::make_move_iterator(_queue.begin()), std::make_move_iterator(_queue.end()));
      _queue.clear();
    }
    run_round(jobs);
    {
      std::lock_guard g(_mu);
      _completed += jobs.size();
    }
    jobs.clear();
    _done_cv.notify_all();
  }
}

void flusher::run_round(std::vector<flush_job>& jobs) {
  ++_rounds;
  // One fdatasync per distinct file and one fsync per directory, whatever the number of jobs,
  // all of them side by side (sync_pool.h says why).
  std::map<const file*, std::optional<storage_error>> synced;
  std::map<std::string, std::optional<storage_error>> dirs;
  std::vector<std::function<void()>> syncs;
  for (auto& j : jobs) {
    for (auto& f : j.files) {
      auto [slot, fresh] = synced.try_emplace(f.get());
      if (!fresh) continue;
      syncs.emplace_back([this, f = f.get(), &result = slot->second] {
        auto r = _io.fdatasync(f->fd());
        ++_fsyncs;
        if (!r) result = storage_error{r.error().code, r.error().message + " (" + f->path() + ")"};
      });
    }
    if (j.sync_dir) {
      auto [slot, fresh] = dirs.try_emplace(j.dir);
      if (!fresh) continue;
      syncs.emplace_back([this, &dir = slot->first, &result = slot->second] {
        auto r = _io.fsync_dir(dir);
        if (!r) result = r.error();
      });
    }
  }
  _syncs.run_all(syncs);
  for (auto& j : jobs) {
    std::optional<storage_error> err;
    for (auto& f : j.files) {
      if (synced[f.get()]) err = synced[f.get()];
    }
    if (j.sync_dir && dirs[j.dir]) err = dirs[j.dir];
    if (!err && j.checkpoint) {
      auto r = write_file_atomic(_io, j.dir, j.checkpoint->first, j.checkpoint->second);
      if (!r) err = r.error();
    }
    if (err) {
      // After a failed fsync the kernel may have dropped the dirty pages: nothing written
      // since the last good sync can be trusted, so the log refuses writes from now on.
      j.state->fail(err->message);
    } else {
      j.state->complete(j.target, j.generation);
    }
    for (auto& cb : j.callbacks) {
      if (j.state->failed()) {
        cb(fail(storage_error{errc::log_failed, j.state->failure()}));
      } else {
        cb(j.state->durable_end());
      }
    }
  }
}

}  // namespace vltava::storage
