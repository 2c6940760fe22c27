#include "kafka/handlers/fetch_session.h"

#include <algorithm>

namespace vltava::kafka {

using protocol::error_code;

namespace {
constexpr int32_t final_epoch = -1;
constexpr int32_t initial_epoch = 0;

int32_t next_epoch_after(int32_t e) {
  return e == INT32_MAX ? 1 : e + 1;
}
}  // namespace

size_t fetch_session_cache::size() const {
  std::lock_guard g(_mu);
  return _sessions.size();
}

int32_t fetch_session_cache::new_id() {
  // A non-zero id not in use; a simple LCG spreads ids so stale clients rarely hit a new one.
  for (;;) {
    _next_id_seed = _next_id_seed * 1103515245u + 12345u;
    auto id = static_cast<int32_t>(_next_id_seed & 0x7fffffff);
    if (id != 0 && !_sessions.contains(id)) return id;
  }
}

void fetch_session_cache::evict_one() {
  auto oldest = std::min_element(_sessions.begin(), _sessions.end(), [](auto& a, auto& b) {
    return a.second.last_used < b.second.last_used;
  });
  if (oldest != _sessions.end()) _sessions.erase(oldest);
}

session_view fetch_session_cache::begin(int32_t session_id, int32_t epoch,
                                        std::vector<fetch_want> requested,
                                        const std::vector<model::topic_partition>& forgotten) {
  std::lock_guard g(_mu);
  session_view view;
  const auto now = std::chrono::steady_clock::now();
  if (epoch == initial_epoch || epoch == final_epoch) {
    // A full fetch: it ends any session named, and (epoch 0) opens a new one.
    if (session_id != 0) _sessions.erase(session_id);
    if (epoch == initial_epoch && _max_sessions > 0 && requested.size() <= _max_partitions) {
      if (_sessions.size() >= _max_sessions) evict_one();
      int32_t id = new_id();
      session s;
      s.last_used = now;
      for (const auto& w : requested) {
        if (s.partitions.emplace(w.tp, w).second) s.order.push_back(w.tp);
      }
      _sessions.emplace(id, std::move(s));
      view.session_id = id;
    }
    view.wants = std::move(requested);
    return view;
  }
  auto it = _sessions.find(session_id);
  if (it == _sessions.end()) {
    view.error = error_code::fetch_session_id_not_found;
    return view;
  }
  session& s = it->second;
  if (epoch != s.next_epoch) {
    view.error = error_code::invalid_fetch_session_epoch;
    return view;
  }
  s.next_epoch = next_epoch_after(epoch);
  s.last_used = now;
  for (auto& w : requested) {
    const key k = w.tp;
    auto p = s.partitions.find(k);
    if (p != s.partitions.end()) {
      p->second.fetch_offset = w.fetch_offset;
      p->second.max_bytes = w.max_bytes;
      p->second.topic_id = w.topic_id;
    } else if (s.partitions.size() < _max_partitions) {
      s.partitions.emplace(k, std::move(w));
      s.order.push_back(k);
    }
  }
  for (const auto& f : forgotten) s.partitions.erase(f);
  std::erase_if(s.order, [&s](const key& k) { return !s.partitions.contains(k); });
  view.session_id = session_id;
  view.incremental = true;
  for (const auto& k : s.order) view.wants.push_back(s.partitions.at(k));
  return view;
}

void fetch_session_cache::sent(int32_t session_id, const std::vector<sent_state>& states) {
  if (session_id == 0) return;
  std::lock_guard g(_mu);
  auto it = _sessions.find(session_id);
  if (it == _sessions.end()) return;
  for (const auto& st : states) {
    auto p = it->second.partitions.find(st.tp);
    if (p == it->second.partitions.end()) continue;
    p->second.sent_high_watermark = st.high_watermark;
    p->second.sent_log_start = st.log_start;
  }
}

fetch_session_cache& broker_fetch_sessions() {
  static fetch_session_cache cache;
  return cache;
}

}  // namespace vltava::kafka
