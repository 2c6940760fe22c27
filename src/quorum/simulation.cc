#include "quorum/simulation.h"

#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "base/assert.h"
#include "quorum/memory_log.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {

namespace {

// splitmix64: the same sequence for a seed on every platform and standard library.
class random_source {
 public:
  explicit random_source(uint64_t seed) : _state(seed) {}
  uint64_t next() {
    uint64_t z = (_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  milliseconds ms(int64_t lo, int64_t hi) { return milliseconds(between(lo, hi)); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t _state;
};

enum class event_kind : int8_t { deliver, tick, flush, client, fault, restart, unblock, snapshot };

struct event {
  event_kind kind;
  std::size_t node = 0;  // the receiver for deliver
  std::size_t peer = 0;  // the sender for deliver, the far end for unblock
  uint32_t incarnation = 0;
  message msg{};
};

struct sim_node {
  memory_log disk;
  election_state durable_state;  // what the last executed persist_election wrote
  std::unique_ptr<raft_node> node;
  uint32_t incarnation = 0;
  bool flush_pending = false;
};

struct network_quality {
  double loss = 0;
  double duplicate = 0;
  int64_t delay_max_ms = 5;
};

const char* name_of(const message_body& b) {
  static constexpr const char* names[] = {"Vote",
                                          "VoteResponse",
                                          "BeginQuorumEpoch",
                                          "BeginQuorumEpochResponse",
                                          "EndQuorumEpoch",
                                          "EndQuorumEpochResponse",
                                          "Fetch",
                                          "FetchResponse",
                                          "FetchSnapshot",
                                          "FetchSnapshotResponse"};
  return names[b.index()];
}

bool grants_a_vote(const std::vector<output>& outputs) {
  for (const auto& o : outputs) {
    const auto* s = std::get_if<send_message>(&o);
    const auto* v = s ? std::get_if<vote_response>(&s->msg.body) : nullptr;
    if (v && v->vote_granted) return true;
  }
  return false;
}

}  // namespace

// A friend of raft_node: the only place a sabotage can be switched on.
class simulation {
 public:
  explicit simulation(const simulation_options& o);
  simulation_result run();

 private:
  void schedule(milliseconds at, event e);
  void step(event& e);
  void on_node_event(event& e);
  void after_node_step(std::size_t i);
  void drain(std::size_t i);
  void send(std::size_t from, const send_message& s);
  void crash(std::size_t i);
  void restart(std::size_t i);
  void fault();
  void client_append();
  void take_snapshot();
  void start_liveness_phase();
  bool live_append_committed();
  bool blocked(std::size_t from, std::size_t to) const { return _blocked.count({from, to}) > 0; }
  void block(std::size_t a, std::size_t b, bool both_ways);
  std::vector<checked_node> view() const;
  void fail(std::string what);
  void trace(const event& e) const;

  simulation_options _options;
  random_source _random;
  // Snapshot decisions draw from their own stream, so the faults and the network a seed
  // produces are the ones it produced before snapshots existed (the broken variants are
  // caught at the same seeds).
  random_source _snapshot_random;
  quorum_config _config;
  std::vector<sim_node> _nodes;
  checker _checker;
  std::map<std::pair<milliseconds, uint64_t>, event> _events;
  uint64_t _next_seq = 0;
  milliseconds _now{0};
  std::set<std::pair<std::size_t, std::size_t>> _blocked;
  network_quality _net;
  bool _faults = true;
  uint64_t _client_counter = 0;
  std::size_t _committed_scanned = 0;
  std::optional<model::offset> _live_entry;
  simulation_result _result;
};

simulation::simulation(const simulation_options& o)
    : _options(o),
      _random(o.seed),
      _snapshot_random(o.seed ^ 0x5eed5eed5eed5eedULL),
      _nodes(o.voters + o.observers),
      _checker(o.voters, o.observers) {
  _config.cluster_id = "sim-cluster";
  // Kafka's default timeouts, but shorter requests and small fetches, so retries and partial
  // fetches (a follower acknowledging part of what the leader has) happen often.
  _config.election_timeout = milliseconds(1000);
  _config.fetch_timeout = milliseconds(2000);
  _config.request_timeout = milliseconds(500);
  _config.retry_backoff = milliseconds(20);
  _config.fetch_max_entries = static_cast<std::size_t>(_random.between(1, 8));
  // Snapshots span many FetchSnapshot chunks (an entry takes about 50 bytes).
  _config.fetch_snapshot_max_bytes = static_cast<uint32_t>(_snapshot_random.between(64, 2048));
  for (std::size_t i = 0; i < o.voters; ++i) {
    _config.voters.push_back(model::node_id(static_cast<int32_t>(i + 1)));
  }
}

void simulation::schedule(milliseconds at, event e) {
  _events.emplace(std::pair{at, _next_seq++}, std::move(e));
}

void simulation::fail(std::string what) {
  if (!_result.failure.empty()) return;
  std::ostringstream os;
  os << what << " (seed " << _options.seed << ", step " << _result.steps << ", t=" << _now.count()
     << "ms)";
  _result.failure = os.str();
}

std::vector<checked_node> simulation::view() const {
  std::vector<checked_node> v;
  for (const auto& n : _nodes) v.push_back({n.node.get(), const_cast<memory_log*>(&n.disk)});
  return v;
}

simulation_result simulation::run() {
  for (std::size_t i = 0; i < _nodes.size(); ++i) restart(i);
  schedule(_random.ms(10, 200), {event_kind::client});
  schedule(_random.ms(100, 700), {event_kind::fault});
  schedule(_snapshot_random.ms(200, 1500), {event_kind::snapshot});
  auto end = _options.fault_phase + _options.liveness_bound;
  while (_result.failure.empty() && !_events.empty()) {
    auto handle = _events.extract(_events.begin());
    _now = handle.key().first;
    if (_faults && _now >= _options.fault_phase) start_liveness_phase();
    if (_now > end) {
      fail(
          "liveness: no append committed (and applied by every observer) within the bound "
          "after the faults stopped");
      break;
    }
    ++_result.steps;
    step(handle.mapped());
    if (!_faults && live_append_committed()) break;
  }
  _result.seen = _checker.seen();
  _result.seen.steps = _result.steps;
  return _result;
}

void simulation::step(event& e) {
  switch (e.kind) {
    case event_kind::deliver:
    case event_kind::tick:
    case event_kind::flush:
      return on_node_event(e);
    case event_kind::client:
      client_append();
      schedule(_now + _random.ms(20, 200), {event_kind::client});
      return;
    case event_kind::fault:
      if (!_faults) return;
      fault();
      schedule(_now + _random.ms(100, 700), {event_kind::fault});
      return;
    case event_kind::restart:
      if (!_nodes[e.node].node) restart(e.node);
      return;
    case event_kind::unblock:
      _blocked.erase({e.node, e.peer});
      return;
    case event_kind::snapshot:
      take_snapshot();
      schedule(_now + _snapshot_random.ms(200, 1500), {event_kind::snapshot});
      return;
  }
}

void simulation::trace(const event& e) const {
  std::ostringstream os;
  os << _now.count() << "ms " << static_cast<int>(e.kind) << " node " << e.node;
  if (e.kind == event_kind::deliver) os << " <- " << e.peer << " " << name_of(e.msg.body);
  os << " |";
  for (const auto& n : _nodes) {
    if (!n.node) {
      os << " down";
      continue;
    }
    os << " " << to_string(n.node->current_role()) << "/e" << n.node->epoch() << "/hw"
       << n.node->high_watermark() << "/start" << n.disk.start_offset() << "/end"
       << n.disk.end_offset();
  }
  std::cerr << os.str() << "\n";
}

void simulation::on_node_event(event& e) {
  auto& n = _nodes[e.node];
  if (!n.node || e.incarnation != n.incarnation) return;  // sent to a node that has since died
  auto end_before = n.disk.end_offset();
  switch (e.kind) {
    case event_kind::deliver:
      if (blocked(e.peer, e.node)) return;
      n.node->handle(model::node_id(static_cast<int32_t>(e.peer + 1)), e.msg, _now);
      if (n.disk.end_offset() < end_before) ++_checker.seen().truncations;
      break;
    case event_kind::tick:
      n.node->tick(_now);
      schedule(_now + _random.ms(5, 50), {event_kind::tick, e.node, 0, n.incarnation});
      break;
    default:
      n.flush_pending = false;
      n.node->on_flushed(n.disk.flush(), _now);
      break;
  }
  after_node_step(e.node);
  if (_options.trace) trace(e);
}

void simulation::after_node_step(std::size_t i) {
  auto& n = _nodes[i];
  if (auto s = n.node ? n.node->take_snapshot_to_load() : std::nullopt) {
    ++_checker.seen().snapshots_installed;
    if (auto bad = _checker.snapshot_loaded(i, n.disk.snapshot_entries(*s))) return fail(*bad);
  }
  auto applied = n.node ? n.node->take_committed() : std::vector<entry>{};
  if (auto bad = _checker.after_step(view(), i, applied)) return fail(*bad);
  if (n.node) drain(i);
  if (n.node && !n.flush_pending && n.disk.durable_end() < n.disk.end_offset()) {
    n.flush_pending = true;
    schedule(_now + _random.ms(1, 30), {event_kind::flush, i, 0, n.incarnation});
  }
}

// Executes the node's outputs in order; in the fault phase a crash may strike between two of
// them, so a message never goes out before the election state it depends on is durable.
void simulation::drain(std::size_t i) {
  auto& n = _nodes[i];
  auto outputs = n.node->take_outputs();
  if (i >= _options.voters && grants_a_vote(outputs)) return fail("an observer granted a vote");
  // A crash point in [0, size]: before an output, or right after the last one.
  // Crashes are likelier right after granting a vote, the moment a lost write would matter.
  std::size_t crash_at = outputs.size() + 1;
  auto odds = grants_a_vote(outputs) ? 0.2 : 0.02;
  if (_faults && !outputs.empty() && _random.chance(odds)) {
    crash_at = static_cast<std::size_t>(_random.between(0, static_cast<int64_t>(outputs.size())));
  }
  for (std::size_t k = 0; k <= outputs.size(); ++k) {
    if (k == crash_at) return crash(i);
    if (k == outputs.size()) break;
    if (auto* p = std::get_if<persist_election>(&outputs[k])) {
      n.durable_state = p->state;
    } else {
      send(i, std::get<send_message>(outputs[k]));
    }
  }
}

void simulation::send(std::size_t from, const send_message& s) {
  auto to = static_cast<std::size_t>(s.to() - 1);
  VLTAVA_ASSERT(to < _nodes.size() && to != from, "a node sends only to other nodes");
  if (blocked(from, to) || _random.chance(_net.loss)) return;
  int copies = _random.chance(_net.duplicate) ? 2 : 1;
  for (int c = 0; c < copies; ++c) {
    // Each copy has its own delay, so messages also overtake one another.
    schedule(_now + _random.ms(1, _net.delay_max_ms),
             {event_kind::deliver, to, from, _nodes[to].incarnation, s.msg});
  }
}

void simulation::crash(std::size_t i) {
  auto& n = _nodes[i];
  if (!n.node) return;
  ++_checker.seen().crashes;
  if (n.disk.durable_end() < n.disk.end_offset()) ++_checker.seen().lost_unflushed;
  n.node.reset();
  n.disk.crash();
  n.flush_pending = false;
  if (auto bad = _checker.after_step(view(), i, {})) return fail(*bad);
  auto down_for = _random.chance(0.5) ? _random.ms(5, 100) : _random.ms(100, 2500);
  schedule(_now + down_for, {event_kind::restart, i});
}

void simulation::restart(std::size_t i) {
  auto& n = _nodes[i];
  ++n.incarnation;
  auto seed = _options.seed * 1000003 + i * 7919 + n.incarnation;
  n.node = std::make_unique<raft_node>(_config, model::node_id(static_cast<int32_t>(i + 1)), n.disk,
                                       n.durable_state, seed, _now);
  n.node->_sabotage = _options.broken;
  _checker.restarted(i);
  // The state machine starts from the newest snapshot, then applies the log after it.
  if (auto s = n.disk.latest_snapshot()) {
    if (auto bad = _checker.snapshot_loaded(i, n.disk.snapshot_entries(*s))) return fail(*bad);
  }
  schedule(_now + _random.ms(1, 50), {event_kind::tick, i, 0, n.incarnation});
  after_node_step(i);
}

void simulation::block(std::size_t a, std::size_t b, bool both_ways) {
  _blocked.insert({a, b});
  schedule(_now + _random.ms(100, 3000), {event_kind::unblock, a, b});
  if (both_ways) {
    _blocked.insert({b, a});
    schedule(_now + _random.ms(100, 3000), {event_kind::unblock, b, a});
  }
}

void simulation::fault() {
  auto n = static_cast<int64_t>(_nodes.size());
  auto pick = static_cast<std::size_t>(_random.between(0, n - 1));
  auto other =
      static_cast<std::size_t>((static_cast<int64_t>(pick) + _random.between(1, n - 1)) % n);
  auto roll = _random.between(0, 99);
  if (roll < 25) {
    crash(pick);
  } else if (roll < 45) {
    block(pick, other, _random.chance(0.7));
  } else if (roll < 52) {
    for (std::size_t j = 0; j < _nodes.size(); ++j) {
      if (j != pick) block(pick, j, true);
    }
  } else if (roll < 60) {
    _blocked.clear();
  } else if (roll < 75) {
    _net = {_random.chance(0.5) ? 0.0 : 0.3 * _random.chance(0.5), 0.1 * _random.chance(0.5),
            _random.between(2, 120)};
  } else if (roll < 85) {
    for (auto& node : _nodes) {
      if (node.node && node.node->current_role() == role::leader) {
        node.node->resign(_now);
        ++_checker.seen().resignations;
        after_node_step(static_cast<std::size_t>(&node - _nodes.data()));
        break;
      }
    }
  }
}

void simulation::client_append() {
  std::vector<std::size_t> leaders;
  for (std::size_t i = 0; i < _nodes.size(); ++i) {
    if (_nodes[i].node && _nodes[i].node->current_role() == role::leader) leaders.push_back(i);
  }
  if (leaders.empty()) return;
  auto i = leaders[static_cast<std::size_t>(_random.between(0, leaders.size() - 1))];
  std::vector<batch> batches;
  auto count = _random.between(1, 3);
  for (int64_t k = 0; k < count; ++k) {
    // Batches of 1 to 4 records, so every offset computation spans whole batches.
    batches.push_back({(_faults ? "p" : "live-") + std::to_string(++_client_counter),
                       static_cast<uint32_t>(_random.between(1, 4))});
  }
  auto appended = _nodes[i].node->append(batches, _now);
  VLTAVA_ASSERT(appended.has_value(), "a leader accepts appends");
  after_node_step(i);
}

// A running node snapshots what its state machine applied, then drops the log before it (at
// random points, so lagging and restarted nodes often find the leader's log start past them).
void simulation::take_snapshot() {
  auto i = static_cast<std::size_t>(
      _snapshot_random.between(0, static_cast<int64_t>(_nodes.size()) - 1));
  auto& n = _nodes[i];
  if (!n.node || n.node->applied() <= n.disk.start_offset()) return;
  auto id = n.disk.create_snapshot(n.node->applied());
  if (auto bad = _checker.snapshot_taken(i, n.disk.snapshot_entries(id))) return fail(*bad);
  n.disk.delete_before_latest_snapshot();
  after_node_step(i);
}

void simulation::start_liveness_phase() {
  _faults = false;
  _blocked.clear();
  _net = {};
  for (std::size_t i = 0; i < _nodes.size(); ++i) {
    if (!_nodes[i].node) restart(i);
  }
}

// The new append is committed, and every observer has applied it (it found the leader).
bool simulation::live_append_committed() {
  const auto& committed = _checker.committed();
  for (; !_live_entry && _committed_scanned < committed.size(); ++_committed_scanned) {
    if (committed[_committed_scanned].payload.starts_with("live-")) {
      _live_entry = committed[_committed_scanned].offset;
    }
  }
  if (!_live_entry) return false;
  for (auto i = _options.voters; i < _nodes.size(); ++i) {
    if (_checker.applied_end(i) <= *_live_entry) return false;
  }
  return true;
}

simulation_result run_simulation(const simulation_options& options) {
  return simulation(options).run();
}

}  // namespace vltava::quorum
