#include "quorum/io/storage_log.h"

#include <algorithm>

#include "base/assert.h"
#include "quorum/io/control_batch.h"

namespace vltava::quorum {

namespace {

std::string describe(const storage::storage_error& e) {
  return std::string(storage::describe(e.code)) + ": " + e.message;
}

// Calls `fn(batch, header)` for each whole batch in `bytes` (storage returns whole batches).
template <typename Fn>
result<void, std::string> for_each_batch(std::span<const std::byte> bytes, Fn&& fn) {
  while (!bytes.empty()) {
    auto h = model::parse_header(bytes);
    if (!h || h->size_bytes() > bytes.size()) return fail(std::string("a batch storage cut short"));
    if (!fn(bytes.first(h->size_bytes()), *h)) return {};
    bytes = bytes.subspan(h->size_bytes());
  }
  return {};
}

}  // namespace

storage_log::storage_log(std::unique_ptr<storage::log> log, model::node_id self,
                         std::vector<model::node_id> voters)
    : _log(std::move(log)), _self(self), _voters(std::move(voters)) {}

result<std::unique_ptr<storage_log>, std::string> storage_log::open(
    std::unique_ptr<storage::log> log, model::node_id self, std::vector<model::node_id> voters) {
  std::unique_ptr<storage_log> s(new storage_log(std::move(log), self, std::move(voters)));
  if (auto r = s->load_snapshots(); !r) return fail(s->_log->dir() + ": " + r.error());
  if (auto r = s->load_epochs(); !r) return fail(s->_log->dir() + ": " + r.error());
  if (auto f = s->_log->flush_and_wait(); !f) {
    return fail(s->_log->dir() + ": sync at open: " + describe(f.error()));
  }
  VLTAVA_ASSERT(s->durable_end() == s->end_offset(), "all of the log is durable after open");
  return s;
}

// Reads every batch header once: where each epoch starts.
result<void, std::string> storage_log::load_epochs() {
  auto from = start_offset();
  while (from < end_offset()) {
    auto bytes = _log->read_bytes(from, read_bytes_max);
    if (!bytes) return fail(describe(bytes.error()));
    if (bytes->empty()) break;
    std::optional<std::string> bad;
    auto scanned = for_each_batch(*bytes, [&](auto, const model::record_batch_header& h) {
      if (h.partition_leader_epoch() < 0 || h.partition_leader_epoch < last_epoch()) {
        bad = "batch at offset " + std::to_string(h.base_offset()) + " has epoch " +
              std::to_string(h.partition_leader_epoch()) + " after epoch " +
              std::to_string(last_epoch()());
        return false;
      }
      note_epoch(h.partition_leader_epoch, h.base_offset);
      from = h.last_offset() + 1;
      return true;
    });
    if (!scanned) return scanned;
    if (bad) return fail(*bad);
  }
  return {};
}

void storage_log::note_epoch(model::leader_epoch epoch, model::offset start) {
  if (_epochs.empty() || epoch > _epochs.back().first) _epochs.emplace_back(epoch, start);
}

model::leader_epoch storage_log::last_epoch() const {
  return _epochs.empty() ? start_epoch() : _epochs.back().first;
}

model::leader_epoch storage_log::epoch_at(model::offset o) const {
  VLTAVA_ASSERT(o >= start_offset() && o < end_offset() && !_epochs.empty(),
                "epoch_at outside the log");
  auto after = std::upper_bound(_epochs.begin(), _epochs.end(), o,
                                [](model::offset v, const auto& x) { return v < x.second; });
  VLTAVA_ASSERT(after != _epochs.begin(), "the first epoch starts at the first batch");
  return std::prev(after)->first;
}

offset_and_epoch storage_log::end_offset_for_epoch(model::leader_epoch e) const {
  auto after = std::upper_bound(_epochs.begin(), _epochs.end(), e,
                                [](model::leader_epoch v, const auto& x) { return v < x.first; });
  if (after == _epochs.begin()) return {start_offset(), start_epoch()};
  auto end = after == _epochs.end() ? end_offset() : after->second;
  return {end, std::prev(after)->first};
}

std::vector<entry> storage_log::read(model::offset from, model::offset until,
                                     std::size_t max_entries) const {
  std::vector<entry> out;
  if (max_entries == 0 || from >= std::min(until, end_offset())) return out;
  auto bytes = _log->read_bytes(from, read_bytes_max, until);
  if (!bytes) {
    fail_with("read at " + std::to_string(from()) + ": " + describe(bytes.error()));
    return out;
  }
  auto scanned = for_each_batch(*bytes, [&](auto batch, const model::record_batch_header& h) {
    out.push_back(entry_of_batch(batch, h));
    return out.size() < max_entries;
  });
  VLTAVA_ASSERT(scanned.has_value(), "storage returns whole batches");
  return out;
}

result<std::string, std::string> storage_log::batch_bytes(const entry& e) const {
  if (e.kind == entry_kind::leader_change && e.payload.empty()) {
    auto batch = build_leader_change_batch({_self, _voters, {_self}},
                                           model::timestamp_ms(_log->io().now_ms()));
    return std::string(reinterpret_cast<const char*>(batch.data()), batch.size());
  }
  auto h = model::parse_header(std::as_bytes(std::span(e.payload)));
  if (!h || h->size_bytes() != e.payload.size()) {
    return fail("entry at offset " + std::to_string(e.offset()) + " is not one record batch");
  }
  if (static_cast<int64_t>(h->last_offset_delta) + 1 != e.record_count) {
    return fail("entry at offset " + std::to_string(e.offset()) + " spans " +
                std::to_string(e.record_count) + " offsets, its batch " +
                std::to_string(h->last_offset_delta + 1));
  }
  return e.payload;
}

void storage_log::append(const std::vector<entry>& entries) {
  if (_failure || entries.empty()) return;
  std::string all;
  auto next = end_offset();
  auto epoch = last_epoch();
  for (const auto& e : entries) {
    VLTAVA_ASSERT(e.offset == next, "append must continue the log");
    VLTAVA_ASSERT(e.epoch >= epoch, "epochs never go down along the log");
    auto bytes = batch_bytes(e);
    if (!bytes) return fail_with(bytes.error());
    auto batch = std::as_writable_bytes(std::span(*bytes));
    model::set_base_offset(batch, e.offset);
    model::set_partition_leader_epoch(batch, e.epoch);
    all += *bytes;
    next = e.next_offset();
    epoch = e.epoch;
  }
  auto appended = _log->append(std::as_writable_bytes(std::span(all)), {.assign_offsets = false});
  if (!appended)
    return fail_with("append at " + std::to_string(entries.front().offset()) + ": " +
                     describe(appended.error()));
  for (const auto& e : entries) note_epoch(e.epoch, e.offset);
  VLTAVA_ASSERT(end_offset() == next, "the log end moved past the appended batches");
}

void storage_log::truncate(model::offset o) {
  if (_failure) return;
  auto end = _log->truncate_suffix(o);
  if (!end) return fail_with("truncate at " + std::to_string(o()) + ": " + describe(end.error()));
  while (!_epochs.empty() && _epochs.back().second >= *end) _epochs.pop_back();
}

void storage_log::request_flush(std::function<void()> wake) {
  _log->flush([wake = std::move(wake)](const storage::sresult<model::offset>&) { wake(); });
}

std::optional<std::string> storage_log::failure() const {
  if (_failure) return _failure;
  if (_log->failed()) return _log->dir() + ": an fsync failed; the log refuses writes";
  return std::nullopt;
}

void storage_log::fail_with(std::string why) const {
  if (!_failure) _failure = _log->dir() + ": " + std::move(why);
}

}  // namespace vltava::quorum
