#include "storage/compaction.h"

#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/format.h"
#include "storage/segment.h"

namespace vltava::storage {
namespace {

std::string key_string(model::bytes_view k) {
  return std::string(reinterpret_cast<const char*>(k.data()), k.size());
}

sresult<model::records_section> records_of(std::span<const std::byte> batch,
                                           const model::record_batch_header& h) {
  auto sec = model::batch_records(batch, h, static_cast<size_t>(limits::batch_bytes_max));
  if (!sec) return error(errc::corrupt, std::string(model::describe(sec.error())));
  return std::move(*sec);
}

}  // namespace

void compaction_job::set_aborted(std::vector<aborted_range> a) {
  _aborted.clear();
  for (const auto& r : a) _aborted[r.producer].emplace_back(r.first(), r.last());
}

bool compaction_job::aborted(const model::record_batch_header& h) const {
  if (!h.is_transactional() || h.is_control() || _aborted.empty()) return false;
  auto it = _aborted.find(h.producer());
  if (it == _aborted.end()) return false;
  for (const auto& [first, last] : it->second) {
    if (h.base_offset() >= first && h.base_offset() <= last) return true;
  }
  return false;
}

sresult<void> compaction_job::build_map() {
  for (auto& s : _sources) {
    // Segments are wholly clean or wholly dirty (first_dirty is a segment base). Keys of the
    // clean part matter only if the dirty part overwrites them, which the map then tells.
    if (s.base < _first_dirty) continue;
    std::optional<storage_error> err;
    auto r =
        scan_batches(*s.log, 0, s.size, scan_depth::verified, [&](const batch_ref& b, auto bytes) {
          const auto& h = b.header;
          if (h.is_control() || aborted(h)) return scan_action::next;  // never wins a key
          auto sec = records_of(bytes, h);
          if (!sec) {
            err = sec.error();
            return scan_action::stop;
          }
          model::record_view view(sec->bytes(), h.record_count);
          for (;;) {
            auto rec = view.next();
            if (!rec) {
              err = storage_error{errc::corrupt, std::string(model::describe(rec.error()))};
              return scan_action::stop;
            }
            if (!*rec) break;
            if (!(*rec)->key) continue;
            if (_latest.size() >= compaction_keys_max) {
              err = storage_error{errc::too_large, "more keys than one compaction pass holds"};
              return scan_action::stop;
            }
            _latest[key_string(*(*rec)->key)] = h.base_offset() + (*rec)->offset_delta;
          }
          return scan_action::next;
        });
    if (!r) return fail(r.error());
    if (err) return error(err->code, s.log->path() + ": " + err->message);
    if (r->problem) {
      return error(errc::corrupt,
                   s.log->path() + " byte " + std::to_string(r->end) + ": " + *r->problem);
    }
  }
  return {};
}

sresult<void> compaction_job::clean(source& s) {
  s.cleaned_path = s.log->path() + std::string(format::cleaned_suffix);
  auto out = file::open(_io, s.cleaned_path, open_mode::create);
  if (!out) return fail(out.error());
  if (auto r = _io.ftruncate((*out)->fd(), 0); !r) return r;
  uint64_t pos = 0;
  std::optional<storage_error> err;
  auto emit = [&](std::span<const std::byte> b) {
    if (auto w = (*out)->write_all(b, pos); !w) {
      err = w.error();
      return false;
    }
    pos += b.size();
    return true;
  };
  auto r =
      scan_batches(*s.log, 0, s.size, scan_depth::verified, [&](const batch_ref& b, auto bytes) {
        const auto& h = b.header;
        if (h.is_control()) return emit(bytes) ? scan_action::next : scan_action::stop;
        if (aborted(h)) {
          // An aborted transaction's records are gone for every reader once cleaned.
          _stats.records_removed += static_cast<uint64_t>(h.record_count);
          s.changed = true;
          return scan_action::next;
        }
        auto sec = records_of(bytes, h);
        if (!sec) {
          err = sec.error();
          return scan_action::stop;
        }
        auto recs = model::read_records(sec->bytes(), h.record_count);
        if (!recs) {
          err = storage_error{errc::corrupt, std::string(model::describe(recs.error()))};
          return scan_action::stop;
        }
        bool old_enough = _now_ms - h.max_timestamp() > _cfg.delete_retention_ms;
        std::vector<const model::record*> kept;
        for (const auto& rec : *recs) {
          int64_t off = h.base_offset() + rec.offset_delta;
          if (!rec.key) {  // compacted topics need keys; Kafka's cleaner drops keyless records
            ++_stats.records_removed;
            continue;
          }
          auto it = _latest.find(key_string(*rec.key));
          if (it != _latest.end() && it->second > off) {
            ++_stats.records_removed;
            continue;
          }
          if (!rec.value && h.base_offset < _first_dirty && old_enough) {
            ++_stats.records_removed;
            ++_stats.tombstones_removed;
            continue;
          }
          kept.push_back(&rec);
        }
        if (kept.size() == recs->size()) return emit(bytes) ? scan_action::next : scan_action::stop;
        s.changed = true;
        if (kept.empty()) return scan_action::next;
        model::batch_options o;
        o.codec = h.compression();
        o.base_offset = h.base_offset;
        o.partition_leader_epoch = h.partition_leader_epoch;
        o.producer = h.producer;
        o.epoch = h.epoch;
        o.base_sequence = h.base_sequence;
        o.transactional =
            h.is_transactional() ? model::is_transactional::yes : model::is_transactional::no;
        o.timestamps = h.timestamp_type();
        model::record_batch_builder builder(o);
        for (const auto* rec : kept) {
          builder.add_at(rec->offset_delta, model::record_timestamp(h, *rec), rec->key, rec->value,
                         rec->headers);
        }
        auto built = builder.build();
        if (!built) {
          err = storage_error{errc::io_error, "compaction could not re-compress a batch"};
          return scan_action::stop;
        }
        // The batch keeps its last offset (producers' sequence state depends on it) and max time.
        auto nh = model::parse_header(*built);
        nh->last_offset_delta = h.last_offset_delta;
        nh->max_timestamp = h.max_timestamp;
        model::write_header(*built, *nh);
        return emit(*built) ? scan_action::next : scan_action::stop;
      });
  if (!r) return fail(r.error());
  if (err) return error(err->code, s.log->path() + ": " + err->message);
  if (r->problem) {
    return error(errc::corrupt,
                 s.log->path() + " byte " + std::to_string(r->end) + ": " + *r->problem);
  }
  s.cleaned_size = pos;
  if (!s.changed) {
    out->reset();
    return _io.unlink(s.cleaned_path);
  }
  if (auto f = _io.fdatasync((*out)->fd()); !f) return f;
  _stats.segments_rewritten++;
  _stats.bytes_before += s.size;
  _stats.bytes_after += pos;
  return {};
}

sresult<void> compaction_job::run() {
  auto m = build_map();
  if (!m) return m;
  for (auto& s : _sources) {
    if (auto r = clean(s); !r) {
      discard();
      return r;
    }
  }
  return {};
}

void compaction_job::discard() {
  for (auto& s : _sources) {
    if (!s.cleaned_path.empty()) {
      auto ex = _io.exists(s.cleaned_path);
      if (ex && *ex) (void)_io.unlink(s.cleaned_path);  // open removes leftovers anyway
      s.changed = false;
    }
  }
}

}  // namespace vltava::storage
