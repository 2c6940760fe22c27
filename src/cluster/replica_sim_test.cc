// A seeded simulation of one replicated partition: three replicas driven by replica_state.h
// and epoch_cache.h as the broker drives them (leader appends, group commits, follower fetches
// with LastFetchedEpoch and DivergingEpoch truncation, ISR proposals to a controller that
// fences crashed brokers and elects leaders from the ISR), with crashes that lose whatever a
// replica had not made durable, including all three at once (power loss). It checks what
// KIP-101 and KIP-279 are about: nothing acknowledged (acks=all) is ever lost, and replicas
// never disagree below their high watermarks.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "cluster/epoch_cache.h"
#include "cluster/replica_state.h"

namespace vltava::cluster {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;

constexpr int replicas = 3;
constexpr int32_t min_insync = 2;
constexpr int64_t lag_ms = 300;

struct entry {
  int32_t epoch;
  int64_t value;
  bool operator==(const entry&) const = default;
};

struct replica {
  std::vector<entry> log;
  size_t durable = 0;
  int64_t hw = 0;
  bool alive = true;

  epoch_cache epochs() const {
    epoch_cache c;
    for (size_t i = 0; i < log.size(); ++i) c.assign(leader_epoch(log[i].epoch), offset(i));
    return c;
  }
  int64_t end() const { return static_cast<int64_t>(log.size()); }
};

class simulation {
 public:
  explicit simulation(uint32_t seed) : _rng(seed) {
    _state.replicas = {node_id(0), node_id(1), node_id(2)};
    _state.isr = _state.replicas;
    _state.leader_epoch = leader_epoch(0);
    become_leader(0);
  }

