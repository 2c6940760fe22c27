#include "coord/coordinator_partitions.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "cluster/self_registration.h"
#include "cluster/test_node.h"
#include "coord/coordinator_batch.h"
#include "coord/group_key.h"

namespace vltava::coord {
namespace {

using protocol::error_code;

constexpr std::string_view toy_topic = "__toy_state";
constexpr int32_t toy_partitions = 3;

// A coordinator's state reduced to its bones: the last value per key of one partition.
struct toy_partition : coordinated_partition {
  std::map<std::string, std::string> values;
};

std::string text(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::vector<std::byte> bytes(std::string_view s) {
  auto b = std::as_bytes(std::span(s));
  return {b.begin(), b.end()};
}

error_code replay_toy(toy_partition& p, cluster::partition& log) {
  batch_visitor visit;
  visit.record = [&p](const model::record_batch_header&, const model::record& r) {
    if (r.key && r.value) p.values[text(*r.key)] = text(*r.value);
  };
  visit.control = [](const model::record_batch_header&, std::span<const std::byte>) {};
  return replay_log(log, {std::string(toy_topic), p.id},
                    [&visit](std::span<const std::byte> b) { return walk_batches(b, visit); });
}

// On p's owner shard: appends `batch`; with acks=all, waits until it is committed (below the
// high watermark).
net::awaitable<cluster::append_outcome> append_to(cluster::partition_manager* pm,
                                                  model::partition_id p,
                                                  std::vector<std::byte> batch,
                                                  cluster::acks_mode acks) {
  auto part = pm->find_shared(toy_topic, p);
  co_return co_await part->append(std::span<std::byte>(batch), acks);
}

// On p's owner shard: its high watermark and log end.
net::awaitable<std::pair<int64_t, int64_t>> ends_of(cluster::partition_manager* pm,
                                                    model::partition_id p) {
  auto part = pm->find_shared(toy_topic, p);
  co_return std::pair<int64_t, int64_t>{part->high_watermark()(), part->log_end_offset()()};
}

// A node (two shards, a metadata store, partitions) and a toy coordinator over it.
class coordinator_partitions_test : public ::testing::Test {
 protected:
  coordinator_partitions_test() {
    auto s = cluster::metadata_store::open(node.io, node.flusher, node.shards, node.dir() + "/meta",
                                           model::node_id(1), node.broker);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error());
    EXPECT_TRUE(cluster::testing::register_and_unfence(
                    **s, node.shards, model::node_id(1),
                    {cluster::broker_endpoint{"PLAINTEXT", "127.0.0.1", 9092}})
                    .ok());
    store = std::move(s).value();
    node.manager->apply_image_and_wait(store->image());
    store->subscribe([this](cluster::image_ptr img) { node.manager->apply_image(img); });
    coordinator_partitions<toy_partition>::callbacks calls;
    calls.replay = [this](unsigned, toy_partition& p, cluster::partition& log) {
      ++replays;
      return replay_toy(p, log);
    };
    calls.drop = [this](toy_partition& p) {
      ++drops;
      p.values.clear();
    };
    calls.tick = [](unsigned) -> net::awaitable<void> { co_return; };
    toy = std::make_unique<coordinator_partitions<toy_partition>>(
        node.shards, *node.manager, *store,
        internal_topic_spec{toy_topic, toy_partitions, 1024 * 1024}, std::move(calls));
  }
  ~coordinator_partitions_test() override {
    toy->stop();
    store->close();
  }

  template <typename T>
  T run(net::awaitable<T> a) {
    return node.run(1, std::move(a));
  }

  error_code ensure_topic() { return run(toy->topic().ensure_created()); }

  // Appends key=value to `key`'s partition, as the coordinator would.
  void put(const std::string& key, const std::string& value,
           cluster::acks_mode acks = cluster::acks_mode::all) {
    model::partition_id p = *toy->topic().partition_of(key);
    record_list records;
    records.emplace_back(bytes(key), bytes(value));
    auto batch = build_coordinator_batch(records, 1);
    const unsigned owner = node.owner(std::string(toy_topic), p());
    auto written = node.run(owner, append_to(node.manager.get(), p, std::move(batch), acks));
    ASSERT_EQ(written.error, error_code::none);
  }

  // A new image where `leader` leads p (epoch `epoch`) with replicas {2, 1}; this node leads
  // the other partitions with replicas {1, 2}.
  void publish(model::partition_id p, int32_t leader, int32_t epoch) {
    auto img = std::make_shared<cluster::metadata_image>(*store->image());
    if (version == 0) version = img->version + 100;
    img->version = ++version;
    cluster::testing::add_three_brokers(*img);
    img->brokers.erase(img->brokers.end() - 3);  // the store registered node 1 already
    for (int32_t i = 0; i < toy_partitions; ++i) {
      cluster::testing::assign(*img, std::string(toy_topic), i, {1, 2}, 1, 0);
    }
    cluster::testing::assign(*img, std::string(toy_topic), p(), {2, 1}, leader, epoch);
    node.manager->apply_image_and_wait(img);
  }

  // What a request for `key` finds on the owner shard: the value, or the error it answers.
  struct seen {
    error_code error = error_code::none;
    std::string value;
  };
  seen get(const std::string& key) {
    seen unavailable{error_code::coordinator_not_available, {}};
    return run(toy->on_owner<seen>(key, unavailable, [&key](at_owner<toy_partition> at) {
      if (!at.partition) return seen{at.error, {}};
      auto it = at.partition->values.find(key);
      return seen{error_code::none, it == at.partition->values.end() ? "" : it->second};
    }));
  }

  cluster::testing::test_node node;
  std::unique_ptr<cluster::metadata_store> store;
  std::unique_ptr<coordinator_partitions<toy_partition>> toy;
  int replays = 0;
  int drops = 0;
  int64_t version = 0;  // of the last image publish() made
};

TEST_F(coordinator_partitions_test, a_key_maps_to_its_partition_once_the_topic_exists) {
  EXPECT_FALSE(toy->topic().partition_of("hello"));
  ASSERT_EQ(ensure_topic(), error_code::none);
  const auto* t = store->image()->find_topic(toy_topic);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->partition_count, toy_partitions);
  for (std::string key : {"hello", "my-group", "console-consumer-12345", "tx-1", ""}) {
    EXPECT_EQ(toy->topic().partition_of(key), partition_for_key(key, toy_partitions)) << key;
  }
  // Kafka's numbers for 50 partitions (Utils.abs(hashCode) % 50).
  EXPECT_EQ(partition_for_key("hello", 50), model::partition_id(22));
  EXPECT_EQ(partition_for_key("polygenelubricants", 50), model::partition_id(0));
}

TEST_F(coordinator_partitions_test, a_request_creates_the_topic_and_loads_its_partition) {
  EXPECT_EQ(get("k").error, error_code::none);  // created, gained with the new image, empty
  // The shard gained every partition it owns in the image that brought the topic, once.
  const int loaded = replays;
  EXPECT_GE(loaded, 1);
  EXPECT_EQ(get("k").value, "");
  EXPECT_EQ(replays, loaded);
}

// Node 1 of a cluster: the coordinator follows the images the partition manager publishes,
// losing a partition led by broker 2 and gaining it back (reloaded) when it leads it again.
TEST_F(coordinator_partitions_test, follows_leadership_in_the_image) {
  ASSERT_EQ(ensure_topic(), error_code::none);
  put("k", "v");
  toy->start();
  ASSERT_EQ(get("k").value, "v");
  const model::partition_id p = *toy->topic().partition_of("k");
  const int drops_before = drops, replays_before = replays;
  // Written behind the coordinator's back (as replication fills a follower's log, which
  // refuses appends of its own): only a reload from the log shows it.
  put("k", "by-2");
  EXPECT_EQ(get("k").value, "v");
  publish(p, 2, 1);
  EXPECT_EQ(get("k").error, error_code::not_coordinator);
  EXPECT_EQ(drops, drops_before + 1);
  for (int i = 0; i < 20; ++i) {  // the others stay, not reloaded
    std::string other = "other-" + std::to_string(i);
    if (toy->topic().partition_of(other) == p) continue;
    EXPECT_EQ(get(other).error, error_code::none) << other;
  }
  EXPECT_EQ(replays, replays_before);
  publish(p, -1, 1);
  EXPECT_EQ(get("k").error, error_code::not_coordinator);
  publish(p, 1, 2);
  const seen back = get("k");
  EXPECT_EQ(back.error, error_code::none);
  EXPECT_EQ(back.value, "by-2");
  EXPECT_EQ(replays, replays_before + 1);
  publish(p, 1, 2);  // a new image, same leadership: nothing reloaded
  EXPECT_EQ(get("k").value, "by-2");
  EXPECT_EQ(replays, replays_before + 1);
  publish(p, 1, 3);  // a new leader epoch of this node: reloaded
  EXPECT_EQ(get("k").value, "by-2");
  EXPECT_EQ(replays, replays_before + 2);
}

TEST_F(coordinator_partitions_test, a_new_leader_loads_what_it_holds_above_the_high_watermark) {
  ASSERT_EQ(ensure_topic(), error_code::none);
  put("k", "committed");
  toy->start();
  ASSERT_EQ(get("k").value, "committed");
  const model::partition_id p = *toy->topic().partition_of("k");
  publish(p, 1, 1);  // replicated now: node 2 is in the ISR and never fetches
  ASSERT_EQ(get("k").value, "committed");
  const unsigned owner = node.owner(std::string(toy_topic), p());
  const auto before = node.run(owner, ends_of(node.manager.get(), p));
  // What the old leader acknowledged and this one holds, before any follower tells it the
  // high watermark: above it here.
  put("k", "acknowledged", cluster::acks_mode::leader);
  const auto after = node.run(owner, ends_of(node.manager.get(), p));
  ASSERT_EQ(after.first, before.first);
  ASSERT_GT(after.second, before.first);
  publish(p, 1, 2);  // elected again: reloaded
  EXPECT_EQ(get("k").value, "acknowledged");
}

TEST_F(coordinator_partitions_test, leadership_lost_and_gained_again) {
  ASSERT_EQ(ensure_topic(), error_code::none);
  put("k", "before");
  toy->start();  // a single node leads what it hosts: replayed at start
  EXPECT_EQ(get("k").value, "before");
  const int replays_at_start = replays;

  const model::partition_id p = *toy->topic().partition_of("k");
  node.run(0, toy->lose(p));
  EXPECT_EQ(drops, 1);
  EXPECT_EQ(get("k").error, error_code::not_coordinator);
  EXPECT_EQ(get("k").error, error_code::not_coordinator);  // not gained back by a request
  put("k", "meanwhile");  // another leader wrote while this node did not lead

  EXPECT_EQ(node.run(0, toy->gain(p)), error_code::none);
  EXPECT_EQ(replays, replays_at_start + 1);
  const seen after = get("k");
  EXPECT_EQ(after.error, error_code::none);
  EXPECT_EQ(after.value, "meanwhile");

  // The other partitions were never affected.
  for (int i = 0; i < 20; ++i) {
    std::string other = "other-" + std::to_string(i);
    if (toy->topic().partition_of(other) == p) continue;
    EXPECT_EQ(get(other).error, error_code::none) << other;
  }
}

TEST_F(coordinator_partitions_test, gaining_a_partition_not_open_yet_answers_load_in_progress) {
  // Before the topic exists no shard hosts the partition: loading has to wait.
  toy->start();
  unsigned shard = 0;
  EXPECT_EQ(node.run(shard,
                     [](coordinator_partitions<toy_partition>* t,
                        unsigned s) -> net::awaitable<error_code> {
                       co_return t->gained(s, model::partition_id(0));
                     }(toy.get(), shard)),
            error_code::coordinator_load_in_progress);
  EXPECT_EQ(replays, 0);
}

TEST_F(coordinator_partitions_test, stopped_shards_answer_not_coordinator) {
  ASSERT_EQ(ensure_topic(), error_code::none);
  toy->start();
  EXPECT_EQ(get("k").error, error_code::none);
  toy->stop();
  EXPECT_EQ(get("k").error, error_code::not_coordinator);
}

}  // namespace
}  // namespace vltava::coord
