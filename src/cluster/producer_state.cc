#include "cluster/producer_state.h"

#include <algorithm>
#include <limits>

#include "bytes/crc32c.h"
#include "bytes/endian.h"
#include "model/record.h"
#include "storage/format.h"
#include "storage/log_config.h"

namespace vltava::cluster {

using protocol::error_code;

namespace {

// Snapshot layout (docs/formats/producer-snapshot.md), all integers big-endian:
//   version:u16 crc:u32 (CRC32C of everything after it) count:i32 entry*count
//   entry := producer_id:i64 epoch:i16 coordinator_epoch:i32 txn_first_offset:i64
//            last_timestamp:i64 batch_count:i8 batch*batch_count
//   batch := first_seq:i32 last_seq:i32 first_offset:i64 last_offset:i64 timestamp:i64
//   then (version 2) aborted_count:i32 aborted*aborted_count, ascending by last_offset
//   aborted := producer_id:i64 first_offset:i64 last_offset:i64 last_stable_offset:i64
constexpr size_t header_bytes = 2 + 4 + 4;
constexpr size_t entry_fixed_bytes = 8 + 2 + 4 + 8 + 8 + 1;
constexpr size_t batch_bytes = 4 + 4 + 8 + 8 + 8;
constexpr size_t aborted_bytes = 4 * 8;
static_assert(header_bytes == 10 && entry_fixed_bytes == 31 && batch_bytes == 32);
static_assert(header_bytes + producers_per_partition_max *
                                 (entry_fixed_bytes + producer_batches_kept * batch_bytes) <
              snapshot_bytes_max);
static_assert(header_bytes +
                  producers_per_partition_max *
                      (entry_fixed_bytes + producer_batches_kept * batch_bytes) +
                  4 + aborted_txns_max * aborted_bytes <
              snapshot_bytes_max);

class out_buf {
 public:
  template <typename T>
  void put(T v) {
    size_t at = _bytes.size();
    _bytes.resize(at + sizeof(T));
    bytes::store_be<T>(_bytes.data() + at, v);
  }
  std::vector<std::byte>& bytes() { return _bytes; }

 private:
  std::vector<std::byte> _bytes;
};

class in_buf {
 public:
  explicit in_buf(std::span<const std::byte> b) : _rest(b) {}
  template <typename T>
  std::optional<T> get() {
    if (_rest.size() < sizeof(T)) return std::nullopt;
    T v = bytes::load_be<T>(_rest.data());
    _rest = _rest.subspan(sizeof(T));
    return v;
  }
  size_t remaining() const { return _rest.size(); }

