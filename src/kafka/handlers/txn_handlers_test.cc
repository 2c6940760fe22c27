// The transaction APIs through the codec and the handler table, on a coordinator node
// (coordinator_test_node.h): InitProducerId with a transactional id, AddPartitionsToTxn,
// AddOffsetsToTxn, TxnOffsetCommit, EndTxn, DescribeTransactions, ListTransactions; markers and
// LSO checked on the partitions themselves; timeouts with a manual clock; recovery of a
// transaction left in PrepareCommit by a crash.

#include "kafka/handlers/txn_handlers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "coord/coordinator_batch.h"
#include "coord/txn_records.h"
#include "kafka/handlers/group_offsets.h"
#include "kafka/handlers/init_producer_id.h"
#include "kafka/handlers/write_txn_markers.h"
#include "kafka/testing/coordinator_test_node.h"
#include "model/record_batch_builder.h"
#include "model/record_batch_header.h"
#include "protocol/generated/offset_fetch.h"
#include "protocol/generated/produce.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::coordinator_node;

struct pid_epoch {
  int64_t id = -1;
  int16_t epoch = -1;
};

pid_epoch init(coordinator_node& n, const std::string& txn_id, int32_t timeout_ms = 60000,
               error_code expect = error_code::none, pid_epoch current = {}, int16_t version = 4) {
  protocol::init_producer_id_request r;
  r.transactional_id = txn_id;
  r.transaction_timeout_ms = timeout_ms;
  r.producer_id = model::producer_id(current.id);
  r.producer_epoch = model::producer_epoch(current.epoch);
  auto resp = n.call<protocol::init_producer_id_api>(r, version);
  EXPECT_EQ(resp.error_code, expect);
  return {resp.producer_id(), resp.producer_epoch()};
}

error_code add_partitions(coordinator_node& n, const std::string& txn_id, pid_epoch p,
                          const std::string& topic, std::vector<int32_t> partitions,
                          int16_t version = 3) {
  protocol::add_partitions_to_txn_request r;
  r.v3_and_below_transactional_id = txn_id;
  r.v3_and_below_producer_id = p.id;
  r.v3_and_below_producer_epoch = p.epoch;
  auto& t = r.v3_and_below_topics.emplace_back();
  t.name = topic;
  t.partitions = std::move(partitions);
  auto resp = n.call<protocol::add_partitions_to_txn_api>(r, version);
  EXPECT_EQ(resp.results_by_topic_v3_and_below.size(), 1u);
  error_code first = error_code::unknown_server_error;
  for (const auto& pr : resp.results_by_topic_v3_and_below.at(0).results_by_partition) {
    auto e = static_cast<error_code>(pr.partition_error_code);
    if (first == error_code::unknown_server_error) first = e;
    EXPECT_EQ(e, first);
  }
  return first;
}

error_code end_txn(coordinator_node& n, const std::string& txn_id, pid_epoch p, bool commit,
                   int16_t version = 3) {
  protocol::end_txn_request r;
  r.transactional_id = txn_id;
  r.producer_id = model::producer_id(p.id);
  r.producer_epoch = model::producer_epoch(p.epoch);
  r.committed = commit;
  return n.call<protocol::end_txn_api>(r, version).error_code;
}

protocol::describe_transactions_response::transaction_state describe(coordinator_node& n,
                                                                     const std::string& txn_id) {
  protocol::describe_transactions_request r;
  r.transactional_ids = {txn_id};
  auto resp = n.call<protocol::describe_transactions_api>(r, 0);
  EXPECT_EQ(resp.transaction_states.size(), 1u);
  return resp.transaction_states.at(0);
}

// On the shard owning topic-p: fn(partition). The caller waits, so the pointers stay valid.
template <typename T, typename Fn>
net::awaitable<T> run_on_partition(coordinator_node* n, std::string topic, int32_t p, Fn* fn) {
  auto part = n->partitions().find_shared(topic, model::partition_id(p));
  VLTAVA_ASSERT(part != nullptr, "the partition is hosted");
  co_return co_await (*fn)(*part);
}

// Runs `fn(partition)` on the shard owning topic-p and returns its result.
template <typename T, typename Fn>
T on_partition(coordinator_node& n, const std::string& topic, int32_t p, Fn fn) {
  auto image = n.partitions().image();
  const auto* t = image->find_topic(topic);
  VLTAVA_ASSERT(t != nullptr, "the topic exists");
  unsigned shard = n.partitions().shard_of(t->id, model::partition_id(p));
  return asio::co_spawn(n.shards().shard(shard), run_on_partition<T, Fn>(&n, topic, p, &fn),
                        asio::use_future)
      .get();
}

