#include "storage/segment.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "base/assert.h"

namespace vltava::storage {
namespace layout = model::batch_layout;

namespace {
constexpr size_t scan_buffer_bytes = 64 * 1024;
constexpr size_t header_chunk_bytes = 4 * 1024;
}  // namespace

sresult<scan_outcome> scan_batches(const file& f, uint64_t from, uint64_t to, scan_depth depth,
                                   const scan_fn& fn) {
  const bool verify = depth == scan_depth::verified;
  std::vector<std::byte> buf;
  uint64_t buf_pos = 0;  // file position of buf[0]
  size_t buf_len = 0;
  // Makes [pos, pos + n) available in buf, reading ahead up to the scan buffer size.
  auto ensure = [&](uint64_t pos, size_t n) -> sresult<void> {
    if (pos >= buf_pos && pos + n <= buf_pos + buf_len) return {};
    // Header-only scans read small chunks: batches are often larger than the chunk, and
    // reading their bodies would only be copied and thrown away.
    size_t chunk = verify ? scan_buffer_bytes : header_chunk_bytes;
    size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, chunk), to - pos));
    if (buf.size() < want) buf.resize(want);
    auto got = f.read_some(std::span(buf.data(), want), pos);
    if (!got) return fail(got.error());
    buf_pos = pos;
    buf_len = *got;
    if (buf_len < n) {
      return error(errc::io_error, "file " + f.path() + " is shorter than expected at byte " +
                                       std::to_string(pos + buf_len));
    }
    return {};
  };

  scan_outcome out;
  uint64_t pos = from;
  auto stop = [&](std::string why) {
    out.problem = std::move(why);
    out.end = pos;
    return out;
  };
  while (pos < to) {
    if (to - pos < layout::header_size) return stop("truncated batch header");
    if (auto r = ensure(pos, layout::header_size); !r) return fail(r.error());
    auto h = model::parse_header(std::span(buf.data() + (pos - buf_pos), layout::header_size));
    if (!h) return stop(std::string(model::describe(h.error())));
    uint64_t size = h->size_bytes();
    out.bad_batch_size = size;
    if (size > static_cast<uint64_t>(limits::batch_bytes_max)) return stop("batch too large");
    if (size > to - pos) return stop("truncated batch");
    std::span<const std::byte> bytes;
    if (verify) {
      if (auto r = ensure(pos, size); !r) return fail(r.error());
      bytes = std::span(buf.data() + (pos - buf_pos), size);
      auto v = model::validate_batch(bytes);
      if (!v) return stop(std::string(model::describe(v.error())));
    }
    scan_action a = fn(batch_ref{*h, pos}, bytes);
    if (a == scan_action::invalid) return stop("batch offsets out of order");
    out.bad_batch_size.reset();
    if (a == scan_action::stop) break;
    pos += size;
  }
  out.end = pos;
  return out;
}

index_limits index_limits::from(const log_config& c) {
  return {static_cast<size_t>(c.segment_index_bytes) / format::offset_entry_size,
          static_cast<size_t>(c.segment_index_bytes) / format::time_entry_size,
          c.index_interval_bytes};
}

segment::segment(file_io& io, std::string dir, model::offset base, index_limits limits,
                 std::shared_ptr<file> log, uint64_t size, int64_t now_ms)
    : _io(io),
      _dir(std::move(dir)),
      _base(base),
      _limits(limits),
      _log(std::move(log)),
      _size(size),
      _next(base),
      _offset_of_max_timestamp(base),
      _rolling_base_ms(now_ms),
      _offsets(limits.offset_entries),
      _times(limits.time_entries) {}

std::string segment::path(std::string_view suffix) const {
  return _dir + "/" + format::segment_name(_base) + std::string(suffix);
}