 private:
  std::span<const std::byte> _rest;
};

std::string describe_batch(const model::record_batch_header& h) {
  return "producer " + std::to_string(h.producer()) + " epoch " + std::to_string(h.epoch()) +
         " sequence " + std::to_string(h.base_sequence());
}

}  // namespace

model::sequence last_sequence_of(model::sequence base, int32_t last_offset_delta) {
  // Kafka's DefaultRecordBatch.incrementSequence: (base + delta) modulo 2^31.
  int64_t s = int64_t{base()} + last_offset_delta;
  constexpr int64_t span = int64_t{std::numeric_limits<int32_t>::max()} + 1;
  return model::sequence(static_cast<int32_t>(s % span));
}

const producer_batch* producer_entry::find_duplicate(model::producer_epoch e, model::sequence first,
                                                     model::sequence last) const {
  if (e != epoch) return nullptr;
  for (const auto& b : batches) {
    if (b.first_seq == first && b.last_seq == last) return &b;
  }
  return nullptr;
}

namespace {

bool in_sequence(model::sequence last, model::sequence next) {
  return int64_t{next()} == int64_t{last()} + 1 ||
         (next() == 0 && last() == std::numeric_limits<int32_t>::max());
}

sequence_verdict refuse(error_code e, std::string message) {
  sequence_verdict v;
  v.what = sequence_verdict::kind::refuse;
  v.error = e;
  v.message = std::move(message);
  return v;
}

}  // namespace

sequence_verdict check_batch(const producer_entry* entry, const model::record_batch_header& h) {
  VLTAVA_ASSERT(h.producer() >= 0 && !h.is_control(), "only idempotent data batches are checked");
  if (h.epoch() < 0 || h.base_sequence() < 0) {
    return refuse(error_code::invalid_record,
                  "invalid producer epoch or sequence: " + describe_batch(h));
  }
  if (!entry) return {};  // unknown producer: any sequence starts it
  const model::sequence last = last_sequence_of(h.base_sequence, h.last_offset_delta);
  if (const producer_batch* d = entry->find_duplicate(h.epoch, h.base_sequence, last)) {
    sequence_verdict v;
    v.what = sequence_verdict::kind::duplicate;
    v.original = *d;
    return v;
  }
  if (h.epoch < entry->epoch) {
    return refuse(
        error_code::invalid_producer_epoch,
        describe_batch(h) + " is older than the current epoch " + std::to_string(entry->epoch()));
  }
  if (h.epoch > entry->epoch) {
    if (h.base_sequence() != 0 && entry->epoch() >= 0) {
      return refuse(error_code::out_of_order_sequence_number,
                    describe_batch(h) + ": a new epoch must start at sequence 0");
    }
    return {};
  }
  if (!in_sequence(entry->last_seq(), h.base_sequence)) {
    return refuse(error_code::out_of_order_sequence_number,
                  describe_batch(h) + " does not follow the last sequence " +
                      std::to_string(entry->last_seq()()));
  }
  return {};
}

void record_batch(producer_entry& entry, const model::record_batch_header& h) {
  if (h.epoch != entry.epoch) {
    entry.epoch = h.epoch;
    entry.batches.clear();
  }
  producer_batch b;
  b.first_seq = h.base_sequence;
  b.last_seq = last_sequence_of(h.base_sequence, h.last_offset_delta);
  b.first_offset = h.base_offset;
  b.last_offset = h.last_offset();
  b.timestamp_ms = h.max_timestamp();
  entry.batches.push_back(b);
  while (entry.batches.size() > producer_batches_kept) entry.batches.pop_front();
  entry.last_timestamp_ms = std::max(entry.last_timestamp_ms, b.timestamp_ms);
  if (h.is_transactional() && entry.current_txn_first_offset() < 0) {
    entry.current_txn_first_offset = h.base_offset;
  }
}

std::optional<txn_marker> read_txn_marker(std::span<const std::byte> batch,
                                          const model::record_batch_header& h) {
  if (!h.is_control()) return std::nullopt;
  auto section =
      model::batch_records(batch, h, static_cast<size_t>(storage::limits::batch_bytes_max));
  if (!section) return std::nullopt;
  model::record_view records(section->bytes(), h.record_count);
  auto r = records.next();
  if (!r || !*r) return std::nullopt;
  auto key = model::parse_control_key(**r);
  if (!key) return std::nullopt;
  if (key->type != static_cast<int16_t>(model::control_record_type::abort) &&
      key->type != static_cast<int16_t>(model::control_record_type::commit)) {
    return std::nullopt;
  }
  txn_marker m;
  m.type = static_cast<model::control_record_type>(key->type);
  if (auto v = model::parse_end_txn_marker(**r)) m.coordinator_epoch = v->coordinator_epoch;
  return m;
}

const producer_entry* producer_state::find(model::producer_id id) const {
  auto it = _producers.find(id());
  return it == _producers.end() ? nullptr : &it->second;
}

std::optional<ended_txn> producer_state::apply(const model::record_batch_header& h,
                                               const std::optional<txn_marker>& marker) {
  if (h.producer() < 0) return std::nullopt;
  auto [it, inserted] = _producers.try_emplace(h.producer());
  producer_entry& e = it->second;
  const model::offset before = inserted ? model::offset(-1) : e.current_txn_first_offset;
  std::optional<ended_txn> ended;
  if (h.is_control()) {
    // As Kafka's appendEndTxnMarker: a newer epoch forgets the old batches; the transaction
    // ends whatever it was; the marker carries the coordinator's epoch.
    if (h.epoch != e.epoch) {
      e.epoch = h.epoch;
      e.batches.clear();
    }
    ended = ended_txn{h.producer, e.current_txn_first_offset, h.base_offset};
    const bool aborted = marker && marker->type == model::control_record_type::abort &&
                         e.current_txn_first_offset() >= 0;
    e.current_txn_first_offset = model::offset(-1);
    if (marker) e.coordinator_epoch = marker->coordinator_epoch;
    e.last_timestamp_ms = std::max(e.last_timestamp_ms, h.max_timestamp());
    track(h.producer(), before, e);
    if (aborted) {
      // As Kafka: the LSO once this transaction is done is the oldest still ongoing, else the
      // offset after the marker.
      const model::offset lso =
          first_unstable_offset().value_or(model::offset(h.base_offset() + 1));
      _aborted.push_back(aborted_txn{h.producer, ended->first_offset, h.base_offset, lso});
      if (_aborted.size() > aborted_txns_max) _aborted.erase(_aborted.begin());
    }
  } else {
    record_batch(e, h);
    track(h.producer(), before, e);
  }
  if (inserted && _producers.size() > producers_per_partition_max) evict_oldest();
  return ended;
}

std::vector<aborted_txn> producer_state::aborted_between(model::offset from,
                                                         model::offset upper) const {
  std::vector<aborted_txn> out;
  auto it =
      std::lower_bound(_aborted.begin(), _aborted.end(), from,
                       [](const aborted_txn& a, model::offset o) { return a.last_offset < o; });
  for (; it != _aborted.end(); ++it) {
    if (it->first_offset < upper) out.push_back(*it);
  }
  return out;
}

void producer_state::forget_aborted_below(model::offset log_start) {
  auto it =
      std::lower_bound(_aborted.begin(), _aborted.end(), log_start,
                       [](const aborted_txn& a, model::offset o) { return a.last_offset < o; });
  _aborted.erase(_aborted.begin(), it);
}

void producer_state::track(int64_t id, model::offset before, const producer_entry& e) {
  if (before == e.current_txn_first_offset) return;
  if (before() >= 0) _ongoing.erase({before(), id});
  if (e.current_txn_first_offset() >= 0) _ongoing.insert({e.current_txn_first_offset(), id});
}

void producer_state::put(model::producer_id id, producer_entry e) {
  auto old = _producers.find(id());
  const model::offset before =
      old == _producers.end() ? model::offset(-1) : old->second.current_txn_first_offset;
  auto [it, inserted] = _producers.insert_or_assign(id(), std::move(e));
  track(id(), before, it->second);
  if (inserted && _producers.size() > producers_per_partition_max) evict_oldest();
}

void producer_state::evict_oldest() {
  // Rare (a client abusing producer ids): a linear scan is fine.
  auto oldest = _producers.end();
  for (auto it = _producers.begin(); it != _producers.end(); ++it) {
    if (it->second.current_txn_first_offset() >= 0) continue;
    if (oldest == _producers.end() ||
        it->second.last_timestamp_ms < oldest->second.last_timestamp_ms) {
      oldest = it;
    }
  }
  if (oldest != _producers.end()) _producers.erase(oldest);
}

size_t producer_state::expire(int64_t now_ms, int64_t expiration_ms) {
  return std::erase_if(_producers, [&](const auto& p) {
    return p.second.current_txn_first_offset() < 0 &&
           now_ms - p.second.last_timestamp_ms >= expiration_ms;
  });
}

std::vector<std::byte> producer_state::encode() const {
  out_buf o;
  o.put<uint16_t>(snapshot_version);
  o.put<uint32_t>(0);  // CRC, filled in below
  o.put<int32_t>(static_cast<int32_t>(_producers.size()));
  // Sorted by producer id, so equal states give equal files.
  std::vector<int64_t> ids;
  ids.reserve(_producers.size());
  for (const auto& [id, _] : _producers) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) {
    const producer_entry& e = _producers.at(id);
    o.put<int64_t>(id);
    o.put<int16_t>(e.epoch());
    o.put<int32_t>(e.coordinator_epoch);
    o.put<int64_t>(e.current_txn_first_offset());
    o.put<int64_t>(e.last_timestamp_ms);
    o.put<int8_t>(static_cast<int8_t>(e.batches.size()));
    for (const auto& b : e.batches) {
      o.put<int32_t>(b.first_seq());
      o.put<int32_t>(b.last_seq());
      o.put<int64_t>(b.first_offset());
      o.put<int64_t>(b.last_offset());
      o.put<int64_t>(b.timestamp_ms);
    }
  }
  o.put<int32_t>(static_cast<int32_t>(_aborted.size()));
  for (const auto& a : _aborted) {
    o.put<int64_t>(a.producer());
    o.put<int64_t>(a.first_offset());
    o.put<int64_t>(a.last_offset());
    o.put<int64_t>(a.last_stable_offset());
  }
  auto& bytes = o.bytes();
  uint32_t crc = bytes::crc32c(std::span<const std::byte>(bytes).subspan(6));
  bytes::store_be<uint32_t>(bytes.data() + 2, crc);
  return std::move(bytes);
}