// Appends `batch` to `part`, acks=all.
net::awaitable<cluster::append_outcome> append_batch(cluster::partition& part,
                                                     std::vector<std::byte> batch) {
  co_return co_await part.append(std::span<std::byte>(batch), cluster::acks_mode::all);
}

// One transactional record of `producer` at `sequence`.
std::vector<std::byte> txn_batch(pid_epoch producer, int32_t sequence) {
  model::batch_options o;
  o.producer = model::producer_id(producer.id);
  o.epoch = model::producer_epoch(producer.epoch);
  o.base_sequence = model::sequence(sequence);
  o.transactional = model::is_transactional::yes;
  model::record_batch_builder b(o);
  std::vector<std::byte> value(8, std::byte{'v'});
  b.add(model::timestamp_ms(1), std::nullopt, model::bytes_view(value));
  return std::move(b.build()).value();
}

cluster::append_outcome produce(coordinator_node& n, const std::string& topic, int32_t p,
                                pid_epoch producer, int32_t sequence) {
  auto batch = txn_batch(producer, sequence);
  return on_partition<cluster::append_outcome>(
      n, topic, p, [&batch](cluster::partition& part) { return append_batch(part, batch); });
}

struct offsets {
  int64_t lso = -1;
  int64_t hwm = -1;
};

offsets offsets_of(coordinator_node& n, const std::string& topic, int32_t p) {
  return on_partition<offsets>(
      n, topic, p, [](cluster::partition& part) -> net::awaitable<offsets> {
        co_return offsets{part.last_stable_offset()(), part.high_watermark()()};
      });
}

// The type of the last batch of topic-p when it is a marker: "commit", "abort" or "data".
std::string last_batch(coordinator_node& n, const std::string& topic, int32_t p) {
  return on_partition<std::string>(
      n, topic, p, [](cluster::partition& part) -> net::awaitable<std::string> {
        auto bytes = part.read_bytes(part.log_start_offset(), 1 << 20);
        std::string kind = "none";
        if (!bytes) co_return kind;
        std::span<const std::byte> rest(*bytes);
        while (!rest.empty()) {
          auto h = model::parse_header(rest);
          if (!h) break;
          auto batch = rest.first(h->size_bytes());
          kind = "data";
          if (h->is_control()) {
            auto m = cluster::read_txn_marker(batch, *h);
            kind = m && m->type == model::control_record_type::commit ? "commit" : "abort";
          }
          rest = rest.subspan(h->size_bytes());
        }
        co_return kind;
      });
}

template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// "tx" with a transaction holding one record on each partition of a new topic "t".
pid_epoch one_record_on_each_of_two_partitions(coordinator_node& n) {
  n.create_topic("t", 2);
  pid_epoch p = init(n, "tx");
  EXPECT_EQ(add_partitions(n, "tx", p, "t", {0, 1}), error_code::none);
  EXPECT_EQ(produce(n, "t", 0, p, 0).error, error_code::none);
  EXPECT_EQ(produce(n, "t", 1, p, 0).error, error_code::none);
  return p;
}

