#include "coord/group.h"

#include <algorithm>

#include "base/assert.h"
#include "protocol/generated/consumer_protocol_subscription.h"
#include "protocol/reader.h"

namespace vltava::coord {

std::string_view state_name(group_state s) {
  switch (s) {
    case group_state::empty:
      return "Empty";
    case group_state::preparing_rebalance:
      return "PreparingRebalance";
    case group_state::completing_rebalance:
      return "CompletingRebalance";
    case group_state::stable:
      return "Stable";
    case group_state::dead:
      return "Dead";
  }
  return "Unknown";
}

group::group(std::string id, const group_config& config, const member_id_source& ids)
    : _id(std::move(id)), _config(config), _ids(ids) {}

void group::restore(const group_value& v) {
  VLTAVA_ASSERT(_members.empty(), "restore before any member joins");
  _protocol_type = v.protocol_type;
  _generation = v.generation;
  _state = group_state::empty;
  _state_timestamp_ms = v.current_state_timestamp_ms;
  // The members of the last generation are not live here: they find out at their next
  // heartbeat (UNKNOWN_MEMBER_ID) and rejoin, which starts the next generation.
  _protocol_name.reset();
  _leader.clear();
}

void group::set_state(group_state s, int64_t now_ms) {
  _state = s;
  _state_timestamp_ms = now_ms;
}

bool group::supports_protocols(const std::string& type,
                               const std::vector<protocol_entry>& ps) const {
  if (type.empty() || ps.empty()) return false;
  if (_members.empty()) return true;
  if (type != _protocol_type) return false;
  return std::any_of(ps.begin(), ps.end(), [this](const protocol_entry& p) {
    return std::all_of(_members.begin(), _members.end(), [&p](const auto& kv) {
      const auto& mine = kv.second.protocols;
      return std::any_of(mine.begin(), mine.end(),
                         [&p](const protocol_entry& q) { return q.name == p.name; });
    });
  });
}

bool group::is_fenced(const std::string& member_id,
                      const std::optional<std::string>& instance) const {
  if (!instance) return false;
  auto it = _static_members.find(*instance);
  return it != _static_members.end() && it->second != member_id;
}

bool group::full() const {
  return _members.size() + _pending.size() >= static_cast<size_t>(_config.max_size);
}

void group::join(join_request req, int64_t now_ms, join_callback cb) {
  auto refuse = [&](error_code e) {
    join_result r;
    r.error = e;
    r.member_id = req.member_id;
    cb(std::move(r));
  };
  if (_state == group_state::dead) return refuse(error_code::coordinator_not_available);
  if (req.session_timeout_ms < _config.min_session_timeout_ms ||
      req.session_timeout_ms > _config.max_session_timeout_ms) {
    return refuse(error_code::invalid_session_timeout);
  }
  if (!supports_protocols(req.protocol_type, req.protocols)) {
    return refuse(error_code::inconsistent_group_protocol);
  }
  if (req.member_id.empty()) return join_new_member(std::move(req), now_ms, std::move(cb));
  join_known_member(std::move(req), now_ms, std::move(cb));
}

void group::join_new_member(join_request req, int64_t now_ms, join_callback cb) {
  if (req.group_instance_id) {
    auto it = _static_members.find(*req.group_instance_id);
    if (it != _static_members.end()) {
      std::string old_id = it->second;
      return replace_static_member(old_id, std::move(req), now_ms, std::move(cb));
    }
  }
  if (full()) {
    join_result r;
    r.error = error_code::group_max_size_reached;
    return cb(std::move(r));
  }
  std::string id = _ids(req.client_id);
  if (!req.group_instance_id && req.require_known_member_id) {
    // KIP-394: the client learns its id first, so a join that times out on the client side
    // does not leave an unknown member behind that the group waits for.
    _pending[id] = now_ms + req.session_timeout_ms;
    join_result r;
    r.error = error_code::member_id_required;
    r.member_id = std::move(id);
    return cb(std::move(r));
  }
  add_member_and_rebalance(std::move(id), std::move(req), now_ms, std::move(cb));
}

void group::replace_static_member(const std::string& old_id, join_request req, int64_t now_ms,
                                  join_callback cb) {
  auto node = _members.extract(old_id);
  VLTAVA_ASSERT(!node.empty(), "a static member maps to a member");
  member& m = node.mapped();
  // The old incarnation's pending requests are answered: it has been replaced.
  if (m.awaiting_join) {
    join_result r;
    r.error = error_code::fenced_instance_id;
    r.member_id = old_id;
    std::exchange(m.awaiting_join, nullptr)(std::move(r));
  }
  if (m.awaiting_sync) {
    sync_result r;
    r.error = error_code::fenced_instance_id;
    std::exchange(m.awaiting_sync, nullptr)(std::move(r));
  }
  std::string new_id = _ids(req.client_id);
  m.id = new_id;
  node.key() = new_id;
  _members.insert(std::move(node));
  _static_members[*req.group_instance_id] = new_id;
  if (_leader == old_id) _leader = new_id;
  member& mm = _members.at(new_id);
  mm.client_id = req.client_id;
  mm.client_host = req.client_host;
  if (_state == group_state::stable) {
    // KIP-345: the assignment stands unless the new subscription changes which protocol the
    // group would select (Kafka compares the protocol, not the metadata bytes).
    auto old_protocols = std::move(mm.protocols);
    mm.protocols = req.protocols;
    if (select_protocol() == _protocol_name) {
      mm.session_timeout_ms = req.session_timeout_ms;
      mm.rebalance_timeout_ms = req.rebalance_timeout_ms;
      mm.session_deadline_ms = now_ms + mm.session_timeout_ms;
      _dirty = true;
      bool leader = _leader == new_id;
      // Before v9 the leader cannot be told to skip the assignment: it gets no member list,
      // so it does not compute one.
      bool skip = leader && req.supports_skip_assignment;
      join_result r = current_generation_result(mm, skip);
      r.skip_assignment = skip;
      return cb(std::move(r));
    }
    mm.protocols = std::move(old_protocols);
  }
  update_member_and_rebalance(mm, std::move(req), now_ms, std::move(cb));
}

void group::join_known_member(join_request req, int64_t now_ms, join_callback cb) {
  auto refuse = [&](error_code e) {
    join_result r;
    r.error = e;
    r.member_id = req.member_id;
    cb(std::move(r));
  };
  if (is_fenced(req.member_id, req.group_instance_id)) {
    return refuse(error_code::fenced_instance_id);
  }
  auto it = _members.find(req.member_id);
  if (it == _members.end()) {
    if (_pending.contains(req.member_id)) {
      std::string id = req.member_id;
      return add_member_and_rebalance(std::move(id), std::move(req), now_ms, std::move(cb));
    }
    return refuse(error_code::unknown_member_id);
  }
  member& m = it->second;
  switch (_state) {
    case group_state::preparing_rebalance:
      return update_member_and_rebalance(m, std::move(req), now_ms, std::move(cb));
    case group_state::completing_rebalance:
      if (m.protocols == req.protocols) {
        // The join response was lost: the same answer again.
        return cb(current_generation_result(m, m.id == _leader));
      }
      return update_member_and_rebalance(m, std::move(req), now_ms, std::move(cb));
    case group_state::stable:
      if (m.id == _leader || m.protocols != req.protocols) {
        // The leader rejoining means it wants a new assignment (e.g. its metadata changed).
        return update_member_and_rebalance(m, std::move(req), now_ms, std::move(cb));
      }
      m.session_deadline_ms = now_ms + m.session_timeout_ms;
      return cb(current_generation_result(m, false));
    case group_state::empty:
    case group_state::dead:
      return refuse(error_code::unknown_member_id);
  }
}

void group::add_member_and_rebalance(std::string id, join_request req, int64_t now_ms,
                                     join_callback cb) {
  _pending.erase(id);
  if (_members.empty()) _protocol_type = req.protocol_type;
  member m;
  m.id = id;
  m.instance_id = req.group_instance_id;
  m.client_id = std::move(req.client_id);
  m.client_host = std::move(req.client_host);
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.protocols = std::move(req.protocols);
  m.awaiting_join = std::move(cb);
  m.session_deadline_ms = now_ms + m.session_timeout_ms;
  m.join_order = _next_join_order++;
  if (m.instance_id) _static_members[*m.instance_id] = id;
  if (_leader.empty() || !_members.contains(_leader)) _leader = id;
  _members.emplace(id, std::move(m));
  if (_state == group_state::preparing_rebalance && _initial_delay) _new_member_added = true;
  maybe_prepare_rebalance(now_ms);
  try_complete_join(now_ms);
}

void group::update_member_and_rebalance(member& m, join_request req, int64_t now_ms,
                                        join_callback cb) {
  m.protocols = std::move(req.protocols);
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.client_id = std::move(req.client_id);
  m.client_host = std::move(req.client_host);
  if (m.awaiting_join) {
    // A second join while the first waits: the newer one is the one the client reads.
    join_result r;
    r.error = error_code::rebalance_in_progress;
    r.member_id = m.id;
    std::exchange(m.awaiting_join, nullptr)(std::move(r));
  }
  m.awaiting_join = std::move(cb);
  maybe_prepare_rebalance(now_ms);
  try_complete_join(now_ms);
}

join_result group::current_generation_result(const member& m, bool include_members) const {
  join_result r;
  r.generation_id = _generation;
  r.protocol_type = _protocol_type;
  r.protocol_name = _protocol_name;
  r.leader = _leader;
  r.member_id = m.id;
  if (include_members && _protocol_name) {
    for (const member* other : ordered_members()) {
      const auto* md = metadata_for(*other, *_protocol_name);
      r.members.push_back({other->id, other->instance_id, md ? *md : std::vector<std::byte>{}});
    }
  }
  return r;
}

void group::maybe_prepare_rebalance(int64_t now_ms) {
  if (_state == group_state::stable || _state == group_state::completing_rebalance ||
      _state == group_state::empty) {
    prepare_rebalance(now_ms);
  }
}

void group::prepare_rebalance(int64_t now_ms) {
  if (_state == group_state::completing_rebalance) {
    for (auto& [_, m] : _members) {
      m.assignment.clear();
      if (m.awaiting_sync) {
        sync_result r;
        r.error = error_code::rebalance_in_progress;
        std::exchange(m.awaiting_sync, nullptr)(std::move(r));
      }
    }
  }
  // A new group waits group.initial.rebalance.delay.ms for more members, so that consumers
  // starting together form one generation instead of one rebalance each.
  bool initial = _state == group_state::empty && _config.initial_rebalance_delay_ms > 0;
  set_state(group_state::preparing_rebalance, now_ms);
  _initial_delay = initial;
  _new_member_added = false;
  if (initial) {
    int64_t delay = _config.initial_rebalance_delay_ms;
    _initial_remaining_ms = std::max<int64_t>(rebalance_timeout_ms() - delay, 0);
    _join_deadline_ms = now_ms + delay;
  } else {
    _join_deadline_ms = now_ms + rebalance_timeout_ms();
  }
}

void group::try_complete_join(int64_t now_ms) {
  if (_state != group_state::preparing_rebalance || _initial_delay || !_pending.empty()) return;
  bool all_joined = std::all_of(_members.begin(), _members.end(),
                                [](const auto& kv) { return bool(kv.second.awaiting_join); });
  if (all_joined) complete_join(now_ms);
}

void group::complete_join(int64_t now_ms) {
  _initial_delay = false;
  std::vector<std::string> gone;
  for (const auto& [id, m] : _members) {
    if (!m.awaiting_join) gone.push_back(id);
  }
  for (const auto& id : gone) {
    const member& m = _members.at(id);
    if (m.instance_id) _static_members.erase(*m.instance_id);
    _members.erase(id);
  }
  if (!_members.contains(_leader)) {
    auto ordered = ordered_members();
    _leader = ordered.empty() ? std::string() : ordered.front()->id;
  }
  ++_generation;
  _dirty = true;
  if (_members.empty()) {
    set_state(group_state::empty, now_ms);
    _protocol_name.reset();
    return;
  }
  _protocol_name = select_protocol();
  set_state(group_state::completing_rebalance, now_ms);
  _sync_deadline_ms = now_ms + rebalance_timeout_ms();
  std::vector<std::pair<join_callback, join_result>> answers;
  for (auto& [id, m] : _members) {
    m.session_deadline_ms = now_ms + m.session_timeout_ms;
    answers.emplace_back(std::exchange(m.awaiting_join, nullptr),
                         current_generation_result(m, id == _leader));
  }
  for (auto& [cb, r] : answers) cb(std::move(r));
}

void group::sync(sync_request req, int64_t now_ms, sync_callback cb) {
  auto refuse = [&](error_code e) {
    sync_result r;
    r.error = e;
    cb(std::move(r));
  };
  if (_state == group_state::dead) return refuse(error_code::coordinator_not_available);
  if (is_fenced(req.member_id, req.group_instance_id)) {
    return refuse(error_code::fenced_instance_id);
  }
  auto it = _members.find(req.member_id);
  if (it == _members.end()) return refuse(error_code::unknown_member_id);
  if (req.generation_id != _generation) return refuse(error_code::illegal_generation);
  if ((req.protocol_type && *req.protocol_type != _protocol_type) ||
      (req.protocol_name && req.protocol_name != _protocol_name)) {
    return refuse(error_code::inconsistent_group_protocol);
  }
  member& m = it->second;
  switch (_state) {
    case group_state::empty:
    case group_state::dead:
      return refuse(error_code::unknown_member_id);
    case group_state::preparing_rebalance:
      return refuse(error_code::rebalance_in_progress);
    case group_state::stable: {
      m.session_deadline_ms = now_ms + m.session_timeout_ms;
      return cb(sync_result{error_code::none, _protocol_type, _protocol_name, m.assignment});
    }
    case group_state::completing_rebalance:
      break;
  }
  m.session_deadline_ms = now_ms + m.session_timeout_ms;
  if (m.awaiting_sync) {
    // A repeated SyncGroup while the first waits: the newer one gets the answer.
    sync_result r;
    r.error = error_code::rebalance_in_progress;
    std::exchange(m.awaiting_sync, nullptr)(std::move(r));
  }
  m.awaiting_sync = std::move(cb);
  if (m.id != _leader) return;
  for (auto& [_, other] : _members) other.assignment.clear();
  for (auto& [id, bytes] : req.assignments) {
    auto target = _members.find(id);
    if (target != _members.end()) target->second.assignment = std::move(bytes);
  }
  set_state(group_state::stable, now_ms);
  _dirty = true;
  std::vector<std::pair<sync_callback, sync_result>> answers;
  for (auto& [_, other] : _members) {
    if (!other.awaiting_sync) continue;
    answers.emplace_back(
        std::exchange(other.awaiting_sync, nullptr),
        sync_result{error_code::none, _protocol_type, _protocol_name, other.assignment});
  }
  for (auto& [c, r] : answers) c(std::move(r));
}

error_code group::heartbeat(const std::string& member_id,
                            const std::optional<std::string>& group_instance_id, int32_t generation,
                            int64_t now_ms) {
  if (_state == group_state::dead) return error_code::coordinator_not_available;
  if (is_fenced(member_id, group_instance_id)) return error_code::fenced_instance_id;
  auto it = _members.find(member_id);
  if (it == _members.end()) return error_code::unknown_member_id;
  if (generation != _generation) return error_code::illegal_generation;
  it->second.session_deadline_ms = now_ms + it->second.session_timeout_ms;
  return _state == group_state::preparing_rebalance ? error_code::rebalance_in_progress
                                                    : error_code::none;
}

error_code group::leave(const std::string& member_id,
                        const std::optional<std::string>& group_instance_id, int64_t now_ms) {
  if (_state == group_state::dead) return error_code::coordinator_not_available;
  std::string id = member_id;
  if (group_instance_id) {
    auto it = _static_members.find(*group_instance_id);
    if (it == _static_members.end()) return error_code::unknown_member_id;
    if (!member_id.empty() && it->second != member_id) return error_code::fenced_instance_id;
    id = it->second;
  } else if (_pending.erase(member_id) > 0) {
    try_complete_join(now_ms);
    return error_code::none;
  }
  if (!_members.contains(id)) return error_code::unknown_member_id;
  remove_member(id, now_ms);
  return error_code::none;
}

error_code group::validate_commit(int32_t generation, const std::string& member_id,
                                  const std::optional<std::string>& group_instance_id,
                                  int64_t now_ms) {
  if (_state == group_state::dead) return error_code::coordinator_not_available;
  // KIP-848: the generation id of a consumer group's commit is the member epoch.
  if (_consumer) return _consumer->validate_commit(member_id, generation);
  if (is_fenced(member_id, group_instance_id)) return error_code::fenced_instance_id;
  // A "simple" commit (assign() consumers, admin tools) to a group nobody is a member of.
  if (generation < 0 && _state == group_state::empty) return error_code::none;
  if (_state == group_state::completing_rebalance) return error_code::rebalance_in_progress;
  auto it = _members.find(member_id);
  if (it == _members.end()) return error_code::unknown_member_id;
  if (generation != _generation) return error_code::illegal_generation;
  it->second.session_deadline_ms = now_ms + it->second.session_timeout_ms;
  return error_code::none;
}

error_code group::validate_txn_commit(int32_t generation, const std::string& member_id,
                                      const std::optional<std::string>& group_instance_id) const {
  if (_state == group_state::dead) return error_code::coordinator_not_available;
  if (is_fenced(member_id, group_instance_id)) return error_code::fenced_instance_id;
  if (!member_id.empty() && !_members.contains(member_id)) return error_code::unknown_member_id;
  if (generation >= 0 && generation != _generation) return error_code::illegal_generation;
  return error_code::none;
}

bool group::has_pending_txn_offset(const model::topic_partition& k) const {
  for (const auto& [_, offsets] : _txn_offsets) {
    if (offsets.contains(k)) return true;
  }
  return false;
}

void group::complete_txn(int64_t producer_id, bool commit) {
  auto node = _txn_offsets.extract(producer_id);
  if (node.empty() || !commit) return;
  for (auto& [k, v] : node.mapped()) _offsets[k] = std::move(v);
}

void group::remove_member(const std::string& id, int64_t now_ms) {
  auto node = _members.extract(id);
  VLTAVA_ASSERT(!node.empty(), "removing a member of the group");
  member& m = node.mapped();
  if (m.instance_id) _static_members.erase(*m.instance_id);
  if (_leader == id) {
    auto ordered = ordered_members();
    _leader = ordered.empty() ? std::string() : ordered.front()->id;
  }
  if (m.awaiting_join) {
    join_result r;
    r.error = error_code::unknown_member_id;
    r.member_id = id;
    std::exchange(m.awaiting_join, nullptr)(std::move(r));
  }
  if (m.awaiting_sync) {
    sync_result r;
    r.error = error_code::unknown_member_id;
    std::exchange(m.awaiting_sync, nullptr)(std::move(r));
  }
  if (_state == group_state::stable || _state == group_state::completing_rebalance) {
    prepare_rebalance(now_ms);
  }
  try_complete_join(now_ms);
}

void group::expire_sync(int64_t now_ms) {
  // The leader (or some followers) never sent SyncGroup within the rebalance timeout: those
  // members are gone, the rest rebalance again.
  std::vector<std::string> gone;
  for (const auto& [id, m] : _members) {
    if (!m.awaiting_sync) gone.push_back(id);
  }
  for (const auto& id : gone) {
    if (_members.contains(id)) remove_member(id, now_ms);
  }
  if (_state == group_state::completing_rebalance) prepare_rebalance(now_ms);
}

void group::tick(int64_t now_ms) {
  if (_state == group_state::dead) return;
  for (auto it = _pending.begin(); it != _pending.end();) {
    it = it->second <= now_ms ? _pending.erase(it) : std::next(it);
  }
  std::vector<std::string> expired;
  for (const auto& [id, m] : _members) {
    // A member waiting in JoinGroup or SyncGroup is bounded by the rebalance timeout instead.
    if (!m.awaiting_join && !m.awaiting_sync && m.session_deadline_ms <= now_ms) {
      expired.push_back(id);
    }
  }
  for (const auto& id : expired) {
    if (_members.contains(id)) remove_member(id, now_ms);
  }
  if (_state == group_state::preparing_rebalance && _join_deadline_ms <= now_ms) {
    if (_initial_delay && _new_member_added && _initial_remaining_ms > 0) {
      int64_t delay = std::min<int64_t>(_config.initial_rebalance_delay_ms, _initial_remaining_ms);
      _initial_remaining_ms -= delay;
      _new_member_added = false;
      _join_deadline_ms = now_ms + delay;
    } else {
      complete_join(now_ms);
    }
  } else if (_state == group_state::completing_rebalance && _sync_deadline_ms <= now_ms) {
    expire_sync(now_ms);
  }
  try_complete_join(now_ms);
}

void group::fail_waiters(error_code e) {
  for (auto& [id, m] : _members) {
    if (m.awaiting_join) {
      join_result r;
      r.error = e;
      r.member_id = id;
      std::exchange(m.awaiting_join, nullptr)(std::move(r));
    }
    if (m.awaiting_sync) {
      sync_result r;
      r.error = e;
      std::exchange(m.awaiting_sync, nullptr)(std::move(r));
    }
  }
}

void group::mark_dead() {
  fail_waiters(error_code::coordinator_not_available);
  _members.clear();
  _static_members.clear();
  _pending.clear();
  _state = group_state::dead;
}

group_value group::to_record() const {
  group_value v;
  v.protocol_type = _protocol_type;
  v.generation = _generation;
  v.protocol = _protocol_name;
  if (!_leader.empty()) v.leader = _leader;
  v.current_state_timestamp_ms = _state_timestamp_ms;
  for (const member* m : ordered_members()) {
    member_value mv;
    mv.member_id = m->id;
    mv.group_instance_id = m->instance_id;
    mv.client_id = m->client_id;
    mv.client_host = m->client_host;
    mv.rebalance_timeout_ms = m->rebalance_timeout_ms;
    mv.session_timeout_ms = m->session_timeout_ms;
    if (_protocol_name) {
      if (const auto* md = metadata_for(*m, *_protocol_name)) mv.subscription = *md;
    }
    mv.assignment = m->assignment;
    v.members.push_back(std::move(mv));
  }
  return v;
}

std::vector<member_summary> group::describe_members() const {
  std::vector<member_summary> out;
  bool stable = _state == group_state::stable && _protocol_name;
  for (const member* m : ordered_members()) {
    member_summary s{m->id, m->instance_id, m->client_id, m->client_host, {}, {}};
    if (stable) {
      if (const auto* md = metadata_for(*m, *_protocol_name)) s.metadata = *md;
      s.assignment = m->assignment;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::set<std::string> group::subscribed_topics() const {
  std::set<std::string> topics;
  if (_consumer) {
    for (const auto& [name, _] : _consumer->subscription_metadata()) topics.insert(name);
    for (const auto& [_, m] : _consumer->members()) {
      topics.insert(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end());
    }
    return topics;
  }
  if (_protocol_type != "consumer") return topics;
  for (const auto& [_, m] : _members) {
    const std::vector<std::byte>* md = nullptr;
    if (_protocol_name) md = metadata_for(m, *_protocol_name);
    if (!md && !m.protocols.empty()) md = &m.protocols.front().metadata;
    if (!md) continue;
    protocol::reader r(*md);
    int16_t version = 0;
    if (!r.read_fixed(version) || version < 0) continue;
    protocol::consumer_protocol_subscription sub;
    if (!sub.decode(r, std::min<int16_t>(version, 3))) continue;
    topics.insert(sub.topics.begin(), sub.topics.end());
  }
  return topics;
}

std::optional<std::string> group::select_protocol() const {
  auto members = ordered_members();
  if (members.empty()) return std::nullopt;
  // Candidates: the protocols every member supports; each member votes for its first choice
  // among them; the most votes wins (ties: the leader's order).
  std::vector<std::string> candidates;
  for (const auto& p : members.front()->protocols) {
    bool everyone = std::all_of(members.begin(), members.end(), [&p](const member* m) {
      return std::any_of(m->protocols.begin(), m->protocols.end(),
                         [&p](const protocol_entry& q) { return q.name == p.name; });
    });
    if (everyone) candidates.push_back(p.name);
  }
  if (candidates.empty()) return std::nullopt;
  std::map<std::string, int> votes;
  for (const member* m : members) {
    for (const auto& p : m->protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const auto& c : candidates) {
    if (votes[c] > votes[best]) best = c;
  }
  return best;
}

int32_t group::rebalance_timeout_ms() const {
  int32_t t = 0;
  for (const auto& [_, m] : _members) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

std::vector<const group::member*> group::ordered_members() const {
  std::vector<const member*> out;
  for (const auto& [_, m] : _members) out.push_back(&m);
  std::sort(out.begin(), out.end(),
            [](const member* a, const member* b) { return a->join_order < b->join_order; });
  return out;
}

const std::vector<std::byte>* group::metadata_for(const member& m,
                                                  const std::string& protocol) const {
  for (const auto& p : m.protocols) {
    if (p.name == protocol) return &p.metadata;
  }
  return nullptr;
}

}  // namespace vltava::coord

namespace vltava::coord {

void group::set_consumer(std::unique_ptr<consumer_group> c) {
  _consumer = std::move(c);
  _protocol_type = _consumer ? "consumer" : "";
  _protocol_name.reset();
}

std::string_view group::state_text() const {
  if (_consumer && _state != group_state::dead) return state_name(_consumer->state());
  return state_name(_state);
}

bool group::without_members() const {
  if (_consumer) return _consumer->members().empty();
  return _state == group_state::empty || _state == group_state::dead;
}

}  // namespace vltava::coord