result<producer_state, std::string> producer_state::decode(std::span<const std::byte> bytes) {
  if (bytes.size() < header_bytes) return fail(std::string("truncated header"));
  in_buf in(bytes);
  uint16_t version = *in.get<uint16_t>();
  if (version != 1 && version != snapshot_version) {
    return fail("unknown version " + std::to_string(version));
  }
  uint32_t crc = *in.get<uint32_t>();
  if (bytes::crc32c(bytes.subspan(6)) != crc) return fail(std::string("CRC mismatch"));
  int32_t count = *in.get<int32_t>();
  if (count < 0 || static_cast<size_t>(count) > producers_per_partition_max ||
      static_cast<size_t>(count) * entry_fixed_bytes > in.remaining()) {
    return fail("bad producer count " + std::to_string(count));
  }
  producer_state s;
  auto truncated = [] { return fail(std::string("truncated entry")); };
  for (int32_t i = 0; i < count; ++i) {
    auto id = in.get<int64_t>();
    auto epoch = in.get<int16_t>();
    auto coord = in.get<int32_t>();
    auto txn = in.get<int64_t>();
    auto ts = in.get<int64_t>();
    auto n = in.get<int8_t>();
    if (!id || !epoch || !coord || !txn || !ts || !n) return truncated();
    if (*id < 0 || *n < 0 || static_cast<size_t>(*n) > producer_batches_kept) {
      return fail("bad entry " + std::to_string(i));
    }
    producer_entry e;
    e.epoch = model::producer_epoch(*epoch);
    e.coordinator_epoch = *coord;
    e.current_txn_first_offset = model::offset(*txn);
    e.last_timestamp_ms = *ts;
    for (int8_t k = 0; k < *n; ++k) {
      auto fs = in.get<int32_t>();
      auto ls = in.get<int32_t>();
      auto fo = in.get<int64_t>();
      auto lo = in.get<int64_t>();
      auto bt = in.get<int64_t>();
      if (!fs || !ls || !fo || !lo || !bt) return truncated();
      e.batches.push_back(producer_batch{model::sequence(*fs), model::sequence(*ls),
                                         model::offset(*fo), model::offset(*lo), *bt});
    }
    if (e.current_txn_first_offset() < -1) return fail("bad entry " + std::to_string(i));
    const model::offset txn_first = e.current_txn_first_offset;
    if (!s._producers.emplace(*id, std::move(e)).second) {
      return fail("producer " + std::to_string(*id) + " twice");
    }
    if (txn_first() >= 0) s._ongoing.insert({txn_first(), *id});
  }
  if (version >= 2) {
    auto n = in.get<int32_t>();
    if (!n || *n < 0 || static_cast<size_t>(*n) > aborted_txns_max ||
        static_cast<size_t>(*n) * aborted_bytes > in.remaining()) {
      return fail(std::string("bad aborted transaction count"));
    }
    s._aborted.reserve(static_cast<size_t>(*n));
    for (int32_t i = 0; i < *n; ++i) {
      aborted_txn a{model::producer_id(*in.get<int64_t>()), model::offset(*in.get<int64_t>()),
                    model::offset(*in.get<int64_t>()), model::offset(*in.get<int64_t>())};
      if (a.producer() < 0 || a.first_offset() < 0 || a.last_offset() < a.first_offset() ||
          (!s._aborted.empty() && a.last_offset <= s._aborted.back().last_offset)) {
        return fail("bad aborted transaction " + std::to_string(i));
      }
      s._aborted.push_back(a);
    }
  }
  if (in.remaining() != 0) return fail(std::to_string(in.remaining()) + " trailing bytes");
  return s;
}

