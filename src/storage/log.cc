#include "storage/log.h"

#include <algorithm>
#include <future>
#include <set>

#include "base/assert.h"
#include "bytes/crc32c.h"
#include "bytes/endian.h"

namespace vltava::storage {
namespace layout = model::batch_layout;
using model::offset;

namespace {
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

std::vector<std::byte> encode_checkpoint(const partition_checkpoint& c) {
  std::vector<std::byte> b(format::checkpoint_size);
  bytes::store_be<uint32_t>(b.data(), format::checkpoint_magic);
  bytes::store_be<uint16_t>(b.data() + 4, format::checkpoint_version);
  bytes::store_be<int64_t>(b.data() + 6, c.recovery_point());
  bytes::store_be<int64_t>(b.data() + 14, c.log_start());
  bytes::store_be<uint32_t>(b.data() + 22, bytes::crc32c(std::span(b).first(22)));
  return b;
}

std::optional<partition_checkpoint> decode_checkpoint(std::span<const std::byte> b) {
  if (b.size() != format::checkpoint_size) return std::nullopt;
  if (bytes::load_be<uint32_t>(b.data()) != format::checkpoint_magic) return std::nullopt;
  if (bytes::load_be<uint16_t>(b.data() + 4) != format::checkpoint_version) return std::nullopt;
  if (bytes::load_be<uint32_t>(b.data() + 22) != bytes::crc32c(b.first(22))) return std::nullopt;
  partition_checkpoint c{offset(bytes::load_be<int64_t>(b.data() + 6)),
                         offset(bytes::load_be<int64_t>(b.data() + 14))};
  if (c.recovery_point() < 0 || c.log_start() < 0) return std::nullopt;
  return c;
}

log::log(file_io& io, flusher& flush, std::string dir, model::topic_partition id, log_config cfg)
    : _io(io),
      _flusher(flush),
      _dir(std::move(dir)),
      _id(std::move(id)),
      _cfg(cfg),
      _limits(index_limits::from(cfg)),
      _durability(std::make_shared<durability_state>()) {}

sresult<std::unique_ptr<log>> log::open(file_io& io, flusher& flush, std::string dir,
                                        model::topic_partition id, log_config cfg) {
  if (auto r = cfg.validate(); !r) return fail(r.error());
  std::unique_ptr<log> l(new log(io, flush, std::move(dir), std::move(id), cfg));
  if (auto r = l->load(); !r) return fail(r.error());
  return l;
}

std::string log::where(const segment& s, uint64_t pos) const {
  return "topic " + _id.topic + " partition " + std::to_string(_id.partition()) + " segment " +
         s.path(format::log_suffix) + " byte " + std::to_string(pos);
}

sresult<void> log::load() {
  if (auto r = _io.mkdir(_dir); !r) return r;
  auto names = _io.list_dir(_dir);
  if (!names) return fail(names.error());
  std::set<offset> bases;
  bool removed = false;
  // Leftovers of interrupted work: temporary files and segments being deleted go away;
  // compaction output that was completely swapped in (.swap) replaces what it cleaned.
  for (const auto& n : *names) {
    std::string p = _dir + "/" + n;
    if (ends_with(n, ".tmp") || ends_with(n, format::deleted_suffix) ||
        ends_with(n, format::cleaned_suffix)) {
      if (auto r = _io.unlink(p); !r) return r;
      removed = true;
    } else if (ends_with(n, format::swap_suffix)) {
      // Compaction passed its commit point: finish its swap. The old indexes describe the
      // old file; they go and are rebuilt from the new one.
      std::string target = p.substr(0, p.size() - format::swap_suffix.size());
      auto b = format::parse_segment_name(n.substr(0, n.size() - format::swap_suffix.size()),
                                          format::log_suffix);
      if (b) {
        for (auto suffix : {format::index_suffix, format::time_index_suffix}) {
          std::string idx = _dir + "/" + format::segment_name(*b) + std::string(suffix);
          auto ex = _io.exists(idx);
          if (!ex) return fail(ex.error());
          if (*ex) {
            if (auto r = _io.unlink(idx); !r) return r;
          }
        }
        bases.insert(*b);
      }
      if (auto r = _io.rename(p, target); !r) return r;
      removed = true;
    } else if (auto b = format::parse_segment_name(n, format::log_suffix)) {
      bases.insert(*b);
    }
  }
  for (const auto& n : *names) {
    for (auto suffix : {format::index_suffix, format::time_index_suffix}) {
      auto b = format::parse_segment_name(n, suffix);
      if (b && !bases.count(*b)) {
        if (auto r = _io.unlink(_dir + "/" + n); !r) return r;
        removed = true;
      }
    }
  }

  std::optional<partition_checkpoint> ckpt;
  std::string ckpt_path = _dir + "/" + std::string(format::checkpoint_name);
  auto ckpt_exists = _io.exists(ckpt_path);
  if (!ckpt_exists) return fail(ckpt_exists.error());
  if (*ckpt_exists) {
    auto bytes = read_small_file(_io, ckpt_path, 4096);
    if (!bytes) return fail(bytes.error());
    ckpt = decode_checkpoint(*bytes);  // a bad checkpoint means: scan everything
  }
  std::string marker = _dir + "/" + std::string(format::clean_shutdown_name);
  auto clean = _io.exists(marker);
  if (!clean) return fail(clean.error());
  _report.clean_shutdown = *clean && ckpt.has_value();
  if (*clean) {
    // The marker must be gone before the first append, or a crash would skip recovery.
    if (auto r = _io.unlink(marker); !r) return r;
    removed = true;
  }
  // The first flush job syncs the directory (removals included) before it reports anything
  // durable; a clean open thus costs no fsync. Until then a power loss could resurrect the
  // marker, but the tail of the active segment is validated even on a clean open.
  _dir_dirty = removed;

  int64_t now = _io.now_ms();
  for (offset b : bases) {
    auto s = segment::open(_io, _dir, b, _limits, now);
    if (!s) return fail(s.error());
    _segments.emplace(b, std::move(*s));
  }
  _report.segments = _segments.size();
  if (_segments.empty()) {
    offset start = ckpt ? ckpt->log_start : offset(0);
    auto s = segment::create(_io, _dir, start, _limits, now);
    if (!s) return fail(s.error());
    _segments.emplace(start, std::move(*s));
  } else {
    for (auto it = _segments.begin(); std::next(it) != _segments.end(); ++it) {
      it->second->set_next_offset(std::next(it)->first);
    }
    bool scan = !_report.clean_shutdown;
    if (!scan) {
      auto t = active().load_tail();
      if (!t) return fail(t.error());
      scan = t->problem.has_value();
    }
    if (scan) {
      // From the segment holding the recovery point (everything when there is no checkpoint).
      offset rp = ckpt && _report.clean_shutdown == false ? ckpt->recovery_point : offset(-1);
      if (_report.clean_shutdown) rp = active().base_offset();
      size_t first = 0, i = 0;
      for (auto& [b, s] : _segments) {
        if (b <= rp) first = i;
        ++i;
      }
      if (auto r = recover_from(first); !r) return r;
    }
  }
  offset first_base = _segments.begin()->first;
  _log_start = std::max(ckpt ? ckpt->log_start : first_base, first_base);
  _log_start = std::min(_log_start, log_end_offset());
  _high_watermark = _log_start;
  _first_dirty = first_base;
  _recovery_point = log_end_offset();
  _last_flush_ms = now;
  if (_report.clean_shutdown && _report.segments_scanned == 0) {
    _durability->reset(log_end_offset());  // close() synced everything
    return {};
  }
  // Recovered bytes may be only in the page cache: the flusher syncs them and records the new
  // recovery point. Until then durable_end() stays at the log start.
  _durability->reset(_log_start);
  auto it = _segments.end();
  for (size_t i = 0; i < _report.segments_scanned && it != _segments.begin(); ++i) {
    --it;
    _unsynced.push_back(it->second->log_file());
  }
  _dir_dirty = true;
  submit(dir_sync::always, checkpoint_write::yes, {});
  return {};
}

sresult<void> log::recover_from(size_t first) {
  auto it = std::next(_segments.begin(), static_cast<std::ptrdiff_t>(first));
  for (; it != _segments.end(); ++it) {
    segment& s = *it->second;
    uint64_t file_bytes = s.size();
    auto r = s.recover();
    if (!r) return fail(r.error());
    ++_report.segments_scanned;
    ++_report.indexes_rebuilt;
    auto nx = std::next(it);
    if (nx != _segments.end() && !r->problem && s.next_offset() > nx->first) {
      return error(errc::corrupt, where(*nx->second, 0) + ": segment base offset " +
                                      std::to_string(nx->first()) + " below the offsets before it");
    }
    if (!r->problem) continue;
    // A torn write is the last thing written: nothing valid follows it. A bad batch followed
    // by a valid one is corruption of data that may have been acknowledged: refuse to open.
    uint64_t bad = r->end;
    if (r->bad_batch_size && bad + *r->bad_batch_size < file_bytes) {
      bool valid_after = false;
      auto probe = scan_batches(*s.log_file(), bad + *r->bad_batch_size, file_bytes,
                                scan_depth::verified, [&](const batch_ref&, auto) {
                                  valid_after = true;
                                  return scan_action::stop;
                                });
      if (!probe) return fail(probe.error());
      if (valid_after) {
        return error(errc::corrupt, where(s, bad) + ": " + *r->problem +
                                        " (valid batches follow, so this is not a torn tail)");
      }
    }
    uint64_t dropped = file_bytes - bad;
    while (std::prev(_segments.end()) != it) {
      auto last = std::prev(_segments.end());
      dropped += last->second->size();
      if (auto d = delete_segment(last); !d) return d;
    }
    if (auto t = _io.ftruncate(s.log_file()->fd(), bad); !t) return t;
    _report.bytes_truncated = dropped;
    _report.truncation = where(s, bad) + ": " + *r->problem + "; truncated " +
                         std::to_string(dropped) + " bytes of torn tail";
    break;
  }
  // Files renamed to .deleted during recovery can go now: nobody reads them.
  for (auto& p : _pending_deletes) {
    if (auto r = _io.unlink(p.path); !r) return r;
  }
  _pending_deletes.clear();
  return {};
}

offset log::log_end_offset() const {
  return _segments.rbegin()->second->next_offset();
}

void log::set_high_watermark(offset hw) {
  _high_watermark = std::clamp(hw, _log_start, log_end_offset());
}

std::vector<offset> log::segment_bases() const {
  std::vector<offset> out;
  for (auto& [b, s] : _segments) out.push_back(b);
  return out;
}

uint64_t log::size_bytes() const {
  uint64_t n = 0;
  for (auto& [b, s] : _segments) n += s->size();
  return n;
}

std::vector<std::byte> log::checkpoint_bytes() const {
  return encode_checkpoint({std::min(_recovery_point, log_end_offset()), _log_start});
}

sresult<void> log::check_writable() const {
  if (_closed) return error(errc::log_failed, _id.describe() + ": log is closed");
  if (_durability->failed()) {
    return error(errc::log_failed, _id.describe() + ": " + _durability->failure());
  }
  return {};
}

sresult<void> log::set_config(const log_config& cfg) {
  if (auto r = cfg.validate(); !r) return fail(r.error());
  _cfg = cfg;
  return {};
}

// Appends in three steps: every batch is validated before anything is touched; then offsets,
// epoch and append time are stamped in place; then the batches are written in runs, rolling
// segments between runs. A failure while writing undoes what was written.
sresult<append_result> log::append(std::span<std::byte> batches, const append_options& opts) {
  if (auto r = check_writable(); !r) return fail(r.error());
  if (batches.size() > static_cast<size_t>(limits::append_bytes_max)) {
    return error(errc::too_large, _id.describe() + ": append of " + std::to_string(batches.size()) +
                                      " bytes exceeds the limit");
  }
  auto refs = validate_batches(batches, opts);
  if (!refs) return fail(refs.error());
  const offset end_before = log_end_offset();
  auto stamped = stamp_batches(batches, *refs, opts);
  if (!stamped) return fail(stamped.error());
  const append_result& res = stamped->result;
  auto written = write_batches(batches, *refs);
  if (!written) return fail(written.error());
  // Postconditions: the log end moved to just past the last batch, every byte was written once.
  VLTAVA_ASSERT(res.batches == refs->size(), "append: one result per batch");
  VLTAVA_ASSERT(res.base_offset <= res.last_offset, "append: offsets increase");
  VLTAVA_ASSERT(opts.assign_offsets ? res.base_offset == end_before : res.base_offset >= end_before,
                "append: the first batch starts at (leader) or past (follower) the old log end");
  VLTAVA_ASSERT(log_end_offset() == res.last_offset + 1,
                "append: the log end advanced by exactly the records appended");
  VLTAVA_ASSERT(*written == res.bytes && res.bytes == batches.size(),
                "append: the segments grew by exactly the bytes appended");
  _unflushed_records += stamped->records;
  if (_unflushed_records >= _cfg.flush_messages) flush();
  if (_append_listener) _append_listener(res);
  return res;
}

sresult<std::vector<batch_ref>> log::validate_batches(std::span<const std::byte> batches,
                                                      const append_options& opts) const {
  std::vector<batch_ref> refs;
  size_t pos = 0;
  offset expected = log_end_offset();
  while (pos < batches.size()) {
    auto rest = batches.subspan(pos);
    // Built only on the error path: the hot path allocates nothing per batch.
    auto at = [&] {
      return _id.describe() + ": batch " + std::to_string(refs.size()) + " at byte " +
             std::to_string(pos) + ": ";
    };
    auto h = model::parse_header(rest);
    if (!h) return error(errc::invalid_batch, at() + std::string(model::describe(h.error())));
    if (h->size_bytes() > rest.size()) {
      return error(errc::invalid_batch,
                   at() + std::string(model::describe(model::batch_error::truncated)));
    }
    if (h->size_bytes() > static_cast<uint64_t>(_cfg.max_message_bytes)) {
      return error(errc::too_large,
                   at() + std::to_string(h->size_bytes()) + " bytes exceeds max.message.bytes");
    }
    if (!opts.crc_checked) {
      auto v = model::validate_batch(rest.first(h->size_bytes()));
      if (!v) return error(errc::invalid_batch, at() + std::string(model::describe(v.error())));
    }
    if (!opts.assign_offsets) {
      if (h->base_offset < expected) {
        return error(errc::invalid_batch, at() + "base offset " + std::to_string(h->base_offset()) +
                                              " is below the expected " +
                                              std::to_string(expected()));
      }
      expected = h->last_offset() + 1;
    }
    refs.push_back({*h, pos});
    pos += h->size_bytes();
  }
  if (refs.empty()) return error(errc::invalid_batch, _id.describe() + ": no batches");
  VLTAVA_ASSERT(pos == batches.size(), "validate: the batches cover the append exactly");
  return refs;
}

sresult<log::stamped_append> log::stamp_batches(std::span<std::byte> batches,
                                                std::vector<batch_ref>& refs,
                                                const append_options& opts) const {
  offset next = log_end_offset();
  stamped_append out;
  append_result& res = out.result;
  for (auto& r : refs) {
    auto b = batches.subspan(r.position, r.header.size_bytes());
    if (opts.assign_offsets) {
      if (next() > std::numeric_limits<int64_t>::max() - r.header.last_offset_delta - 1) {
        return error(errc::offset_out_of_range, _id.describe() + ": offsets exhausted");
      }
      model::set_base_offset(b, next);
      r.header.base_offset = next;
    }
    VLTAVA_ASSERT(r.header.base_offset >= next, "stamp: offsets are monotonic");
    if (opts.leader_epoch) {
      model::set_partition_leader_epoch(b, *opts.leader_epoch);
      r.header.partition_leader_epoch = *opts.leader_epoch;
    }
    if (opts.log_append_time) {
      model::set_log_append_time(b, *opts.log_append_time);
      r.header.max_timestamp = *opts.log_append_time;
      r.header.attributes |= model::batch_attribute::timestamp_type;
    }
    next = r.header.last_offset() + 1;
    out.records += r.header.record_count;
    res.max_timestamp = std::max(res.max_timestamp, r.header.max_timestamp());
    res.bytes += r.header.size_bytes();
  }
  res.base_offset = refs.front().header.base_offset;
  res.last_offset = refs.back().header.last_offset();
  res.batches = refs.size();
  return out;
}

sresult<uint64_t> log::write_batches(std::span<const std::byte> batches,
                                     const std::vector<batch_ref>& refs) {
  const offset end_before = log_end_offset();
  const int64_t now = _io.now_ms();
  std::vector<batch_ref> run;
  size_t run_start = 0;
  uint64_t pending = 0;
  uint64_t written = 0;
  for (const auto& r : refs) {
    uint64_t size = r.header.size_bytes();
    if (active().needs_roll(r.header, size, pending, run.size(), _cfg, now)) {
      if (!run.empty()) {
        if (auto w = write_run(batches.subspan(run_start, pending), run); !w) {
          return undo_append(end_before, w.error());
        }
        written += pending;
      }
      if (auto w = roll(r.header.base_offset); !w) return undo_append(end_before, w.error());
      run.clear();
      run_start = r.position;
      pending = 0;
    }
    run.push_back({r.header, r.position - run_start});
    pending += size;
  }
  if (auto w = write_run(batches.subspan(run_start, pending), run); !w) {
    return undo_append(end_before, w.error());
  }
  return written + pending;
}

failure<storage_error> log::undo_append(offset end_before, storage_error e) {
  if (log_end_offset() > end_before) {
    if (auto t = truncate_suffix(end_before); !t) {
      _durability->fail("could not undo a failed append: " + t.error().message);
    }
  }
  return fail(std::move(e));
}

sresult<void> log::write_run(std::span<const std::byte> bytes, std::vector<batch_ref>& run) {
  segment& s = active();
  const uint64_t size_before = s.size();
  if (auto r = s.append(bytes, run); !r) {
    return error(r.error().code, where(s, s.size()) + ": " + r.error().message);
  }
  VLTAVA_ASSERT(s.size() == size_before + bytes.size(),
                "write_run: the active segment grew by the bytes written");
  if (std::find(_unsynced.begin(), _unsynced.end(), s.log_file()) == _unsynced.end()) {
    _unsynced.push_back(s.log_file());
  }
  return {};
}

sresult<void> log::roll(offset base) {
  segment& old = active();
  auto files = old.write_indexes();
  if (!files) return fail(files.error());
  for (auto& f : *files) _unsynced.push_back(std::move(f));
  if (std::find(_unsynced.begin(), _unsynced.end(), old.log_file()) == _unsynced.end()) {
    _unsynced.push_back(old.log_file());
  }
  auto s = segment::create(_io, _dir, base, _limits, _io.now_ms());
  if (!s) return fail(s.error());
  _unsynced.push_back((*s)->log_file());
  _segments.emplace(base, std::move(*s));
  _dir_dirty = true;
  // Once this job's syncs are done, everything below the new segment is durable.
  _recovery_point = base;
  submit(dir_sync::always, checkpoint_write::yes, {});
  if (_roll_listener) _roll_listener(base);
  return {};
}

void log::submit(dir_sync sync, checkpoint_write checkpoint, std::vector<durable_callback> cbs) {
  flush_job j;
  j.state = _durability;
  j.generation = _durability->generation();
  j.target = log_end_offset();
  j.files = std::move(_unsynced);
  _unsynced.clear();
  j.dir = _dir;
  j.sync_dir = sync == dir_sync::always || _dir_dirty;
  _dir_dirty = false;
  if (checkpoint == checkpoint_write::yes)
    j.checkpoint.emplace(std::string(format::checkpoint_name), checkpoint_bytes());
  j.callbacks = std::move(cbs);
  _unflushed_records = 0;
  _last_flush_ms = _io.now_ms();
  _flusher.submit(std::move(j));
}

offset log::durable_end() const {
  return std::min(_durability->durable_end(), log_end_offset());
}

void log::flush(durable_callback cb) {
  if (_durability->failed()) {
    if (cb) cb(fail(storage_error{errc::log_failed, _durability->failure()}));
    return;
  }
  if (_unsynced.empty() && !_dir_dirty && durable_end() >= log_end_offset()) {
    if (cb) cb(durable_end());
    return;
  }
  std::vector<durable_callback> cbs;
  if (cb) cbs.push_back(std::move(cb));
  submit(dir_sync::if_changed, checkpoint_write::no, std::move(cbs));
}

void log::wait_durable(offset o, durable_callback cb) {
  if (o < durable_end()) {
    cb(durable_end());
    return;
  }
  flush(std::move(cb));
}

sresult<offset> log::flush_and_wait() {
  std::promise<sresult<offset>> done;
  auto fut = done.get_future();
  flush([&done](sresult<offset> r) { done.set_value(std::move(r)); });
  return fut.get();
}

sresult<read_result> log::read(offset from, uint64_t max_bytes, std::optional<offset> max_offset) {
  offset end = log_end_offset();
  if (from < _log_start || from > end) {
    return error(errc::offset_out_of_range, _id.describe() + ": offset " + std::to_string(from()) +
                                                " outside [" + std::to_string(_log_start()) + ", " +
                                                std::to_string(end()) + "]");
  }
  offset limit = max_offset ? std::min(*max_offset, end) : end;
  read_result out;
  out.next_offset = from;
  if (from >= limit) return out;
  auto it = std::prev(_segments.upper_bound(from));
  bool done = false;
  for (; it != _segments.end() && !done; ++it) {
    segment& s = *it->second;
    auto start = s.find(std::max(from, s.base_offset()));
    if (!start) return error(start.error().code, _id.describe() + ": " + start.error().message);
    if (!*start) continue;
    file_range range{s.log_file(), (*start)->position, 0};
    // The sparse index vouches for whole batches up to its entries: skip their headers.
    uint64_t budget = max_bytes > out.bytes ? max_bytes - out.bytes : 0;
    uint64_t from_pos = s.skip_hint(range.position, budget, limit - s.base_offset());
    range.length = from_pos - range.position;
    out.bytes += range.length;
    auto r = scan_batches(
        *s.log_file(), from_pos, s.size(), scan_depth::headers, [&](const batch_ref& b, auto) {
          uint64_t size = b.header.size_bytes();
          if (b.header.last_offset() >= limit || (out.bytes > 0 && out.bytes + size > max_bytes)) {
            // Nothing lies between the last batch returned and this one.
            out.next_offset = std::max(out.next_offset, b.header.base_offset);
            done = true;
            return scan_action::stop;
          }
          range.length += size;
          out.bytes += size;
          out.next_offset = b.header.last_offset() + 1;
          return scan_action::next;
        });
    if (!r) return fail(r.error());
    if (r->problem) return error(errc::corrupt, where(s, r->end) + ": " + *r->problem);
    if (range.length > 0) out.ranges.push_back(std::move(range));
  }
  return out;
}

sresult<std::vector<std::byte>> log::read_bytes(offset from, uint64_t max_bytes,
                                                std::optional<offset> max_offset) {
  auto r = read(from, max_bytes, max_offset);
  if (!r) return fail(r.error());
  std::vector<std::byte> out(r->bytes);
  size_t at = 0;
  for (const auto& range : r->ranges) {
    auto rd = range.source->read_exact(std::span(out).subspan(at, range.length), range.position);
    if (!rd) return fail(rd.error());
    at += range.length;
  }
  return out;
}

sresult<std::optional<timestamp_match>> log::find_offset_by_timestamp(int64_t ts) {
  for (auto& [b, s] : _segments) {
    auto mts = s->max_timestamp();
    if (!mts) return fail(mts.error());
    if (*mts < ts) continue;
    auto f = s->find_timestamp(ts, _log_start);
    if (!f) return fail(f.error());
    if (!*f) continue;
    const auto& h = (*f)->header;
    return std::optional(
        timestamp_match{std::max(h.base_offset, _log_start), h.last_offset(), h.max_timestamp()});
  }
  return std::optional<timestamp_match>{};
}

sresult<void> log::delete_segment(std::map<offset, std::unique_ptr<segment>>::iterator it) {
  auto paths = it->second->rename_to_deleted();
  if (!paths) return fail(paths.error());
  int64_t due = _io.now_ms() + _cfg.file_delete_delay_ms;
  for (auto& p : *paths) _pending_deletes.push_back({std::move(p), due});
  _unsynced.erase(std::remove(_unsynced.begin(), _unsynced.end(), it->second->log_file()),
                  _unsynced.end());
  _segments.erase(it);
  _dir_dirty = true;
  return {};
}

sresult<void> log::remove_all_and_restart(offset o) {
  while (!_segments.empty()) {
    if (auto r = delete_segment(std::prev(_segments.end())); !r) return r;
  }
  auto s = segment::create(_io, _dir, o, _limits, _io.now_ms());
  if (!s) return fail(s.error());
  _unsynced.push_back((*s)->log_file());
  _segments.emplace(o, std::move(*s));
  _log_start = o;
  return {};
}

sresult<offset> log::truncate_suffix(offset o) {
  if (_closed) return error(errc::log_failed, _id.describe() + ": log is closed");
  if (o >= log_end_offset()) return log_end_offset();
  if (o <= _segments.begin()->first || o <= _log_start) {
    if (auto r = remove_all_and_restart(std::min(o, std::max(o, _log_start))); !r) {
      return fail(r.error());
    }
  } else {
    auto it = std::prev(_segments.upper_bound(o));
    segment& s = *it->second;
    auto found = s.find(o);
    if (!found) return fail(found.error());
    uint64_t pos = *found ? (*found)->position : s.size();
    while (std::prev(_segments.end()) != it) {
      if (auto r = delete_segment(std::prev(_segments.end())); !r) return fail(r.error());
    }
    if (auto r = s.truncate_to(pos); !r) return fail(r.error());
    if (std::find(_unsynced.begin(), _unsynced.end(), s.log_file()) == _unsynced.end()) {
      _unsynced.push_back(s.log_file());
    }
  }
  offset end = log_end_offset();
  _durability->truncated(end);
  _high_watermark = std::min(_high_watermark, end);
  _recovery_point = std::min(_recovery_point, end);
  submit(dir_sync::always, checkpoint_write::yes, {});
  return end;
}

sresult<void> log::truncate_fully_and_start_at(offset o) {
  if (auto r = check_writable(); !r) return r;
  if (auto r = remove_all_and_restart(o); !r) return fail(r.error());
  _durability->truncated(o);
  _high_watermark = o;
  _recovery_point = o;
  submit(dir_sync::always, checkpoint_write::yes, {});
  return {};
}

sresult<void> log::set_log_start_offset(offset o) {
  if (auto r = check_writable(); !r) return r;
  if (o <= _log_start) return {};
  if (o > _high_watermark) {
    return error(errc::offset_out_of_range, _id.describe() + ": log start offset " +
                                                std::to_string(o()) + " above high watermark " +
                                                std::to_string(_high_watermark()));
  }
  _log_start = o;
  while (_segments.size() > 1 && std::next(_segments.begin())->first <= o) {
    if (auto r = delete_segment(_segments.begin()); !r) return r;
  }
  submit(dir_sync::always, checkpoint_write::yes, {});
  return {};
}

sresult<size_t> log::apply_retention() {
  if (auto r = check_writable(); !r) return fail(r.error());
  if (!_cfg.cleanup.del) return size_t{0};
  int64_t now = _io.now_ms();
  uint64_t total = size_bytes();
  size_t deleted = 0;
  while (_segments.size() > 1) {
    auto it = _segments.begin();
    offset next_base = std::next(it)->first;
    if (next_base > _high_watermark) break;  // never delete what is not yet committed
    segment& s = *it->second;
    bool by_size = _cfg.retention_bytes >= 0 &&
                   total - s.size() >= static_cast<uint64_t>(_cfg.retention_bytes);
    bool by_time = false;
    if (_cfg.retention_ms >= 0) {
      auto mts = s.max_timestamp();
      if (!mts) return fail(mts.error());
      by_time = now - *mts > _cfg.retention_ms;
    }
    if (!by_size && !by_time) break;
    total -= s.size();
    if (auto r = delete_segment(it); !r) return fail(r.error());
    _log_start = std::max(_log_start, next_base);
    ++deleted;
  }
  if (deleted > 0) submit(dir_sync::always, checkpoint_write::yes, {});
  return deleted;
}

sresult<void> log::housekeeping() {
  if (auto r = check_writable(); !r) return r;
  int64_t now = _io.now_ms();
  if (!_unsynced.empty() && now - _last_flush_ms >= _cfg.flush_ms) flush();
  if (auto r = apply_retention(); !r) return fail(r.error());
  auto due = std::stable_partition(_pending_deletes.begin(), _pending_deletes.end(),
                                   [&](const pending_delete& p) { return p.due_ms > now; });
  for (auto it = due; it != _pending_deletes.end(); ++it) {
    auto ex = _io.exists(it->path);
    if (!ex) return fail(ex.error());
    if (*ex) {
      if (auto r = _io.unlink(it->path); !r) return r;
    }
  }
  _pending_deletes.erase(due, _pending_deletes.end());
  return {};
}

sresult<void> log::close() {
  if (_closed) return {};
  if (auto r = check_writable(); !r) return r;
  auto files = active().write_indexes();
  if (!files) return fail(files.error());
  for (auto& f : *files) _unsynced.push_back(std::move(f));
  _recovery_point = log_end_offset();
  std::promise<sresult<offset>> done;
  auto fut = done.get_future();
  submit(dir_sync::always, checkpoint_write::yes,
         {[&done](sresult<offset> r) { done.set_value(std::move(r)); }});
  auto r = fut.get();
  if (!r) return fail(r.error());
  for (auto& p : _pending_deletes) {
    if (auto u = _io.unlink(p.path); !u) return u;
  }
  _pending_deletes.clear();
  if (auto w = write_file_atomic(_io, _dir, std::string(format::clean_shutdown_name), {}); !w) {
    return w;
  }
  _closed = true;
  return {};
}

}  // namespace vltava::storage

namespace vltava::storage {

std::optional<compaction_job> log::begin_compaction(compaction_trigger trigger) {
  if (!_cfg.cleanup.compact || _closed || _durability->failed()) return std::nullopt;
  int64_t now = _io.now_ms();
  std::vector<compaction_job::source> sources;
  uint64_t total = 0, dirty = 0;
  offset clean_end = _segments.begin()->first;
  // Never past the first unstable offset: data of ongoing transactions stays as written.
  offset upper = _high_watermark;
  if (_compaction_bounds.first_unstable) {
    if (auto fu = _compaction_bounds.first_unstable()) upper = std::min(upper, *fu);
  }
  for (auto it = _segments.begin(); std::next(it) != _segments.end(); ++it) {
    offset next_base = std::next(it)->first;
    if (next_base > upper) break;
    auto mts = it->second->max_timestamp();
    if (!mts || now - *mts < _cfg.min_compaction_lag_ms) break;
    auto& s = *it->second;
    sources.push_back({s.base_offset(), s.log_file(), s.size()});
    total += s.size();
    if (s.base_offset() >= _first_dirty) dirty += s.size();
    clean_end = next_base;
  }
  if (sources.empty() || dirty == 0) return std::nullopt;
  if (trigger == compaction_trigger::by_dirty_ratio &&
      static_cast<double>(dirty) / static_cast<double>(total) < _cfg.min_cleanable_dirty_ratio) {
    return std::nullopt;
  }
  compaction_job job(_io, _dir, _cfg, now, _first_dirty, clean_end, std::move(sources));
  if (_compaction_bounds.aborted) {
    job.set_aborted(_compaction_bounds.aborted(_segments.begin()->first, clean_end));
  }
  return job;
}

sresult<compaction_stats> log::finish_compaction(compaction_job& job) {
  // Abandon if any source changed (truncated, deleted by retention, replaced) meanwhile.
  for (const auto& s : job.sources()) {
    auto it = _segments.find(s.base);
    if (it == _segments.end() || it->second->log_file() != s.log || it->second->size() != s.size) {
      job.discard();
      return compaction_stats{};
    }
  }
  std::vector<const compaction_job::source*> changed;
  for (const auto& s : job.sources()) {
    if (s.changed) changed.push_back(&s);
  }
  for (const auto* s : changed) {
    if (auto r = _io.rename(s->cleaned_path, s->log->path() + std::string(format::swap_suffix));
        !r) {
      job.discard();
      return fail(r.error());
    }
  }
  // Commit point: once the .swap names are durable, recovery completes the swap.
  if (auto r = _io.fsync_dir(_dir); !r) return fail(r.error());
  int64_t now = _io.now_ms();
  for (const auto* s : changed) {
    auto& seg = _segments.find(s->base)->second;
    for (auto suffix : {format::index_suffix, format::time_index_suffix}) {
      auto ex = _io.exists(seg->path(suffix));
      if (!ex) return fail(ex.error());
      if (*ex) {
        if (auto r = _io.unlink(seg->path(suffix)); !r) return fail(r.error());
      }
    }
    if (auto r = _io.rename(s->log->path() + std::string(format::swap_suffix), s->log->path());
        !r) {
      return fail(r.error());
    }
    offset next = seg->next_offset();
    auto fresh = segment::open(_io, _dir, s->base, _limits, now);
    if (!fresh) return fail(fresh.error());
    (*fresh)->set_next_offset(next);
    seg = std::move(*fresh);
  }
  _dir_dirty = true;
  _first_dirty = job.clean_end();
  submit(dir_sync::always, checkpoint_write::no, {});
  return job.stats();
}

sresult<compaction_stats> log::compact(compaction_trigger trigger) {
  auto job = begin_compaction(trigger);
  if (!job) return compaction_stats{};
  if (auto r = job->run(); !r) return fail(r.error());
  return finish_compaction(*job);
}

}  // namespace vltava::storage