sresult<std::unique_ptr<segment>> segment::create(file_io& io, const std::string& dir,
                                                  model::offset base, index_limits limits,
                                                  int64_t now_ms) {
  std::string p = dir + "/" + format::segment_name(base) + std::string(format::log_suffix);
  auto f = file::open(io, p, open_mode::create);
  if (!f) return fail(f.error());
  if (auto r = io.ftruncate((*f)->fd(), 0); !r) return fail(r.error());
  std::unique_ptr<segment> s(new segment(io, dir, base, limits, *f, 0, now_ms));
  s->_indexes_loaded = true;
  return s;
}

sresult<std::unique_ptr<segment>> segment::open(file_io& io, const std::string& dir,
                                                model::offset base, index_limits limits,
                                                int64_t now_ms) {
  std::string p = dir + "/" + format::segment_name(base) + std::string(format::log_suffix);
  auto f = file::open(io, p, open_mode::read_write);
  if (!f) return fail(f.error());
  auto size = io.file_size((*f)->fd());
  if (!size) return fail(size.error());
  if (*size > static_cast<uint64_t>(limits::segment_bytes_max) + limits::batch_bytes_max) {
    return error(errc::corrupt, p + " is larger than any segment can be");
  }
  return std::unique_ptr<segment>(new segment(io, dir, base, limits, *f, *size, now_ms));
}

int32_t segment::relative(model::offset o) const {
  int64_t rel = o - _base;
  VLTAVA_ASSERT(rel >= 0 && rel <= std::numeric_limits<int32_t>::max(),
                "offset outside the segment's relative range");
  return static_cast<int32_t>(rel);
}

bool segment::needs_roll(const model::record_batch_header& h, uint64_t bytes, uint64_t pending,
                         size_t pending_n, const log_config& cfg, int64_t now_ms) const {
  uint64_t used = _size + pending;
  if (used == 0) return false;  // a batch always fits an empty segment
  if (used + bytes > static_cast<uint64_t>(cfg.segment_bytes)) return true;
  if (now_ms - _rolling_base_ms >= cfg.segment_ms) return true;
  if (_offsets.size() + pending_n >= _limits.offset_entries) return true;
  if (_times.size() + pending_n >= _limits.time_entries) return true;
  return h.last_offset() - _base > std::numeric_limits<int32_t>::max();
}

void segment::index_batch(const batch_ref& b) {
  const auto& h = b.header;
  if (h.max_timestamp() > _max_timestamp) {
    _max_timestamp = h.max_timestamp();
    _offset_of_max_timestamp = h.last_offset();
  }
  if (_bytes_since_entry > static_cast<uint64_t>(_limits.interval_bytes) && !_offsets.full()) {
    _offsets.append({relative(h.last_offset()), static_cast<uint32_t>(b.position)});
    _times.maybe_append({_max_timestamp, relative(_offset_of_max_timestamp)});
    _bytes_since_entry = 0;
  }
  _bytes_since_entry += h.size_bytes();
  _next = h.last_offset() + 1;
}

sresult<void> segment::append(std::span<const std::byte> bytes,
                              std::span<const batch_ref> batches) {
  VLTAVA_ASSERT(_indexes_loaded, "appending to a segment whose indexes are not loaded");
  if (auto r = _log->write_all(bytes, _size); !r) {
    // Best effort: drop the torn prefix now. If this fails too, the next append overwrites it
    // and recovery would cut it, so the log stays readable either way.
    (void)_io.ftruncate(_log->fd(), _size);
    return r;
  }
  uint64_t base_pos = _size;
  for (const auto& b : batches) {
    index_batch({b.header, base_pos + b.position});
    _size = base_pos + b.position + b.header.size_bytes();
  }
  VLTAVA_ASSERT(_size == base_pos + bytes.size(), "batches must cover the appended bytes");
  return {};
}

void segment::reset_indexes() {
  _offsets.clear();
  _times.clear();
  _bytes_since_entry = 0;
  _max_timestamp = -1;
  _offset_of_max_timestamp = _base;
  _next = _base;
  _indexes_loaded = true;
}