// ---- files ------------------------------------------------------------------------------------

std::string snapshot_path(const std::string& dir, model::offset o) {
  return dir + "/" + storage::format::segment_name(o) +
         std::string(storage::format::snapshot_suffix);
}

storage::sresult<std::vector<model::offset>> list_snapshots(storage::file_io& io,
                                                            const std::string& dir) {
  auto names = io.list_dir(dir);
  if (!names) return fail(names.error());
  std::vector<model::offset> out;
  for (const auto& n : *names) {
    if (auto o = storage::format::parse_segment_name(n, storage::format::snapshot_suffix)) {
      out.push_back(*o);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

storage::sresult<void> write_snapshot(storage::file_io& io, const std::string& dir, model::offset o,
                                      const producer_state& s, snapshot_sync sync) {
  std::vector<std::byte> bytes = s.encode();
  std::string name =
      storage::format::segment_name(o) + std::string(storage::format::snapshot_suffix);
  if (sync == snapshot_sync::durable) return storage::write_file_atomic(io, dir, name, bytes);
  std::string tmp = dir + "/" + name + ".tmp";
  {
    auto f = storage::file::open(io, tmp, storage::open_mode::create);
    if (!f) return fail(f.error());
    if (auto r = io.ftruncate((*f)->fd(), 0); !r) return r;
    if (auto r = (*f)->write_all(bytes, 0); !r) return r;
  }
  return io.rename(tmp, dir + "/" + name);
}

storage::sresult<std::optional<loaded_snapshot>> load_snapshot(storage::file_io& io,
                                                               const std::string& dir,
                                                               model::offset log_end,
                                                               size_t* skipped) {
  auto offsets = list_snapshots(io, dir);
  if (!offsets) return fail(offsets.error());
  std::optional<loaded_snapshot> found;
  for (auto it = offsets->rbegin(); it != offsets->rend(); ++it) {
    std::string path = snapshot_path(dir, *it);
    if (!found && *it <= log_end) {
      auto bytes = storage::read_small_file(io, path, snapshot_bytes_max);
      if (bytes) {
        auto s = producer_state::decode(*bytes);
        if (s) {
          found = loaded_snapshot{*it, std::move(s).value()};
          continue;
        }
      }
      if (skipped) ++*skipped;
    } else if (found) {
      continue;  // older ones stay (prune_snapshots removes them with their segments)
    }
    // Above the log end (its batches were lost) or unreadable: never load it again.
    if (auto r = io.unlink(path); !r) return fail(r.error());
  }
  return found;
}

storage::sresult<size_t> prune_snapshots(storage::file_io& io, const std::string& dir,
                                         model::offset log_start, size_t keep) {
  auto offsets = list_snapshots(io, dir);
  if (!offsets) return fail(offsets.error());
  size_t deleted = 0;
  const size_t n = offsets->size();
  for (size_t i = 0; i + 1 < n; ++i) {  // the newest always stays
    if ((*offsets)[i] < log_start || n - i > keep) {
      if (auto r = io.unlink(snapshot_path(dir, (*offsets)[i])); !r) return fail(r.error());
      ++deleted;
    }
  }
  return deleted;
}

}  // namespace vltava::cluster
