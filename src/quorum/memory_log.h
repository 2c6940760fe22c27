#pragma once

// memory_log: the metadata log kept in memory, for tests and the simulation. It also plays the
// simulated disk: entries are durable once flush() has run, and crash() loses the rest, as a
// power loss loses what was never fsynced.
//
// Snapshots: a test's state machine is the sequence of entries it applied, so a snapshot here
// is that sequence up to its end offset, serialized (FetchSnapshot moves bytes). Writing one
// and installing a fetched one are durable at once (the real log fsyncs the file first); so
// is dropping the log before the newest (delete_before_latest_snapshot), and only the newest
// is kept then.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quorum/log.h"

namespace vltava::quorum {

class memory_log final : public log {
 public:
  model::offset start_offset() const override { return _start; }
  model::offset end_offset() const override;
  model::leader_epoch last_epoch() const override;
  model::leader_epoch epoch_at(model::offset o) const override;
  offset_and_epoch end_offset_for_epoch(model::leader_epoch e) const override;
  std::vector<entry> read(model::offset from, model::offset until,
                          std::size_t max_entries) const override;
  void append(const std::vector<entry>& entries) override;
  void truncate(model::offset o) override;
  std::optional<snapshot_id> latest_snapshot() const override;
  result<snapshot_chunk, errc> read_snapshot(snapshot_id id, int64_t position,
                                             uint32_t max_bytes) const override;
  bool write_snapshot_chunk(snapshot_id id, int64_t position, std::string_view bytes) override;
  bool install_snapshot(snapshot_id id) override;

  // The state machine's side: a snapshot of everything before `end` (a batch boundary in
  // (start_offset, end_offset]), which it has applied; then the log before it may go.
  snapshot_id create_snapshot(model::offset end);
  void delete_before_latest_snapshot();
  // The entries a snapshot holds, in order from offset 0.
  std::vector<entry> snapshot_entries(snapshot_id id) const;
  static std::string encode_entries(const std::vector<entry>& entries);
  static std::optional<std::vector<entry>> decode_entries(std::string_view bytes);

  // Everything appended so far becomes durable; returns the durable end offset.
  model::offset flush();
  model::offset durable_end() const { return offset_of(_durable); }
  // Loses every entry that was not flushed.
  void crash();

  // The lowest offset whose entry changed (appended, truncated, lost) since the last call, or
  // end_offset() when nothing changed: lets a checker look only at what is new.
  model::offset take_lowest_change();

  const std::vector<entry>& entries() const { return _entries; }
  // The epoch of the entry before start_offset (0 at offset 0).
  model::leader_epoch start_epoch() const { return _start_epoch; }
  // The index of the entry spanning offset `o` (o in [start_offset, end_offset)).
  std::size_t index_spanning(model::offset o) const;

 private:
  void note_change(std::size_t index);
  // The base offset of _entries[index], or end_offset() past the last entry.
  model::offset offset_of(std::size_t index) const;
  // The index of the entry starting at `o`, which must be a batch boundary (or end_offset()).
  std::size_t index_at_boundary(model::offset o) const;

  model::offset _start{0};
  model::leader_epoch _start_epoch{0};
  std::map<snapshot_id, std::string> _snapshots;
  std::optional<std::pair<snapshot_id, std::string>> _partial;  // being fetched
  std::vector<entry> _entries;  // contiguous from _start: each starts at the previous one's end
  std::size_t _durable = 0;     // entries, not offsets
  std::size_t _lowest_change = 0;
};

}  // namespace vltava::quorum