sresult<scan_outcome> segment::recover() {
  reset_indexes();
  uint64_t size = _size;
  _size = 0;
  model::offset expected = _base;
  auto r = scan_batches(*_log, 0, size, scan_depth::verified, [&](const batch_ref& b, auto) {
    if (b.header.base_offset < expected) return scan_action::invalid;
    if (b.header.last_offset() - _base > std::numeric_limits<int32_t>::max()) {
      return scan_action::invalid;
    }
    index_batch(b);
    _size = b.position + b.header.size_bytes();
    expected = b.header.last_offset() + 1;
    return scan_action::next;
  });
  if (!r) {
    _size = size;
    return r;
  }
  if (!r->problem) _size = size;
  return r;
}

sresult<void> segment::load_indexes() {
  if (_indexes_loaded) return {};
  auto oi = read_small_file(_io, path(format::index_suffix),
                            _limits.offset_entries * format::offset_entry_size);
  auto ti = read_small_file(_io, path(format::time_index_suffix),
                            (_limits.time_entries + 1) * format::time_entry_size);
  std::optional<offset_index> o;
  std::optional<time_index> t;
  if (oi) o = offset_index::decode(*oi, _limits.offset_entries, _size);
  if (ti) t = time_index::decode(*ti, _limits.time_entries);
  if (o && t) {
    _offsets = std::move(*o);
    _times = std::move(*t);
    _indexes_loaded = true;
    if (auto last = _times.last()) {
      _max_timestamp = last->timestamp;
      _offset_of_max_timestamp = _base + last->relative_offset;
    }
    return {};
  }
  // Missing or malformed: rebuild from the .log, reading headers only.
  model::offset next = _next;
  reset_indexes();
  auto r = scan_batches(*_log, 0, _size, scan_depth::headers, [&](const batch_ref& b, auto) {
    index_batch(b);
    return scan_action::next;
  });
  if (!r) return fail(r.error());
  if (r->problem) {
    return error(errc::corrupt, "segment " + path(format::log_suffix) + " byte " +
                                    std::to_string(r->end) + ": " + *r->problem);
  }
  if (next > _next) _next = next;
  return {};
}

sresult<scan_outcome> segment::load_tail() {
  if (auto r = load_indexes(); !r) return fail(r.error());
  uint64_t from = 0;
  if (auto last = _offsets.last()) from = last->position;
  // After a restart the first batch's timestamp tells when the segment started (segment.ms);
  // while running, the creation time does (see README.md).
  auto first = scan_batches(*_log, 0, _size, scan_depth::headers, [&](const batch_ref& b, auto) {
    _rolling_base_ms = std::min(_rolling_base_ms, b.header.max_timestamp());
    return scan_action::stop;
  });
  if (!first) return first;
  uint64_t size = _size;
  auto r = scan_batches(*_log, from, size, scan_depth::verified, [&](const batch_ref& b, auto) {
    if (b.header.max_timestamp() > _max_timestamp) {
      _max_timestamp = b.header.max_timestamp();
      _offset_of_max_timestamp = b.header.last_offset();
    }
    _next = b.header.last_offset() + 1;
    return scan_action::next;
  });
  if (!r) return r;
  // Bytes since the last entry: approximate from its position; exactness is not needed.
  _bytes_since_entry = size - from;
  return r;
}

sresult<int64_t> segment::max_timestamp() {
  if (auto r = load_indexes(); !r) return fail(r.error());
  return _max_timestamp;
}

sresult<std::optional<batch_ref>> segment::find(model::offset o) {
  if (auto r = load_indexes(); !r) return fail(r.error());
  uint64_t from = 0;
  if (o > _base) {
    int64_t rel = std::min<int64_t>(o - _base, std::numeric_limits<int32_t>::max());
    from = _offsets.lookup(static_cast<int32_t>(rel)).position;
  }
  std::optional<batch_ref> found;
  auto r = scan_batches(*_log, from, _size, scan_depth::headers, [&](const batch_ref& b, auto) {
    if (b.header.last_offset() < o) return scan_action::next;
    found = b;
    return scan_action::stop;
  });
  if (!r) return fail(r.error());
  if (r->problem) {
    return error(errc::corrupt, "segment " + path(format::log_suffix) + " byte " +
                                    std::to_string(r->end) + ": " + *r->problem);
  }
  return found;
}