  void run(int steps) {
    for (int i = 0; i < steps; ++i) {
      step();
      check();
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  size_t acknowledged() const { return _acked.size(); }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(_rng); }

  void become_leader(int r) {
    _leader = r;
    replica& l = _replicas[r];
    l.alive = true;
    _epoch_start = l.end();
    _leader_state.emplace(node_id(r), _state, min_insync, lag_ms, offset(l.hw), _now);
    _leader_state->on_leader_durable(offset(static_cast<int64_t>(l.durable)));
  }

  // The controller's view changed (fencing, elections, accepted ISR changes).
  void controller_changed(bool new_leader) {
    ++_state.partition_epoch;
    if (new_leader) {
      _state.leader_epoch = leader_epoch(_state.leader_epoch() + 1);
      _leader_state.reset();
      _leader = -1;
      for (node_id n : _state.isr) {
        if (_replicas[n()].alive) {
          become_leader(n());
          break;
        }
      }
      return;
    }
    if (_leader_state) apply_hw(_leader_state->update(_state));
  }

  void apply_hw(bool moved) {
    if (!moved) return;
    replica& l = _replicas[_leader];
    l.hw = _leader_state->high_watermark()();
    // acks=all: the batches written in this leadership and now under the HW are acknowledged.
    std::erase_if(_pending, [&](const auto& p) {
      if (p.first >= l.hw) return false;
      if (p.second.epoch == _state.leader_epoch() && _leader_state->enough_replicas()) {
        _acked[p.first] = p.second;
      }
      return true;
    });
  }

  void produce() {
    if (_leader < 0 || !_leader_state->enough_replicas()) return;
    replica& l = _replicas[_leader];
    entry e{_state.leader_epoch(), _next_value++};
    _pending.emplace_back(l.end(), e);
    l.log.push_back(e);
  }

  void leader_commit() {
    if (_leader < 0) return;
    replica& l = _replicas[_leader];
    l.durable = l.log.size();
    apply_hw(_leader_state->on_leader_durable(offset(l.end())));
  }

  void follower_fetch(int f) {
    if (_leader < 0 || f == _leader || !_replicas[f].alive) return;
    replica& me = _replicas[f];
    replica& l = _replicas[_leader];
    const epoch_cache mine = me.epochs();
    const auto diverging =
        diverging_for(l.epochs(), offset(l.end()), mine.latest(), offset(me.end()));
    if (diverging) {
      const offset to = truncation_for(mine, offset(me.end()), offset(me.hw), *diverging);
      me.log.resize(static_cast<size_t>(to()));
      me.durable = std::min(me.durable, me.log.size());
      me.hw = std::min(me.hw, me.end());
      return;
    }
    ASSERT_LE(me.end(), l.end()) << "a follower ahead of its leader was not told to truncate";
    apply_hw(_leader_state->on_follower_fetch(node_id(f), offset(me.end()), offset(l.end()), _now));
    const int64_t take = std::min<int64_t>(l.end() - me.end(), 1 + pick(4));
    for (int64_t i = 0; i < take; ++i) me.log.push_back(l.log[static_cast<size_t>(me.end())]);
    me.durable = me.log.size();  // the fetcher waits for its group commit before fetching again
    me.hw = std::max(me.hw, std::min(l.hw, me.end()));
  }

  void isr_tick() {
    if (_leader < 0) return;
    auto p = _leader_state->next_proposal(offset(_epoch_start), _now);
    if (!p) return;
    if (pick(4) == 0) {  // lost or refused: proposed again later
      _leader_state->proposal_failed();
      return;
    }
    // The controller's checks: same epochs, and only live brokers join.
    for (node_id n : p->isr) {
      const bool joins = std::find(_state.isr.begin(), _state.isr.end(), n) == _state.isr.end();
      if (joins && !_replicas[n()].alive) {
        _leader_state->proposal_failed();
        return;
      }
    }
    if (p->partition_epoch != _state.partition_epoch || p->leader_epoch != _state.leader_epoch) {
      _leader_state->proposal_failed();
      return;
    }
    _state.isr = p->isr;
    controller_changed(false);
  }

  void crash(int r) {
    replica& x = _replicas[r];
    if (!x.alive) return;
    x.alive = false;
    x.log.resize(x.durable);  // what was not synced is gone
    x.hw = std::min(x.hw, x.end());
    // The controller fences it: it leaves the ISR (unless last), its leadership moves.
    const bool led = r == _leader;
    if (_state.isr.size() > 1) std::erase(_state.isr, node_id(r));
    if (led) {
      _leader_state.reset();
      _leader = -1;
    }
    controller_changed(led);
  }

  void restart(int r) {
    replica& x = _replicas[r];
    if (x.alive) return;
    x.alive = true;
    const bool in_isr =
        std::find(_state.isr.begin(), _state.isr.end(), node_id(r)) != _state.isr.end();
    if (_leader < 0 && in_isr) controller_changed(true);
  }

  void power_loss() {
    for (int r = 0; r < replicas; ++r) crash(r);
  }

  void step() {
    _now += 1 + pick(20);
    const int what = pick(100);
    if (what < 30) {
      produce();
    } else if (what < 45) {
      leader_commit();
    } else if (what < 80) {
      follower_fetch(pick(replicas));
    } else if (what < 88) {
      isr_tick();
    } else if (what < 93) {
      crash(pick(replicas));
    } else if (what < 99) {
      restart(pick(replicas));
    } else if (pick(5) == 0) {
      power_loss();
    }
  }

  void check() {
    // Nothing acknowledged is lost: every ISR member that is alive has it, the leader too.
    for (const auto& [o, e] : _acked) {
      for (node_id n : _state.isr) {
        const replica& x = _replicas[n()];
        if (!x.alive) continue;
        ASSERT_GT(x.end(), o) << "replica " << n() << " in the ISR lost acknowledged offset " << o;
        ASSERT_EQ(x.log[static_cast<size_t>(o)], e)
            << "replica " << n() << " in the ISR has another entry at acknowledged offset " << o;
      }
    }
    // Replicas never disagree below their high watermarks.
    for (int a = 0; a < replicas; ++a) {
      for (int b = a + 1; b < replicas; ++b) {
        const int64_t upto = std::min(_replicas[a].hw, _replicas[b].hw);
        for (int64_t o = 0; o < upto; ++o) {
          ASSERT_EQ(_replicas[a].log[static_cast<size_t>(o)],
                    _replicas[b].log[static_cast<size_t>(o)])
              << "replicas " << a << " and " << b << " diverge at " << o << " below both HWs";
        }
      }
    }
  }

  std::mt19937 _rng;
  int64_t _now = 0;
  replica _replicas[replicas];
  committed_isr _state;
  int _leader = -1;
  int64_t _epoch_start = 0;
  std::optional<leader_state> _leader_state;
  std::vector<std::pair<int64_t, entry>> _pending;  // written, not acknowledged yet
  std::map<int64_t, entry> _acked;
  int64_t _next_value = 1;
};

TEST(replica_sim, nothing_acknowledged_is_lost_and_replicas_never_diverge) {
  size_t acked = 0;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    simulation sim(seed);
    sim.run(3000);
    if (HasFatalFailure()) return;
    acked += sim.acknowledged();
  }
  EXPECT_GT(acked, 5'000u);  // the runs did commit, not only crash
}

}  // namespace
}  // namespace vltava::cluster
