// storage_log: snapshots as checkpoint files in the metadata log's directory (checkpoint.h),
// Kafka's KafkaMetadataLog snapshot side: the newest valid one is where the state machine
// starts, the log may start at the oldest kept one, a follower's download is a `.part` file
// until it is whole and checked.

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "quorum/io/storage_log.h"

namespace vltava::quorum {

namespace {

std::string describe(const storage::storage_error& e) {
  return std::string(storage::describe(e.code)) + ": " + e.message;
}

}  // namespace

storage_log::~storage_log() {
  if (_partial) _log->io().close(_partial->fd);
}

result<void, std::string> storage_log::load_snapshots() {
  auto& io = _log->io();
  const auto& dir = _log->dir();
  auto names = io.list_dir(dir);
  if (!names) return fail(describe(names.error()));
  std::sort(names->begin(), names->end());
  for (const auto& name : *names) {
    if (name.ends_with(checkpoint_partial_suffix)) {
      if (auto u = io.unlink(dir + "/" + name); !u) return fail(name + ": " + describe(u.error()));
      continue;
    }
    auto id = parse_checkpoint_file_name(name);
    if (!id) continue;
    auto bytes = storage::read_small_file(io, dir + "/" + name, checkpoint_bytes_max);
    auto contents =
        bytes ? read_checkpoint(*id, *bytes) : fail(std::string(describe(bytes.error())));
    if (!contents) {
      // Kept for inspection under another name; never loaded.
      vltava::log::error("quorum", "{}/{}: not used: {}", dir, name, contents.error());
      if (auto r = io.rename(dir + "/" + name, dir + "/" + name + ".corrupt"); !r) {
        return fail(name + ": " + describe(r.error()));
      }
      continue;
    }
    _snapshots[*id] =
        snapshot_meta{static_cast<int64_t>(bytes->size()), contents->last_contained_ms};
  }
  auto latest = latest_snapshot();
  if (latest && latest->offset > end_offset()) {
    // The snapshot is durable, the log's tail after it was not (or the log went first): the
    // log restarts at the snapshot.
    if (auto t = _log->truncate_fully_and_start_at(latest->offset); !t) {
      return fail("restart the log at snapshot " + checkpoint_file_name(*latest) + ": " +
                  describe(t.error()));
    }
  }
  if (!latest && start_offset() > model::offset(0)) {
    return fail("the log starts at " + std::to_string(start_offset()()) +
                " and no valid snapshot holds what came before");
  }
  if (latest && latest->offset < start_offset()) {
    return fail("the newest valid snapshot " + checkpoint_file_name(*latest) +
                " ends before the log start " + std::to_string(start_offset()()));
  }
  // Snapshots before the log start are of no use any more (a crash during cleaning left them).
  std::vector<snapshot_id> stale;
  for (const auto& [id, _] : _snapshots) {
    if (id.offset < start_offset()) stale.push_back(id);
  }
  for (auto id : stale) forget_snapshot(id);
  bool at_start = false;
  for (const auto& [id, _] : _snapshots) at_start |= id.offset == start_offset();
  if (latest && !at_start) {
    // The snapshot the log started at was found corrupt: the log starts at the newest one, so
    // that the snapshot before the log start is always known (its epoch included).
    vltava::log::info("quorum", "{}: no valid snapshot at the log start {}: starting at {}", dir,
                      start_offset()(), latest->offset());
    if (latest->offset == end_offset()) {
      if (auto t = _log->truncate_fully_and_start_at(latest->offset); !t) {
        return fail(describe(t.error()));
      }
    } else if (!delete_before(*latest)) {
      return fail(std::string("could not move the log start to the newest snapshot"));
    }
  }
  return {};
}

model::leader_epoch storage_log::start_epoch() const {
  for (const auto& [id, _] : _snapshots) {
    if (id.offset == start_offset()) return id.epoch;
  }
  return model::leader_epoch(0);
}

std::optional<snapshot_id> storage_log::latest_snapshot() const {
  if (_snapshots.empty()) return std::nullopt;
  return _snapshots.rbegin()->first;
}

std::vector<snapshot_id> storage_log::snapshots() const {
  std::vector<snapshot_id> out;
  for (const auto& [id, _] : _snapshots) out.push_back(id);
  return out;
}

result<log::snapshot_chunk, errc> storage_log::read_snapshot(snapshot_id id, int64_t position,
                                                             uint32_t max_bytes) const {
  auto it = _snapshots.find(id);
  if (it == _snapshots.end()) return fail(errc::snapshot_not_found);
  auto size = it->second.size;
  if (position < 0 || position >= size) return fail(errc::position_out_of_range);
  auto& io = _log->io();
  auto path = _log->dir() + "/" + checkpoint_file_name(id);
  auto fd = io.open(path, storage::open_mode::read_write);
  if (!fd) {
    vltava::log::error("quorum", "{}: {}", path, describe(fd.error()));
    return fail(errc::snapshot_not_found);
  }
  snapshot_chunk out{size, {}};
  out.bytes.resize(static_cast<std::size_t>(std::min<int64_t>(max_bytes, size - position)));
  std::size_t got = 0;
  while (got < out.bytes.size()) {
    auto buf = std::as_writable_bytes(std::span(out.bytes)).subspan(got);
    auto n = io.pread(*fd, buf, static_cast<uint64_t>(position) + got);
    if (!n || *n == 0) break;
    got += *n;
  }
  io.close(*fd);
  if (got != out.bytes.size()) {
    vltava::log::error("quorum", "{}: short read at {}", path, position);
    return fail(errc::snapshot_not_found);
  }
  return out;
}

void storage_log::drop_partial() {
  if (!_partial) return;
  auto& io = _log->io();
  io.close(_partial->fd);
  auto path = _log->dir() + "/" + checkpoint_file_name(_partial->id) + ".part";
  (void)io.unlink(path);  // left over, it is deleted at the next open
  _partial.reset();
}

bool storage_log::write_snapshot_chunk(snapshot_id id, int64_t position, std::string_view bytes) {
  auto& io = _log->io();
  if (position == 0) {
    drop_partial();
    auto path = _log->dir() + "/" + checkpoint_file_name(id) + ".part";
    auto fd = io.open(path, storage::open_mode::create);
    if (!fd) return false;
    if (!io.ftruncate(*fd, 0)) {
      io.close(*fd);
      return false;
    }
    _partial = partial_snapshot{id, *fd, 0};
  }
  if (!_partial || _partial->id != id || _partial->size != position) return false;
  auto data = std::as_bytes(std::span(bytes.data(), bytes.size()));
  std::size_t at = 0;
  while (at < data.size()) {
    auto n = io.pwrite(_partial->fd, data.subspan(at), static_cast<uint64_t>(position) + at);
    if (!n || *n == 0) {
      drop_partial();
      return false;
    }
    at += *n;
  }
  _partial->size += static_cast<int64_t>(data.size());
  return true;
}

bool storage_log::install_snapshot(snapshot_id id) {
  if (_failure || !_partial || _partial->id != id) return false;
  auto& io = _log->io();
  const auto& dir = _log->dir();
  auto name = checkpoint_file_name(id);
  bool synced = io.fdatasync(_partial->fd).has_value();
  auto size = _partial->size;
  io.close(_partial->fd);
  _partial.reset();
  auto bytes = storage::read_small_file(io, dir + "/" + name + ".part", checkpoint_bytes_max);
  auto contents = bytes ? read_checkpoint(id, *bytes) : fail(std::string("unreadable"));
  if (!synced || !contents) {
    vltava::log::error("quorum", "{}: fetched snapshot {} refused: {}", dir, name,
                       contents ? std::string("fsync failed") : contents.error());
    (void)io.unlink(dir + "/" + name + ".part");
    return false;
  }
  if (auto r = io.rename(dir + "/" + name + ".part", dir + "/" + name); !r) {
    fail_with("install snapshot " + name + ": " + describe(r.error()));
    return false;
  }
  if (auto r = io.fsync_dir(dir); !r) {
    fail_with("install snapshot " + name + ": " + describe(r.error()));
    return false;
  }
  // The whole log goes: the snapshot replaces it (Kafka's truncateToLatestSnapshot).
  std::vector<snapshot_id> others;
  for (const auto& [other, _] : _snapshots) others.push_back(other);
  _snapshots[id] = snapshot_meta{size, contents->last_contained_ms};
  if (auto t = _log->truncate_fully_and_start_at(id.offset); !t) {
    fail_with("restart the log at " + name + ": " + describe(t.error()));
    return false;
  }
  if (auto f = _log->flush_and_wait(); !f) {
    fail_with("sync after installing " + name + ": " + describe(f.error()));
    return false;
  }
  _epochs.clear();
  for (auto other : others) {
    if (other != id) forget_snapshot(other);
  }
  return true;
}

result<void, std::string> storage_log::create_snapshot(
    snapshot_id id, std::span<const std::vector<std::byte>> data_batches,
    int64_t last_contained_ms) {
  VLTAVA_ASSERT(id.offset > start_offset() && id.offset <= durable_end(),
                "a snapshot covers durable, committed entries after the log start");
  if (_snapshots.contains(id)) return {};
  auto bytes = build_checkpoint(id, data_batches, last_contained_ms,
                                model::timestamp_ms(_log->io().now_ms()));
  if (auto w = write_checkpoint_file(_log->io(), _log->dir(), id, bytes); !w) return w;
  _snapshots[id] = snapshot_meta{static_cast<int64_t>(bytes.size()), last_contained_ms};
  return {};
}

result<checkpoint_contents, std::string> storage_log::read_snapshot_contents(snapshot_id id) const {
  return read_checkpoint_file(_log->io(), _log->dir(), id);
}

void storage_log::forget_snapshot(snapshot_id id) {
  _snapshots.erase(id);
  auto path = _log->dir() + "/" + checkpoint_file_name(id);
  if (auto u = _log->io().unlink(path); !u) {
    vltava::log::error("quorum", "{}: {}", path,
                       describe(u.error()));  // deleted again at next open
  }
}

bool storage_log::delete_before(snapshot_id id) {
  if (_failure || id.offset <= start_offset() || id.offset > end_offset()) return false;
  // A snapshot holds committed entries only: storage may drop what is before it.
  _log->set_high_watermark(std::max(_log->high_watermark(), id.offset));
  if (auto r = _log->set_log_start_offset(id.offset); !r) {
    fail_with("move the log start to " + std::to_string(id.offset()) + ": " + describe(r.error()));
    return false;
  }
  // The epochs before the new start: only the one spanning it stays, starting there.
  while (_epochs.size() > 1 && _epochs[1].second <= id.offset) _epochs.erase(_epochs.begin());
  if (!_epochs.empty() && _epochs.front().second < id.offset) _epochs.front().second = id.offset;
  std::vector<snapshot_id> older;
  for (const auto& [s, _] : _snapshots) {
    if (s.offset < id.offset) older.push_back(s);
  }
  for (auto s : older) forget_snapshot(s);
  if (auto h = _log->housekeeping(); !h) {
    vltava::log::error("quorum", "{}: housekeeping: {}", _log->dir(), describe(h.error()));
  }
  return true;
}

bool storage_log::clean(retention r) {
  bool moved = false;
  auto total_bytes = [this] {
    int64_t total = static_cast<int64_t>(_log->size_bytes());
    for (const auto& [_, m] : _snapshots) total += m.size;
    return total;
  };
  auto now = _log->io().now_ms();
  while (_snapshots.size() >= 2) {
    const auto& [oldest, meta] = *_snapshots.begin();
    auto next = std::next(_snapshots.begin())->first;
    bool by_size = r.max_bytes >= 0 && total_bytes() > r.max_bytes;
    bool by_time = r.max_ms >= 0 && now - meta.last_contained_ms > r.max_ms;
    if (!by_size && !by_time) break;
    if (next.offset <= start_offset()) {
      forget_snapshot(oldest);  // the log already starts at or after the next one
      continue;
    }
    if (!delete_before(next)) break;
    moved = true;
  }
  return moved;
}

}  // namespace vltava::quorum
