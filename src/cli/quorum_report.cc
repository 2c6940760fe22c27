#include "cli/quorum_report.h"

#include <algorithm>

namespace vltava::cli {

namespace {

const replica_status* leader_of(const quorum_status& q) {
  for (const auto& v : q.voters) {
    if (v.id == q.leader_id) return &v;
  }
  return nullptr;
}

// The leader's log end offset: its own row when it lists itself, else the high watermark
// (never behind any follower's acknowledged offset).
int64_t leader_end(const quorum_status& q) {
  const replica_status* l = leader_of(q);
  return l && l->log_end_offset >= 0 ? l->log_end_offset : q.high_watermark;
}

std::optional<int64_t> ago(int64_t unix_ms, int64_t now_ms) {
  if (unix_ms < 0) return std::nullopt;
  return std::max<int64_t>(0, now_ms - unix_ms);
}

replica_row row_of(const replica_status& r, replica_role role, int64_t end, int64_t now_ms) {
  replica_row out;
  out.id = r.id;
  out.role = role;
  out.log_end_offset = r.log_end_offset;
  out.lag = r.log_end_offset >= 0 ? std::max<int64_t>(0, end - r.log_end_offset) : end;
  out.last_fetch_ago_ms = ago(r.last_fetch_ms, now_ms);
  out.last_caught_up_ago_ms = ago(r.last_caught_up_ms, now_ms);
  return out;
}

}  // namespace

std::string_view role_name(replica_role r) {
  switch (r) {
    case replica_role::leader:
      return "Leader";
    case replica_role::follower:
      return "Follower";
    case replica_role::observer:
      return "Observer";
  }
  return "?";
}

std::vector<replica_row> replication_rows(const quorum_status& q, int64_t now_ms) {
  const int64_t end = leader_end(q);
  std::vector<replica_row> rows;
  for (const auto& v : q.voters) {
    auto role = v.id == q.leader_id ? replica_role::leader : replica_role::follower;
    rows.push_back(row_of(v, role, end, now_ms));
  }
  for (const auto& o : q.observers) rows.push_back(row_of(o, replica_role::observer, end, now_ms));
  std::stable_sort(rows.begin(), rows.end(), [](const replica_row& a, const replica_row& b) {
    if (a.role != b.role) return a.role < b.role;
    return a.id < b.id;
  });
  return rows;
}

quorum_summary summarize(const quorum_status& q) {
  quorum_summary out;
  const int64_t end = leader_end(q);
  const replica_status* laggard = nullptr;
  for (const auto& v : q.voters) {
    if (v.id == q.leader_id) continue;
    int64_t lag = v.log_end_offset >= 0 ? std::max<int64_t>(0, end - v.log_end_offset) : end;
    if (laggard == nullptr || lag > out.max_follower_lag) {
      out.max_follower_lag = lag;
      laggard = &v;
    }
  }
  const replica_status* leader = leader_of(q);
  if (laggard == nullptr) {
    out.max_follower_lag_time_ms = 0;  // a quorum of one: nobody trails the leader
  } else if (leader && leader->last_caught_up_ms >= 0 && laggard->last_caught_up_ms >= 0) {
    out.max_follower_lag_time_ms =
        std::max<int64_t>(0, leader->last_caught_up_ms - laggard->last_caught_up_ms);
  }
  return out;
}

}  // namespace vltava::cli
