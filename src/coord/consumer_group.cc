#include "coord/consumer_group.h"

#include <algorithm>

namespace vltava::coord {

std::string_view state_name(consumer_group_state s) {
  switch (s) {
    case consumer_group_state::empty:
      return "Empty";
    case consumer_group_state::assigning:
      return "Assigning";
    case consumer_group_state::reconciling:
      return "Reconciling";
    case consumer_group_state::stable:
      return "Stable";
    case consumer_group_state::dead:
      return "Dead";
  }
  return "Unknown";
}

std::pair<error_code, std::string> validate(const consumer_heartbeat& hb) {
  auto bad = [](std::string m) { return std::pair{error_code::invalid_request, std::move(m)}; };
  if (hb.instance_id && hb.instance_id->empty()) return bad("InstanceId can't be empty.");
  if (hb.rack_id && hb.rack_id->empty()) return bad("RackId can't be empty.");
  // v0: the server names a joining member; v1 (KIP-1082): the client always does.
  if (hb.member_id.empty() && (hb.version >= 1 || hb.member_epoch != 0)) {
    return bad("MemberId can't be empty.");
  }
  if (hb.member_epoch < static_leave_epoch) return bad("MemberEpoch is invalid.");
  if (hb.member_epoch == static_leave_epoch && !hb.instance_id) {
    return bad("InstanceId can't be null.");
  }
  if (hb.member_epoch == 0) {
    if (hb.rebalance_timeout_ms == -1) {
      return bad("RebalanceTimeoutMs must be provided in first request.");
    }
    if (hb.owned && !hb.owned->empty()) {
      return bad("TopicPartitions must be empty when (re-)joining.");
    }
    if (!hb.subscribed_topic_names && !hb.subscribed_topic_regex) {
      return bad("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
    }
  }
  if (hb.subscribed_topic_regex) {
    try {
      std::regex r(*hb.subscribed_topic_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return {error_code::invalid_regular_expression,
              "SubscribedTopicRegex " + *hb.subscribed_topic_regex + " is invalid: " + e.what()};
    }
  }
  return {error_code::none, {}};
}

consumer_group::consumer_group(std::string id, const consumer_group_config& config)
    : _id(std::move(id)), _config(config) {}

consumer_group_state consumer_group::state() const {
  if (_members.empty()) return consumer_group_state::empty;
  if (_group_epoch > _assignment_epoch) return consumer_group_state::assigning;
  for (const auto& [_, m] : _members) {
    if (m.epoch != _assignment_epoch || m.state != member_state::stable) {
      return consumer_group_state::reconciling;
    }
  }
  return consumer_group_state::stable;
}

std::string consumer_group::assignor() const {
  std::map<std::string, int> votes;
  for (const auto& [_, m] : _members) {
    if (m.server_assignor) ++votes[*m.server_assignor];
  }
  std::string best =
      _config.assignors.empty() ? std::string(uniform_assignor) : _config.assignors.front();
  int most = 0;
  for (const auto& [name, n] : votes) {
    if (n > most) {
      most = n;
      best = name;
    }
  }
  return best;
}

bool consumer_group::matches_regex(const consumer_member& m, const std::string& topic) const {
  if (!m.subscribed_topic_regex) return false;
  auto it = _regexes.find(*m.subscribed_topic_regex);
  return it != _regexes.end() && std::regex_match(topic, it->second);
}

std::set<std::string> consumer_group::subscribed_topic_names(const topic_catalog& topics) const {
  std::set<std::string> out;
  for (const auto& [_, m] : _members) {
    out.insert(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end());
    if (!m.subscribed_topic_regex) continue;
    for (const auto& [name, t] : topics) {
      if (!t.internal && matches_regex(m, name)) out.insert(name);
    }
  }
  return out;
}

consumer_heartbeat_result consumer_group::fenced(const consumer_heartbeat& hb, error_code e,
                                                 std::string msg) {
  consumer_heartbeat_result r;
  r.error = e;
  r.message = std::move(msg);
  r.member_id = hb.member_id;
  r.member_epoch = hb.member_epoch;
  return r;
}

void consumer_group::remove_member(const std::string& id) {
  auto it = _members.find(id);
  if (it == _members.end()) return;
  if (it->second.instance_id) _static_members.erase(*it->second.instance_id);
  _members.erase(it);
  _target.erase(id);
  _removed.push_back(id);
  ++_group_epoch;
  _dirty = true;
}

consumer_heartbeat_result consumer_group::leave(const consumer_heartbeat& hb) {
  consumer_heartbeat_result r;
  r.member_id = hb.member_id;
  r.member_epoch = hb.member_epoch;
  std::string id = hb.member_id;
  if (hb.instance_id) {
    auto s = _static_members.find(*hb.instance_id);
    if (s == _static_members.end()) {
      return fenced(hb, error_code::unknown_member_id,
                    "Instance id " + *hb.instance_id + " is unknown.");
    }
    if (s->second != hb.member_id) {
      return fenced(hb, error_code::fenced_instance_id,
                    "Instance id " + *hb.instance_id + " belongs to another member.");
    }
  }
  auto it = _members.find(id);
  if (it == _members.end()) {
    return fenced(hb, error_code::unknown_member_id, "Member " + id + " is unknown.");
  }
  if (hb.member_epoch == static_leave_epoch) {
    // KIP-848: a static member leaving keeps its partitions for a new instance with the same
    // instance id, until its session times out.
    it->second.left_static = true;
    _dirty = true;
    return r;
  }
  remove_member(id);
  return r;
}

consumer_member* consumer_group::join(const consumer_heartbeat& hb,
                                      const std::string& new_member_id,
                                      consumer_heartbeat_result& r) {
  const std::string id = hb.member_id.empty() ? new_member_id : hb.member_id;
  auto existing = _members.find(id);
  if (existing != _members.end()) {
    // A member rejoining (after FENCED_MEMBER_EPOCH, or a lost answer) keeps its place and
    // gets its whole assignment again.
    existing->second.assignment_changed = true;
    return &existing->second;
  }
  consumer_member m;
  if (hb.instance_id) {
    auto s = _static_members.find(*hb.instance_id);
    if (s != _static_members.end()) {
      auto old = _members.find(s->second);
      if (old != _members.end() && !old->second.left_static) {
        r.error = error_code::unreleased_instance_id;
        r.message = "Static member " + s->second + " with instance id " + *hb.instance_id +
                    " is not released yet.";
        return nullptr;
      }
      if (old != _members.end()) {
        // The new instance takes the old one's epoch and partitions (no rebalance).
        m = std::move(old->second);
        m.left_static = false;
        auto t = _target.extract(old->first);
        _members.erase(old);
        _removed.push_back(s->second);
        if (!t.empty()) _target.emplace(id, std::move(t.mapped()));
      }
    }
  }
  if (m.id.empty() && _members.size() >= static_cast<size_t>(_config.max_size)) {
    r.error = error_code::group_max_size_reached;
    r.message = "The consumer group has reached its maximum capacity of " +
                std::to_string(_config.max_size) + " members.";
    return nullptr;
  }
  const bool replaced = !m.id.empty();
  m.id = id;
  m.assignment_changed = true;
  if (hb.instance_id) _static_members[*hb.instance_id] = id;
  auto [it, _] = _members.emplace(id, std::move(m));
  if (!replaced) _membership_changed = true;
  _dirty = true;
  return &it->second;
}

bool consumer_group::update_subscription(consumer_member& m, const consumer_heartbeat& hb) {
  bool changed = false;
  if (hb.instance_id) m.instance_id = hb.instance_id;
  if (hb.rack_id && hb.rack_id != m.rack_id) {
    m.rack_id = hb.rack_id;
    _dirty = true;
  }
  if (hb.rebalance_timeout_ms != -1) m.rebalance_timeout_ms = hb.rebalance_timeout_ms;
  m.client_id = hb.client_id;
  m.client_host = hb.client_host;
  if (hb.subscribed_topic_names) {
    auto names = *hb.subscribed_topic_names;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names != m.subscribed_topic_names) {
      m.subscribed_topic_names = std::move(names);
      changed = true;
    }
  }
  if (hb.subscribed_topic_regex) {
    // An empty regex clears it (as Kafka).
    std::optional<std::string> re;
    if (!hb.subscribed_topic_regex->empty()) re = hb.subscribed_topic_regex;
    if (re != m.subscribed_topic_regex) {
      m.subscribed_topic_regex = re;
      if (re && !_regexes.contains(*re)) _regexes.emplace(*re, std::regex(*re));
      changed = true;
    }
  }
  if (hb.server_assignor && hb.server_assignor != m.server_assignor) {
    m.server_assignor = hb.server_assignor;
    changed = true;
  }
  if (changed) _dirty = true;
  return changed;
}

bool consumer_group::refresh_metadata(const topic_catalog& topics) {
  std::map<std::string, catalog_topic> now;
  for (const auto& name : subscribed_topic_names(topics)) {
    auto t = topics.find(name);
    if (t != topics.end()) now.emplace(name, t->second);
  }
  if (now == _metadata) return false;
  _metadata = std::move(now);
  _dirty = true;
  return true;
}

void consumer_group::compute_target() {
  assignor_input in;
  for (const auto& [name, t] : _metadata) in.partition_counts[t.id] = t.partitions;
  for (const auto& [id, m] : _members) {
    auto& am = in.members[id];
    for (const auto& [name, t] : _metadata) {
      const bool named = std::binary_search(m.subscribed_topic_names.begin(),
                                            m.subscribed_topic_names.end(), name);
      if (named || (!t.internal && matches_regex(m, name))) am.topics.insert(t.id);
    }
  }
  in.previous = _target;
  _target = assign(assignor(), in);
  _assignment_epoch = _group_epoch;
  _dirty = true;
}

bool consumer_group::held_by_other(const std::string& member, const protocol::uuid& t,
                                   int32_t p) const {
  for (const auto& [id, m] : _members) {
    if (id == member) continue;
    for (const auto* set : {&m.assigned, &m.pending_revocation}) {
      auto it = set->find(t);
      if (it != set->end() && it->second.contains(p)) return true;
    }
  }
  return false;
}

void consumer_group::reconcile(consumer_member& m, const std::optional<topic_partitions>& owned,
                               int64_t now_ms) {
  if (m.state == member_state::unrevoked_partitions) {
    // Still its own until a heartbeat reports them gone.
    if (!owned || !intersect(*owned, m.pending_revocation).empty()) return;
    m.pending_revocation.clear();
    m.state = member_state::stable;
    _dirty = true;
  }
  if (m.epoch == _assignment_epoch && m.state == member_state::stable) return;
  static const topic_partitions none;
  auto t = _target.find(m.id);
  const topic_partitions& target = t == _target.end() ? none : t->second;
  topic_partitions revoke = minus(m.assigned, target);
  if (!revoke.empty()) {
    m.assigned = intersect(m.assigned, target);
    m.pending_revocation = std::move(revoke);
    m.state = member_state::unrevoked_partitions;
    m.revocation_deadline_ms = now_ms + m.rebalance_timeout_ms;
    m.assignment_changed = true;
    _dirty = true;
    return;
  }
  bool unreleased = false;
  for (const auto& [topic, ps] : minus(target, m.assigned)) {
    for (int32_t p : ps) {
      if (held_by_other(m.id, topic, p)) {
        unreleased = true;
      } else {
        m.assigned[topic].insert(p);
        m.assignment_changed = true;
      }
    }
  }
  if (m.epoch != _assignment_epoch) {
    m.previous_epoch = m.epoch;
    m.epoch = _assignment_epoch;
  }
  m.state = unreleased ? member_state::unreleased_partitions : member_state::stable;
  _dirty = true;
}

consumer_heartbeat_result consumer_group::heartbeat(const consumer_heartbeat& hb,
                                                    const topic_catalog& topics, int64_t now_ms,
                                                    const std::string& new_member_id) {
  if (hb.server_assignor && std::find(_config.assignors.begin(), _config.assignors.end(),
                                      *hb.server_assignor) == _config.assignors.end()) {
    return fenced(hb, error_code::unsupported_assignor,
                  "ServerAssignor " + *hb.server_assignor + " is not supported.");
  }
  if (hb.member_epoch == leave_epoch || hb.member_epoch == static_leave_epoch) return leave(hb);
  consumer_heartbeat_result r;
  consumer_member* m = nullptr;
  bool full = hb.owned.has_value();
  if (hb.member_epoch == 0) {
    m = join(hb, new_member_id, r);
    if (!m) {
      r.member_id = hb.member_id;
      return r;
    }
    full = true;
  } else {
    auto it = _members.find(hb.member_id);
    if (it == _members.end() || it->second.left_static) {
      return fenced(hb, error_code::unknown_member_id,
                    "Member " + hb.member_id + " is not a member of group " + _id + ".");
    }
    m = &it->second;
    // Kafka's rule: a newer epoch than the member's is impossible, an older one is only its
    // previous epoch when the answer moving it on was lost (it owns no more than it has).
    const bool lost_answer =
        hb.member_epoch == m->previous_epoch && hb.owned && minus(*hb.owned, m->assigned).empty();
    if (hb.member_epoch > m->epoch || (hb.member_epoch < m->epoch && !lost_answer)) {
      return fenced(hb, error_code::fenced_member_epoch,
                    "The member epoch " + std::to_string(hb.member_epoch) +
                        " is not the current one (" + std::to_string(m->epoch) + ").");
    }
    if (lost_answer) m->assignment_changed = true;
  }
  const std::string id = m->id;
  // One epoch bump for everything this heartbeat changed (a join, a subscription, topics).
  bool bump = std::exchange(_membership_changed, false);
  bump = update_subscription(*m, hb) || bump;
  bump = refresh_metadata(topics) || bump;
  if (bump) ++_group_epoch;
  if (_group_epoch > _assignment_epoch) compute_target();
  m = &_members.at(id);
  reconcile(*m, hb.owned, now_ms);
  m->session_deadline_ms = now_ms + _config.session_timeout_ms;
  r.member_id = id;
  r.member_epoch = m->epoch;
  r.heartbeat_interval_ms = _config.heartbeat_interval_ms;
  if (m->assignment_changed || full) {
    r.assignment = m->assigned;
    m->assignment_changed = false;
  }
  return r;
}

size_t consumer_group::tick(int64_t now_ms) {
  std::vector<std::string> expired;
  for (const auto& [id, m] : _members) {
    const bool session = now_ms >= m.session_deadline_ms;
    const bool revocation =
        m.state == member_state::unrevoked_partitions && now_ms >= m.revocation_deadline_ms;
    if (session || revocation) expired.push_back(id);
  }
  for (const auto& id : expired) remove_member(id);
  return expired.size();
}

error_code consumer_group::validate_commit(const std::string& member_id,
                                           int32_t member_epoch) const {
  if (member_epoch < 0 && member_id.empty()) {
    return _members.empty() ? error_code::none : error_code::unknown_member_id;
  }
  auto it = _members.find(member_id);
  if (it == _members.end()) return error_code::unknown_member_id;
  if (member_epoch != it->second.epoch) return error_code::stale_member_epoch;
  return error_code::none;
}

void consumer_group::restore_epochs(int32_t group_epoch, int32_t assignment_epoch) {
  _group_epoch = group_epoch;
  _assignment_epoch = assignment_epoch;
}

void consumer_group::restore_member(consumer_member m, int64_t now_ms) {
  m.session_deadline_ms = now_ms + _config.session_timeout_ms;
  m.assignment_changed = true;
  if (m.subscribed_topic_regex && !_regexes.contains(*m.subscribed_topic_regex)) {
    try {
      _regexes.emplace(*m.subscribed_topic_regex, std::regex(*m.subscribed_topic_regex));
    } catch (const std::regex_error&) {
      m.subscribed_topic_regex.reset();  // written by another broker's regex dialect
    }
  }
  if (m.instance_id) _static_members[*m.instance_id] = m.id;
  std::string id = m.id;
  _members[id] = std::move(m);
}

void consumer_group::restore_target(const std::string& member_id, topic_partitions t) {
  _target[member_id] = std::move(t);
}

void consumer_group::restore_subscription_metadata(const topic_catalog& topics) {
  refresh_metadata(topics);
  _dirty = false;
}

}  // namespace vltava::coord