TEST(txn_handlers, a_transaction_commits_on_every_partition) {
  coordinator_node n;
  n.create_topic("t", 2);
  protocol::find_coordinator_request fc;
  fc.key = "tx";
  fc.key_type = 1;
  ASSERT_EQ(n.call<protocol::find_coordinator_api>(fc, 3).error_code, error_code::none);
  pid_epoch p = init(n, "tx");
  ASSERT_GE(p.id, 0);
  EXPECT_EQ(p.epoch, 0);
  EXPECT_EQ(std::string(describe(n, "tx").transaction_state_), "Empty");

  EXPECT_EQ(add_partitions(n, "tx", p, "t", {0, 1}), error_code::none);
  EXPECT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);  // already in: no write
  ASSERT_EQ(produce(n, "t", 0, p, 0).error, error_code::none);
  ASSERT_EQ(produce(n, "t", 1, p, 0).error, error_code::none);
  EXPECT_EQ(offsets_of(n, "t", 0).lso, 0);  // open transaction: nothing stable yet
  auto d = describe(n, "tx");
  EXPECT_EQ(d.transaction_state_, "Ongoing");
  ASSERT_EQ(d.topics.size(), 1u);
  EXPECT_EQ(d.topics[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_GE(d.transaction_start_time_ms, 0);

  EXPECT_EQ(end_txn(n, "tx", p, true), error_code::none);
  for (int32_t part : {0, 1}) {
    EXPECT_EQ(last_batch(n, "t", part), "commit");
    auto o = offsets_of(n, "t", part);
    EXPECT_EQ(o.hwm, 2);  // the record and the marker
    EXPECT_EQ(o.lso, o.hwm);
  }
  // EndTxn answered once the decision was durable and the markers written; Complete* follows
  // when the markers are on disk.
  EXPECT_TRUE(eventually([&] { return describe(n, "tx").transaction_state_ == "CompleteCommit"; }));
  // Kafka's table: a retried commit succeeds, an abort of it is refused, and with nothing
  // ongoing there is nothing to end.
  EXPECT_EQ(end_txn(n, "tx", p, true), error_code::none);
  EXPECT_EQ(end_txn(n, "tx", p, false), error_code::invalid_txn_state);

  // The next transaction aborts: its record stays below an abort marker.
  EXPECT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  ASSERT_EQ(produce(n, "t", 0, p, 1).error, error_code::none);
  EXPECT_EQ(end_txn(n, "tx", p, false), error_code::none);
  EXPECT_EQ(last_batch(n, "t", 0), "abort");
  EXPECT_EQ(last_batch(n, "t", 1), "commit");  // not in this transaction
  EXPECT_TRUE(eventually([&] { return describe(n, "tx").transaction_state_ == "CompleteAbort"; }));

  // Wrong producer or epoch.
  EXPECT_EQ(end_txn(n, "tx", {p.id + 1, p.epoch}, true), error_code::invalid_producer_id_mapping);
  EXPECT_EQ(add_partitions(n, "tx", {p.id, static_cast<int16_t>(p.epoch + 1)}, "t", {0}),
            error_code::producer_fenced);
  EXPECT_EQ(add_partitions(n, "tx", {p.id, static_cast<int16_t>(p.epoch + 1)}, "t", {0}, 1),
            error_code::invalid_producer_epoch);
  EXPECT_EQ(end_txn(n, "unknown", p, true), error_code::invalid_producer_id_mapping);
}

// On a slow disk: EndTxn answers once the decision is durable, without waiting for the markers'
// fsync (as Kafka), and the producer's next request waits for the transaction to complete
// instead of bouncing off CONCURRENT_TRANSACTIONS (which would cost the client its backoff).
TEST(txn_handlers, the_next_transaction_waits_for_the_markers_instead_of_bouncing) {
  coordinator_node n;
  pid_epoch p = one_record_on_each_of_two_partitions(n);
  n.io().set_sync_delay_ms(400);
  ASSERT_EQ(end_txn(n, "tx", p, true), error_code::none);
  // Answered after the Prepare record's sync; the markers' sync is still under way, but they
  // are written and visible.
  EXPECT_EQ(describe(n, "tx").transaction_state_, "PrepareCommit");
  EXPECT_EQ(last_batch(n, "t", 0), "commit");
  EXPECT_EQ(last_batch(n, "t", 1), "commit");
  EXPECT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  auto d = describe(n, "tx");
  EXPECT_EQ(d.transaction_state_, "Ongoing");
  ASSERT_EQ(d.topics.size(), 1u);
  EXPECT_EQ(d.topics[0].partitions, (std::vector<int32_t>{0}));
  n.io().set_sync_delay_ms(0);
  ASSERT_EQ(produce(n, "t", 0, p, 1).error, error_code::none);
  ASSERT_EQ(end_txn(n, "tx", p, false), error_code::none);
  EXPECT_EQ(last_batch(n, "t", 0), "abort");
}

TEST(txn_handlers, unknown_partitions_fail_the_whole_request) {
  coordinator_node n;
  n.create_topic("t", 1);
  pid_epoch p = init(n, "tx");
  protocol::add_partitions_to_txn_request r;
  r.v3_and_below_transactional_id = "tx";
  r.v3_and_below_producer_id = p.id;
  r.v3_and_below_producer_epoch = p.epoch;
  auto& t = r.v3_and_below_topics.emplace_back();
  t.name = "t";
  t.partitions = {0, 5};
  auto resp = n.call<protocol::add_partitions_to_txn_api>(r, 3);
  const auto& results = resp.results_by_topic_v3_and_below.at(0).results_by_partition;
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(static_cast<error_code>(results[0].partition_error_code),
            error_code::operation_not_attempted);
  EXPECT_EQ(static_cast<error_code>(results[1].partition_error_code),
            error_code::unknown_topic_or_partition);
  EXPECT_EQ(describe(n, "tx").transaction_state_, "Empty");
}

TEST(txn_handlers, a_new_instance_fences_the_old_one_and_aborts_its_transaction) {
  coordinator_node n;
  n.create_topic("t", 1);
  pid_epoch old = init(n, "tx");
  ASSERT_EQ(add_partitions(n, "tx", old, "t", {0}), error_code::none);
  ASSERT_EQ(produce(n, "t", 0, old, 0).error, error_code::none);
  EXPECT_EQ(offsets_of(n, "t", 0).lso, 0);

  pid_epoch fresh = init(n, "tx");
  EXPECT_EQ(fresh.id, old.id);
  EXPECT_EQ(fresh.epoch, old.epoch + 2);  // +1 fencing the abort, +1 for the new instance
  EXPECT_EQ(last_batch(n, "t", 0), "abort");
  auto o = offsets_of(n, "t", 0);
  EXPECT_EQ(o.lso, o.hwm);
  EXPECT_EQ(end_txn(n, "tx", old, true), error_code::producer_fenced);
  EXPECT_EQ(end_txn(n, "tx", old, true, 1), error_code::invalid_producer_epoch);
  EXPECT_EQ(produce(n, "t", 0, old, 1).error, error_code::invalid_producer_epoch);
  // KIP-360: the current producer may ask for its own bump; a stale one is fenced.
  pid_epoch bumped = init(n, "tx", 60000, error_code::none, fresh);
  EXPECT_EQ(bumped.epoch, fresh.epoch + 1);
  init(n, "tx", 60000, error_code::producer_fenced, old);
  init(n, "tx", 60000, error_code::invalid_producer_epoch, old, 3);
  // A timeout above transaction.max.timeout.ms.
  init(n, "tx", 900001, error_code::invalid_transaction_timeout);
}

TEST(txn_handlers, a_hung_transaction_is_aborted_after_its_timeout) {
  std::atomic<int64_t> now{1'000'000};
  coordinator_node n([&now] { return now.load(); },
                     {"transaction.abort.timed.out.transaction.cleanup.interval.ms=20"});
  n.create_topic("t", 1);
  pid_epoch p = init(n, "tx", 5000);
  ASSERT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  ASSERT_EQ(produce(n, "t", 0, p, 0).error, error_code::none);
  now += 4000;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(describe(n, "tx").transaction_state_, "Ongoing");  // not yet
  now += 2000;
  ASSERT_TRUE(eventually([&] { return describe(n, "tx").transaction_state_ == "CompleteAbort"; }));
  EXPECT_EQ(describe(n, "tx").producer_epoch(), p.epoch + 1);
  EXPECT_EQ(last_batch(n, "t", 0), "abort");
  auto o = offsets_of(n, "t", 0);
  EXPECT_EQ(o.lso, o.hwm);  // the LSO is unblocked
  EXPECT_EQ(end_txn(n, "tx", p, true), error_code::producer_fenced);
}

TEST(txn_handlers, a_transaction_caught_in_prepare_commit_completes_after_a_restart) {
  coordinator_node n;
  pid_epoch p = one_record_on_each_of_two_partitions(n);
  // What a crash right after the PrepareCommit record leaves: that record, no marker.
  auto d = describe(n, "tx");
  coord::txn_value v;
  v.producer_id = p.id;
  v.producer_epoch = p.epoch;
  v.timeout_ms = d.transaction_timeout_ms;
  v.status = coord::txn_status::prepare_commit;
  v.partitions = {{"t", model::partition_id(0)}, {"t", model::partition_id(1)}};
  v.last_update_ms = 1;
  v.start_ms = d.transaction_start_time_ms;
  n.txns().stop();
  const int32_t state_partition =
      coord::partition_for_key("tx", 3)();  // transaction.state.log.num.partitions=3
  coord::record_list records;
  records.emplace_back(coord::encode_txn_key("tx"), coord::encode_txn_value(v));
  auto batch = coord::build_coordinator_batch(records, 1);
  auto appended = on_partition<cluster::append_outcome>(
      n, std::string(coord::transaction_topic), state_partition,
      [&batch](cluster::partition& part) { return append_batch(part, batch); });
  ASSERT_EQ(appended.error, error_code::none);
  EXPECT_EQ(last_batch(n, "t", 0), "data");

  n.restart_coordinator();
  ASSERT_TRUE(eventually([&] { return describe(n, "tx").transaction_state_ == "CompleteCommit"; }));
  EXPECT_EQ(last_batch(n, "t", 0), "commit");
  EXPECT_EQ(last_batch(n, "t", 1), "commit");
  // The producer carries on with its id and epoch.
  EXPECT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  EXPECT_EQ(end_txn(n, "tx", p, true), error_code::none);
}

protocol::offset_fetch_response::offset_fetch_response_topic fetch_offset(coordinator_node& n,
                                                                          bool require_stable) {
  protocol::offset_fetch_request r;
  r.group_id = "g";
  r.require_stable = require_stable;
  auto& t = r.topics.emplace().emplace_back();
  t.name = "in";
  t.partition_indexes = {model::partition_id(0)};
  auto resp = n.call<protocol::offset_fetch_api>(r, 7);
  EXPECT_EQ(resp.topics.size(), 1u);
  return resp.topics.at(0);
}

error_code txn_offset_commit(coordinator_node& n, pid_epoch p, int64_t offset) {
  protocol::txn_offset_commit_request r;
  r.transactional_id = "tx";
  r.group_id = "g";
  r.producer_id = model::producer_id(p.id);
  r.producer_epoch = model::producer_epoch(p.epoch);
  auto& t = r.topics.emplace_back();
  t.name = "in";
  auto& part = t.partitions.emplace_back();
  part.partition_index = model::partition_id(0);
  part.committed_offset = model::offset(offset);
  auto resp = n.call<protocol::txn_offset_commit_api>(r, 3);
  return resp.topics.at(0).partitions.at(0).error_code;
}

TEST(txn_handlers, offsets_committed_in_a_transaction_appear_with_its_commit_only) {
  coordinator_node n;
  n.create_topic("in", 1);
  n.create_topic("out", 1);
  pid_epoch p = init(n, "tx");
  protocol::add_offsets_to_txn_request ao;
  ao.transactional_id = "tx";
  ao.producer_id = model::producer_id(p.id);
  ao.producer_epoch = model::producer_epoch(p.epoch);
  ao.group_id = "g";
  ASSERT_EQ(n.call<protocol::add_offsets_to_txn_api>(ao, 3).error_code, error_code::none);
  ASSERT_EQ(add_partitions(n, "tx", p, "out", {0}), error_code::none);
  ASSERT_EQ(produce(n, "out", 0, p, 0).error, error_code::none);
  ASSERT_EQ(txn_offset_commit(n, p, 10), error_code::none);
  // Pending: stable readers are told to wait, others see the last committed offset (none).
  EXPECT_EQ(fetch_offset(n, true).partitions.at(0).error_code, error_code::unstable_offset_commit);
  EXPECT_EQ(fetch_offset(n, false).partitions.at(0).committed_offset, model::offset(-1));
  auto d = describe(n, "tx");
  ASSERT_EQ(d.topics.size(), 2u);  // __consumer_offsets and out
  EXPECT_EQ(d.topics[0].topic, "__consumer_offsets");

  ASSERT_EQ(end_txn(n, "tx", p, true), error_code::none);
  auto committed = fetch_offset(n, true).partitions.at(0);
  EXPECT_EQ(committed.error_code, error_code::none);
  EXPECT_EQ(committed.committed_offset, model::offset(10));

  // An aborted transaction's offsets never appear.
  ASSERT_EQ(n.call<protocol::add_offsets_to_txn_api>(ao, 3).error_code, error_code::none);
  ASSERT_EQ(txn_offset_commit(n, p, 20), error_code::none);
  ASSERT_EQ(end_txn(n, "tx", p, false), error_code::none);
  EXPECT_EQ(fetch_offset(n, true).partitions.at(0).committed_offset, model::offset(10));

  // One left open across a restart is still pending, and commits afterwards.
  ASSERT_EQ(n.call<protocol::add_offsets_to_txn_api>(ao, 3).error_code, error_code::none);
  ASSERT_EQ(txn_offset_commit(n, p, 30), error_code::none);
  n.restart_coordinator();
  EXPECT_EQ(fetch_offset(n, true).partitions.at(0).error_code, error_code::unstable_offset_commit);
  ASSERT_EQ(end_txn(n, "tx", p, true), error_code::none);
  EXPECT_EQ(fetch_offset(n, true).partitions.at(0).committed_offset, model::offset(30));
  n.restart_coordinator();  // replay: the marker committed them
  EXPECT_EQ(fetch_offset(n, true).partitions.at(0).committed_offset, model::offset(30));

  // Offsets outside an ongoing transaction holding the group, or from a fenced producer, are
  // refused (they could never be resolved by a marker).
  EXPECT_EQ(txn_offset_commit(n, p, 40), error_code::invalid_txn_state);
  pid_epoch fresh = init(n, "tx");
  EXPECT_EQ(txn_offset_commit(n, p, 40), error_code::producer_fenced);
  ASSERT_EQ(add_partitions(n, "tx", fresh, "out", {0}), error_code::none);
  EXPECT_EQ(txn_offset_commit(n, fresh, 40), error_code::invalid_txn_state);  // no AddOffsets
  EXPECT_EQ(fetch_offset(n, true).partitions.at(0).committed_offset, model::offset(30));
}

TEST(txn_handlers, list_transactions_filters_by_state_and_producer) {
  coordinator_node n;
  n.create_topic("t", 1);
  pid_epoch a = init(n, "a");
  pid_epoch b = init(n, "b");
  ASSERT_EQ(add_partitions(n, "a", a, "t", {0}), error_code::none);
  protocol::list_transactions_request r;
  auto all = n.call<protocol::list_transactions_api>(r, 1);
  EXPECT_EQ(all.transaction_states.size(), 2u);
  r.state_filters = {"Ongoing", "Bogus"};
  auto ongoing = n.call<protocol::list_transactions_api>(r, 1);
  ASSERT_EQ(ongoing.transaction_states.size(), 1u);
  EXPECT_EQ(ongoing.transaction_states[0].transactional_id, "a");
  EXPECT_EQ(ongoing.unknown_state_filters, std::vector<std::string>{"Bogus"});
  r.state_filters.clear();
  r.producer_id_filters = {b.id};
  auto by_pid = n.call<protocol::list_transactions_api>(r, 1);
  ASSERT_EQ(by_pid.transaction_states.size(), 1u);
  EXPECT_EQ(by_pid.transaction_states[0].transaction_state_, "Empty");
  EXPECT_EQ(describe(n, "nope").error_code, error_code::transactional_id_not_found);
}

// Produce through the handler, as a client: a transactional batch of `producer` at `sequence`.
protocol::produce_request txn_produce_request(std::optional<std::string> txn_id,
                                              const std::string& topic, int32_t p,
                                              pid_epoch producer, int32_t sequence,
                                              std::vector<std::byte>& storage) {
  storage = txn_batch(producer, sequence);
  protocol::produce_request req;
  req.acks = -1;
  req.timeout_ms = 30000;
  req.transactional_id = std::move(txn_id);
  auto& t = req.topic_data.emplace_back();
  t.name = topic;
  auto& pd = t.partition_data.emplace_back();
  pd.index = p;
  pd.records = protocol::records_view{storage, false};
  return req;
}

protocol::produce_response::topic_produce_response::partition_produce_response produce_as_client(
    coordinator_node& n, std::optional<std::string> txn_id, const std::string& topic, int32_t p,
    pid_epoch producer, int32_t sequence) {
  std::vector<std::byte> storage;
  auto req = txn_produce_request(std::move(txn_id), topic, p, producer, sequence, storage);
  return n.call<protocol::produce_api>(req, 9).responses.at(0).partition_responses.at(0);
}

// KIP-890: a transactional batch opens a transaction on a partition only if the coordinator
// has that partition in the producer's transaction; otherwise no marker would ever end it.
TEST(txn_verification, a_partition_outside_the_transaction_is_refused) {
  coordinator_node n;
  n.create_topic("t", 2);
  pid_epoch p = init(n, "tx");
  ASSERT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  auto outside = produce_as_client(n, "tx", "t", 1, p, 0);
  EXPECT_EQ(outside.error_code, error_code::invalid_txn_state);
  auto o = offsets_of(n, "t", 1);
  EXPECT_EQ(o.hwm, 0);  // nothing written
  EXPECT_EQ(o.lso, 0);
  EXPECT_EQ(produce_as_client(n, "tx", "t", 0, p, 0).error_code, error_code::none);
  EXPECT_EQ(produce_as_client(n, "tx", "t", 0, p, 1).error_code, error_code::none);  // ongoing
  ASSERT_EQ(end_txn(n, "tx", p, true), error_code::none);
  EXPECT_EQ(last_batch(n, "t", 0), "commit");
  // Nothing is ongoing now: the next batch needs an AddPartitionsToTxn first.
  EXPECT_EQ(produce_as_client(n, "tx", "t", 0, p, 2).error_code, error_code::invalid_txn_state);
  // Transactional records name their transactional id (Kafka: 53 otherwise).
  EXPECT_EQ(produce_as_client(n, std::nullopt, "t", 0, p, 2).error_code,
            error_code::transactional_id_authorization_failed);
  // A fenced producer is told so, even on a partition that never saw its new epoch.
  pid_epoch fresh = init(n, "tx");
  ASSERT_EQ(add_partitions(n, "tx", fresh, "t", {1}), error_code::none);
  EXPECT_EQ(produce_as_client(n, "tx", "t", 1, p, 0).error_code,
            error_code::invalid_producer_epoch);
  EXPECT_EQ(produce_as_client(n, "tx", "t", 1, fresh, 0).error_code, error_code::none);
}

TEST(txn_verification, can_be_turned_off) {
  coordinator_node n({}, {"transaction.partition.verification.enable=false"});
  n.create_topic("t", 2);
  pid_epoch p = init(n, "tx");
  ASSERT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  EXPECT_EQ(produce_as_client(n, "tx", "t", 1, p, 0).error_code, error_code::none);
}

// Batches pipelined behind the one being verified wait for it (partition::txn_verification)
// and are written in sequence order, as an idempotent producer's batches must be.
TEST(txn_verification, pipelined_batches_keep_their_order) {
  coordinator_node n;
  n.create_topic("t", 1);
  pid_epoch p = init(n, "tx");
  ASSERT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  const unsigned shard =
      n.partitions().shard_of(n.partitions().image()->find_topic("t")->id, model::partition_id(0));
  std::vector<std::vector<std::byte>> storage(5);
  std::vector<std::future<net::handler_result>> in_flight;
  for (int32_t seq = 0; seq < 5; ++seq) {
    auto req = txn_produce_request("tx", "t", 0, p, seq, storage[seq]);
    in_flight.push_back(n.start<protocol::produce_api>(req, 9, shard));
  }
  for (int32_t seq = 0; seq < 5; ++seq) {
    auto r = n.finish<protocol::produce_api>(in_flight[seq].get(), 9);
    const auto& pr = r.responses.at(0).partition_responses.at(0);
    EXPECT_EQ(pr.error_code, error_code::none) << "batch " << seq;
    EXPECT_EQ(pr.base_offset, model::offset(seq));
  }
}

}  // namespace
}  // namespace vltava::kafka

