// Three raft_nodes in one process, each over its own storage_log and quorum_state_file in a
// temp dir, messages passed by a small loop (no network): elect, append, commit, restart all
// three from disk, elect again, and the committed entries are intact.

#include <gtest/gtest.h>

#include <deque>
#include <memory>

#include "quorum/io/quorum_state_file.h"
#include "quorum/io/storage_log.h"
#include "quorum/io/test_support.h"
#include "quorum/raft_node.h"

namespace vltava::quorum {
namespace {

using model::leader_epoch;
using model::node_id;
using model::offset;

const std::vector<node_id> voters{node_id(1), node_id(2), node_id(3)};

quorum_config config() {
  return {"cluster-disk",     voters,          milliseconds(1000), milliseconds(2000),
          milliseconds(2000), milliseconds(20)};
}

// One voter: its disk, and (while it runs) its log and node.
struct voter {
  node_id id;
  testing::node_disk disk;
  std::unique_ptr<storage_log> log;
  std::unique_ptr<quorum_state_file> state;
  std::unique_ptr<raft_node> node;
  std::vector<entry> applied;

  void start(milliseconds now) {
    log = disk.open(id, voters);
    state = std::make_unique<quorum_state_file>(disk.io, disk.dir, voters);
    auto durable = state->read();
    ASSERT_TRUE(durable) << durable.error();
    node = std::make_unique<raft_node>(config(), id, *log, *durable, id() * 7919, now);
    applied.clear();
  }
  void stop() {
    node.reset();
    log.reset();  // no close: as a crash after the last sync
    state.reset();
  }
};

struct cluster {
  std::vector<std::unique_ptr<voter>> voters_;
  std::deque<std::pair<node_id, send_message>> in_flight;
  milliseconds now{0};

  cluster() {
    for (auto id : voters) {
      voters_.push_back(std::make_unique<voter>());
      voters_.back()->id = id;
    }
  }
  voter& at(node_id id) { return *voters_[static_cast<std::size_t>(id() - 1)]; }

  // Executes one node's outputs in order: an election state is durable before what follows.
  void drain(voter& v) {
    for (auto& o : v.node->take_outputs()) {
      if (auto* p = std::get_if<persist_election>(&o)) {
        ASSERT_TRUE(v.state->write(p->state));
      } else {
        in_flight.emplace_back(v.id, std::get<send_message>(std::move(o)));
      }
    }
    ASSERT_FALSE(v.log->failure());
  }
  void sync_and_apply(voter& v) {
    if (v.log->durable_end() < v.log->end_offset()) {
      v.node->on_flushed(testing::sync(*v.log), now);
    }
    for (auto part = v.node->take_committed(); !part.empty(); part = v.node->take_committed()) {
      v.applied.insert(v.applied.end(), part.begin(), part.end());
    }
  }
  // One round of 10 ms: ticks, delivery of every message sent, syncs.
  void round() {
    now += milliseconds(10);
    for (auto& v : voters_) {
      v->node->tick(now);
      drain(*v);
    }
    while (!in_flight.empty()) {
      auto [from, s] = std::move(in_flight.front());
      in_flight.pop_front();
      auto& to = at(s.to);
      to.node->handle(from, s.msg, now);
      drain(to);
      sync_and_apply(to);
    }
    for (auto& v : voters_) {
      sync_and_apply(*v);
      drain(*v);
    }
  }
  voter* leader() {
    for (auto& v : voters_) {
      if (v->node->current_role() == role::leader) return v.get();
    }
    return nullptr;
  }
  voter& elect() {
    for (int i = 0; i < 1000 && !leader(); ++i) round();
    EXPECT_NE(leader(), nullptr) << "no leader within 10 s";
    return *leader();
  }
  void run_until_applied(offset end) {
    auto all_applied = [&] {
      for (auto& v : voters_) {
        if (v->applied.empty() || v->applied.back().next_offset() < end) return false;
      }
      return true;
    };
    for (int i = 0; i < 1000 && !all_applied(); ++i) round();
    ASSERT_TRUE(all_applied()) << "not applied everywhere within 10 s";
  }
};

TEST(quorum_on_disk, three_voters_commit_restart_and_keep_what_they_committed) {
  cluster c;
  for (auto& v : c.voters_) v->start(c.now);
  auto& first = c.elect();
  auto first_epoch = first.node->epoch();
  auto last = first.node->append(
      {testing::data(3, "a"), testing::data(1, "b"), testing::data(2, "c")}, c.now);
  ASSERT_TRUE(last.has_value());
  c.run_until_applied(*last + 1);
  auto committed = c.voters_[0]->applied;
  for (auto& v : c.voters_) EXPECT_EQ(v->applied, committed);
  ASSERT_GE(committed.size(), 4u);  // the leader change, then the three batches

  for (auto& v : c.voters_) v->stop();
  for (auto& v : c.voters_) v->start(c.now);
  auto& second = c.elect();
  EXPECT_GT(second.node->epoch(), first_epoch);
  auto more = second.node->append({testing::data(2, "d")}, c.now);
  ASSERT_TRUE(more.has_value());
  c.run_until_applied(*more + 1);
  for (auto& v : c.voters_) {
    ASSERT_GT(v->applied.size(), committed.size());
    EXPECT_TRUE(std::equal(committed.begin(), committed.end(), v->applied.begin()))
        << "node " << v->id << " lost or changed a committed entry";
    EXPECT_EQ(v->applied, c.voters_[0]->applied);
    EXPECT_EQ(v->state->read().value().epoch, second.node->epoch());
  }
}

}  // namespace
}  // namespace vltava::quorum
