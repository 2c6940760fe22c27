#include "cluster/epoch_cache.h"

#include <algorithm>

namespace vltava::cluster {

void epoch_cache::assign(model::leader_epoch epoch, model::offset start) {
  if (epoch < model::leader_epoch(0)) return;
  if (!_entries.empty()) {
    const epoch_entry& last = _entries.back();
    if (epoch <= last.epoch) return;
    if (start < last.start) {
      // A newer epoch starting below the latest one's start means the log was truncated
      // without telling the cache: drop what the new epoch overwrote.
      truncate_from(start);
    }
  }
  _entries.push_back({epoch, start});
}

void epoch_cache::truncate_from(model::offset end) {
  std::erase_if(_entries, [end](const epoch_entry& e) { return e.start >= end; });
}

void epoch_cache::truncate_before(model::offset start) {
  // The last entry starting at or below `start` covers it; every earlier one goes.
  auto covering = std::find_if(_entries.rbegin(), _entries.rend(),
                               [start](const epoch_entry& e) { return e.start <= start; });
  if (covering == _entries.rend()) return;
  auto keep = std::prev(covering.base());
  keep->start = start;
  _entries.erase(_entries.begin(), keep);
}

epoch_end epoch_cache::end_offset_for(model::leader_epoch epoch, model::offset log_end) const {
  if (_entries.empty() || epoch < _entries.front().epoch) return {};
  if (epoch >= _entries.back().epoch) {
    // The latest epoch (or a newer one this log has not seen): it ends at the log end.
    return {_entries.back().epoch, log_end};
  }
  // The first entry newer than `epoch`: the one before it is the largest <= epoch.
  auto next = std::upper_bound(
      _entries.begin(), _entries.end(), epoch,
      [](model::leader_epoch e, const epoch_entry& entry) { return e < entry.epoch; });
  return {std::prev(next)->epoch, next->start};
}

std::optional<model::offset> epoch_cache::start_of(model::leader_epoch epoch) const {
  for (const auto& e : _entries) {
    if (e.epoch == epoch) return e.start;
  }
  return std::nullopt;
}

}  // namespace vltava::cluster