namespace vltava::kafka {
namespace {

// WriteTxnMarkers, as another broker's coordinator sends it: the markers land on the
// partitions led here and end the producer's transaction there; unknown ones are refused.
TEST(write_txn_markers, markers_from_a_remote_coordinator_end_the_transaction_here) {
  coordinator_node n;
  pid_epoch p = one_record_on_each_of_two_partitions(n);
  EXPECT_LT(offsets_of(n, "t", 0).lso, offsets_of(n, "t", 0).hwm);

  protocol::write_txn_markers_request r;
  auto& m = r.markers.emplace_back();
  m.producer_id = model::producer_id(p.id);
  m.producer_epoch = model::producer_epoch(p.epoch);
  m.transaction_result = true;
  m.coordinator_epoch = 0;
  auto& t = m.topics.emplace_back();
  t.name = "t";
  t.partition_indexes = {model::partition_id(0), model::partition_id(1), model::partition_id(7)};
  auto& gone = m.topics.emplace_back();
  gone.name = "gone";
  gone.partition_indexes = {model::partition_id(0)};
  for (int16_t version : {0, 1}) {
    auto resp = n.call<protocol::write_txn_markers_api>(r, version);
    ASSERT_EQ(resp.markers.size(), 1u);
    EXPECT_EQ(resp.markers[0].producer_id(), p.id);
    ASSERT_EQ(resp.markers[0].topics.size(), 2u);
    const auto& rt = resp.markers[0].topics[0];
    ASSERT_EQ(rt.partitions.size(), 3u);
    EXPECT_EQ(rt.partitions[0].error_code, error_code::none);
    EXPECT_EQ(rt.partitions[1].error_code, error_code::none);
    EXPECT_EQ(rt.partitions[2].error_code, error_code::unknown_topic_or_partition);
    EXPECT_EQ(resp.markers[0].topics[1].partitions.at(0).error_code,
              error_code::unknown_topic_or_partition);
  }
  for (int32_t part : {0, 1}) {
    EXPECT_EQ(last_batch(n, "t", part), "commit");
    EXPECT_EQ(offsets_of(n, "t", part).lso, offsets_of(n, "t", part).hwm);
  }
  // An older epoch of the producer is refused: the coordinator takes the partition as done.
  m.producer_epoch = model::producer_epoch(p.epoch - 1);
  if (p.epoch > 0) {
    auto resp = n.call<protocol::write_txn_markers_api>(r, 1);
    EXPECT_EQ(resp.markers[0].topics[0].partitions[0].error_code,
              error_code::invalid_producer_epoch);
  }
}

// The coordinator epoch a WriteTxnMarkers request carries is the one the partition keeps and
// checks: a deposed coordinator (an older epoch of its __transaction_state partition) is
// fenced, whatever the data partition's own leader epoch.
TEST(write_txn_markers, an_older_coordinator_epoch_is_fenced) {
  coordinator_node n;
  pid_epoch p = one_record_on_each_of_two_partitions(n);
  protocol::write_txn_markers_request r;
  auto& m = r.markers.emplace_back();
  m.producer_id = model::producer_id(p.id);
  m.producer_epoch = model::producer_epoch(p.epoch);
  m.transaction_result = false;
  m.coordinator_epoch = 7;
  auto& t = m.topics.emplace_back();
  t.name = "t";
  t.partition_indexes = {model::partition_id(0)};
  auto resp = n.call<protocol::write_txn_markers_api>(r, 1);
  EXPECT_EQ(resp.markers.at(0).topics.at(0).partitions.at(0).error_code, error_code::none);
  EXPECT_EQ(last_batch(n, "t", 0), "abort");
  m.coordinator_epoch = 6;
  resp = n.call<protocol::write_txn_markers_api>(r, 1);
  EXPECT_EQ(resp.markers.at(0).topics.at(0).partitions.at(0).error_code,
            error_code::transaction_coordinator_fenced);
  m.coordinator_epoch = 7;  // the same coordinator again: accepted
  resp = n.call<protocol::write_txn_markers_api>(r, 1);
  EXPECT_EQ(resp.markers.at(0).topics.at(0).partitions.at(0).error_code, error_code::none);
}

// AddPartitionsToTxn v4 with verify_only (KIP-890 between brokers): each partition answers
// whether it is in the producer's ongoing transaction; nothing is added.
TEST(add_partitions_to_txn_v4, verify_only_answers_per_partition_and_adds_nothing) {
  coordinator_node n;
  n.create_topic("t", 3);
  pid_epoch p = init(n, "tx");
  ASSERT_EQ(add_partitions(n, "tx", p, "t", {0}), error_code::none);
  auto ask = [&n](pid_epoch who, bool verify_only, std::vector<int32_t> parts, int16_t version) {
    protocol::add_partitions_to_txn_request r;
    auto& txn = r.transactions.emplace_back();
    txn.transactional_id = "tx";
    txn.producer_id = model::producer_id(who.id);
    txn.producer_epoch = model::producer_epoch(who.epoch);
    txn.verify_only = verify_only;
    auto& t = txn.topics.emplace_back();
    t.name = "t";
    t.partitions = std::move(parts);
    auto resp = n.call<protocol::add_partitions_to_txn_api>(r, version);
    EXPECT_EQ(resp.error_code, error_code::none);
    std::vector<error_code> out;
    for (const auto& rp :
         resp.results_by_transaction.at(0).topic_results.at(0).results_by_partition) {
      out.push_back(static_cast<error_code>(rp.partition_error_code));
    }
    return out;
  };
  for (int16_t version : {4, 5}) {
    EXPECT_EQ(ask(p, true, {0, 1}, version),
              (std::vector<error_code>{error_code::none, error_code::invalid_txn_state}));
    EXPECT_EQ(ask({p.id, int16_t(p.epoch + 1)}, true, {0}, version),
              std::vector<error_code>{error_code::producer_fenced});
    EXPECT_EQ(ask(p, true, {9}, version),
              std::vector<error_code>{error_code::unknown_topic_or_partition});
  }
  EXPECT_EQ(describe(n, "tx").topics.at(0).partitions.size(), 1u) << "verification adds nothing";
  // Without verify_only, a broker's request adds, as a client's does.
  EXPECT_EQ(ask(p, false, {1, 2}, 4),
            (std::vector<error_code>{error_code::none, error_code::none}));
  EXPECT_EQ(ask(p, true, {1, 2}, 4), (std::vector<error_code>{error_code::none, error_code::none}));
}

}  // namespace
}  // namespace vltava::kafka