uint64_t segment::skip_hint(uint64_t start, uint64_t budget, int64_t rel_limit) const {
  if (!_indexes_loaded) return start;
  const auto& e = _offsets.entries();
  // Entries increase in both fields, so both conditions select a prefix.
  auto by_pos =
      std::upper_bound(e.begin(), e.end(), start + budget,
                       [](uint64_t p, const offset_index::entry& x) { return p < x.position; });
  auto by_rel = std::lower_bound(
      e.begin(), e.end(), rel_limit,
      [](const offset_index::entry& x, int64_t r) { return x.relative_offset < r; });
  auto end = std::min(by_pos, by_rel);
  if (end == e.begin()) return start;
  uint64_t p = (end - 1)->position;
  return p > start ? p : start;
}

sresult<std::optional<batch_ref>> segment::find_timestamp(int64_t ts, model::offset min_offset) {
  if (auto r = load_indexes(); !r) return fail(r.error());
  uint64_t from = 0;
  if (auto e = _times.lookup_before(ts)) from = _offsets.lookup(e->relative_offset).position;
  std::optional<batch_ref> found;
  auto r = scan_batches(*_log, from, _size, scan_depth::headers, [&](const batch_ref& b, auto) {
    if (b.header.max_timestamp() < ts || b.header.last_offset() < min_offset) {
      return scan_action::next;
    }
    found = b;
    return scan_action::stop;
  });
  if (!r) return fail(r.error());
  if (r->problem) {
    return error(errc::corrupt, "segment " + path(format::log_suffix) + " byte " +
                                    std::to_string(r->end) + ": " + *r->problem);
  }
  return found;
}

sresult<void> segment::truncate_to(uint64_t position) {
  VLTAVA_ASSERT(position <= _size, "truncating a segment beyond its end");
  if (auto r = _io.ftruncate(_log->fd(), position); !r) return r;
  _size = position;
  auto r = recover();
  if (!r) return fail(r.error());
  if (r->problem) {
    return error(errc::corrupt, "segment " + path(format::log_suffix) + " byte " +
                                    std::to_string(r->end) + ": " + *r->problem);
  }
  return {};
}

sresult<std::vector<std::shared_ptr<file>>> segment::write_indexes() {
  if (!_indexes_loaded) return std::vector<std::shared_ptr<file>>{};
  if (_max_timestamp >= 0) {
    _times.maybe_append({_max_timestamp, relative(_offset_of_max_timestamp)},
                        time_index::when_full::append_anyway);
  }
  std::vector<std::shared_ptr<file>> files;
  for (auto [suffix, bytes] : {std::pair{format::index_suffix, _offsets.encode()},
                               std::pair{format::time_index_suffix, _times.encode()}}) {
    auto f = file::open(_io, path(suffix), open_mode::create);
    if (!f) return fail(f.error());
    if (auto r = (*f)->write_all(bytes, 0); !r) return fail(r.error());
    if (auto r = _io.ftruncate((*f)->fd(), bytes.size()); !r) return fail(r.error());
    files.push_back(std::move(*f));
  }
  return files;
}

sresult<std::vector<std::string>> segment::rename_to_deleted() {
  std::vector<std::string> paths;
  // The .log goes first: a crash after it leaves index files without a .log, which open
  // removes; never a .log without the rest of its segment's history.
  for (auto suffix : {format::log_suffix, format::index_suffix, format::time_index_suffix}) {
    std::string from = path(suffix);
    std::string to = from + std::string(format::deleted_suffix);
    auto ex = _io.exists(from);
    if (!ex) return fail(ex.error());
    if (!*ex) continue;
    if (auto r = _io.rename(from, to); !r) return fail(r.error());
    paths.push_back(to);
  }
  return paths;
}

}  // namespace vltava::storage
