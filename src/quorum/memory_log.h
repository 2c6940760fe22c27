#pragma once

// memory_log: the metadata log kept in memory, for tests and the simulation. It also plays the
// simulated disk: entries are durable once flush() has run, and crash() loses the rest, as a
// power loss loses what was never fsynced.

#include <vector>

#include "quorum/log.h"

namespace vltava::quorum {

class memory_log final : public log {
 public:
  model::offset start_offset() const override { return model::offset(0); }
  model::offset end_offset() const override;
  model::leader_epoch last_epoch() const override;
  model::leader_epoch epoch_at(model::offset o) const override;
  offset_and_epoch end_offset_for_epoch(model::leader_epoch e) const override;
  std::vector<entry> read(model::offset from, model::offset until,
                          std::size_t max_entries) const override;
  void append(const std::vector<entry>& entries) override;
  void truncate(model::offset o) override;

  // Everything appended so far becomes durable; returns the durable end offset.
  model::offset flush();
  model::offset durable_end() const { return offset_of(_durable); }
  // Loses every entry that was not flushed.
  void crash();

  // The lowest offset whose entry changed (appended, truncated, lost) since the last call, or
  // end_offset() when nothing changed: lets a checker look only at what is new.
  model::offset take_lowest_change();

  const std::vector<entry>& entries() const { return _entries; }
  // The index of the entry spanning offset `o` (o in [0, end_offset)).
  std::size_t index_spanning(model::offset o) const;

 private:
  void note_change(std::size_t index);
  // The base offset of _entries[index], or end_offset() past the last entry.
  model::offset offset_of(std::size_t index) const;
  // The index of the entry starting at `o`, which must be a batch boundary (or end_offset()).
  std::size_t index_at_boundary(model::offset o) const;

  std::vector<entry> _entries;  // contiguous: each entry starts at the previous one's end
  std::size_t _durable = 0;     // entries, not offsets
  std::size_t _lowest_change = 0;
};

}  // namespace vltava::quorum
