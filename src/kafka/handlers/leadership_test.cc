// The data path when this node (1) is one of three brokers: 1 and 2 live, 3 fenced. Partitions
// led elsewhere or by nobody answer NOT_LEADER_OR_FOLLOWER, with the current leader and its
// endpoint where the version carries them (KIP-951); unknown ones stay
// UNKNOWN_TOPIC_OR_PARTITION; the ones this node leads are served as on a single node.

#include <gtest/gtest.h>

#include "kafka/handlers/delete_records.h"
#include "kafka/handlers/describe_producers.h"
#include "kafka/handlers/fetch.h"
#include "kafka/handlers/list_offsets.h"
#include "kafka/handlers/offset_for_leader_epoch.h"
#include "kafka/handlers/produce.h"
#include "kafka/testing/handler_test_env.h"

namespace vltava::kafka {
namespace {

using cluster::testing::batch;
using cluster::testing::now_ms;
using protocol::error_code;
using testing::handler_env;

// "t": 0 led here (epoch 3), 1 led by broker 2 (epoch 5, this node follows), 2 led by the
// fenced broker 3, 3 with no leader.
cluster::image_ptr cluster_image(handler_env& env) {
  auto img = std::const_pointer_cast<cluster::metadata_image>(env.node.image({{"t", 4}}));
  cluster::testing::add_three_brokers(*img);
  cluster::testing::assign(*img, "t", 0, {1, 2}, 1, 3);
  cluster::testing::assign(*img, "t", 1, {2, 1}, 2, 5);
  cluster::testing::assign(*img, "t", 2, {3, 1}, 3, 1);
  cluster::testing::assign(*img, "t", 3, {1, 3}, -1, 2);
  // No follower runs here: each ISR is its leader alone, so acks=all commits on this node.
  for (auto& p : img->topics.at("t").partitions) {
    if (p.leader >= model::node_id(0)) p.isr = {p.leader};
  }
  return img;
}

protocol::produce_request produce_all(std::span<const std::byte> records) {
  protocol::produce_request req;
  req.acks = -1;
  req.timeout_ms = 30000;
  auto& t = req.topic_data.emplace_back();
  t.name = "t";
  for (int32_t p = 0; p < 5; ++p) {
    auto& pd = t.partition_data.emplace_back();
    pd.index = p;
    pd.records = protocol::records_view{records, false};
  }
  return req;
}

TEST(Leadership, ProduceAnswersNotLeaderWithTheCurrentLeader) {
  handler_env env;
  env.node.manager->apply_image_and_wait(cluster_image(env));
  auto b = batch(2, now_ms());
  auto r = env.call<protocol::produce_api>(10, produce_all(b));
  const auto& ps = r->responses.at(0).partition_responses;
  ASSERT_EQ(ps.size(), 5u);
  EXPECT_EQ(ps[0].error_code, error_code::none);
  EXPECT_EQ(ps[0].base_offset, model::offset(0));
  EXPECT_EQ(ps[1].error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(ps[1].current_leader.leader_id, model::node_id(2));
  EXPECT_EQ(ps[1].current_leader.leader_epoch, model::leader_epoch(5));
  EXPECT_EQ(ps[2].error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(ps[2].current_leader.leader_id, model::node_id(3));
  EXPECT_EQ(ps[3].error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(ps[3].current_leader.leader_id, model::node_id(-1));
  EXPECT_EQ(ps[4].error_code, error_code::unknown_topic_or_partition);
  // Only the live leader's endpoint: broker 3 is fenced, -1 is nobody.
  ASSERT_EQ(r->node_endpoints.size(), 1u);
  EXPECT_EQ(r->node_endpoints[0].node_id, model::node_id(2));
  EXPECT_EQ(r->node_endpoints[0].host, "broker2");
  EXPECT_EQ(r->node_endpoints[0].port, 9092);
  // Before v10 the same errors, without the hints.
  auto old = env.call<protocol::produce_api>(9, produce_all(b));
  EXPECT_EQ(old->responses.at(0).partition_responses[1].error_code,
            error_code::not_leader_or_follower);
  EXPECT_EQ(old->responses.at(0).partition_responses[1].current_leader.leader_id,
            model::node_id(-1));
  EXPECT_TRUE(old->node_endpoints.empty());
}

// By topic id: Fetch v13+ names topics so.
protocol::fetch_request fetch_all(const protocol::uuid& topic_id, int32_t max_wait_ms = 0) {
  protocol::fetch_request req;
  req.max_wait_ms = max_wait_ms;
  req.min_bytes = 1;
  req.max_bytes = 1024 * 1024;
  req.session_epoch = -1;
  auto& t = req.topics.emplace_back();
  t.topic_id = topic_id;
  for (int32_t p = 0; p < 5; ++p) {
    auto& fp = t.partitions.emplace_back();
    fp.partition = p;
    fp.fetch_offset = model::offset(0);
    fp.partition_max_bytes = 1024 * 1024;
  }
  return req;
}

TEST(Leadership, FetchAnswersNotLeaderWithTheCurrentLeader) {
  handler_env env;
  env.node.manager->apply_image_and_wait(cluster_image(env));
  auto b = batch(2, now_ms());
  env.call<protocol::produce_api>(10, produce_all(b));
  auto r =
      env.call<protocol::fetch_api>(16, fetch_all(env.node.manager->image()->find_topic("t")->id));
  ASSERT_EQ(r->responses.size(), 1u);
  std::map<int32_t, const protocol::fetch_response::fetchable_topic_response::partition_data*> by;
  for (const auto& d : r->responses[0].partitions) by[d.partition_index()] = &d;
  ASSERT_EQ(by.size(), 5u);
  EXPECT_EQ(by[0]->error_code, error_code::none);
  EXPECT_EQ(by[0]->high_watermark, model::offset(2));
  EXPECT_EQ(by[1]->error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(by[1]->current_leader.leader_id, model::node_id(2));
  EXPECT_EQ(by[1]->current_leader.leader_epoch, model::leader_epoch(5));
  EXPECT_EQ(by[2]->error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(by[3]->error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(by[4]->error_code, error_code::unknown_topic_or_partition);
  ASSERT_EQ(r->node_endpoints.size(), 1u);
  EXPECT_EQ(r->node_endpoints[0].node_id, model::node_id(2));
}

TEST(Leadership, AFetchSessionPartitionThatMovesAwayAnswersNotLeader) {
  handler_env env;
  auto img = std::const_pointer_cast<cluster::metadata_image>(env.node.image({{"t", 1}}));
  cluster::testing::add_three_brokers(*img);
  cluster::testing::assign(*img, "t", 0, {1, 2}, 1, 0);
  env.node.manager->apply_image_and_wait(img);
  auto req = fetch_all(img->find_topic("t")->id);
  req.topics[0].partitions.resize(1);
  req.session_epoch = 0;  // a new session
  auto first = env.call<protocol::fetch_api>(16, req);
  ASSERT_EQ(first->responses.at(0).partitions.at(0).error_code, error_code::none);
  // Broker 2 takes over; the session's next (incremental, empty) fetch hears of it.
  auto moved = std::const_pointer_cast<cluster::metadata_image>(env.node.image({{"t", 1}}));
  cluster::testing::add_three_brokers(*moved);
  cluster::testing::assign(*moved, "t", 0, {1, 2}, 2, 1);
  env.node.manager->apply_image_and_wait(moved);
  protocol::fetch_request next;
  next.session_id = first->session_id;
  next.session_epoch = 1;
  next.max_bytes = 1024 * 1024;
  auto r = env.call<protocol::fetch_api>(16, next);
  ASSERT_EQ(r->responses.size(), 1u);
  const auto& d = r->responses[0].partitions.at(0);
  EXPECT_EQ(d.error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(d.current_leader.leader_id, model::node_id(2));
  EXPECT_EQ(d.current_leader.leader_epoch, model::leader_epoch(1));
}

TEST(Leadership, PartitionScopedApisAnswerNotLeader) {
  handler_env env;
  env.node.manager->apply_image_and_wait(cluster_image(env));
  protocol::list_offsets_request lo;
  lo.replica_id = model::node_id(-1);
  auto& lt = lo.topics.emplace_back();
  lt.name = "t";
  for (int32_t p = 0; p < 5; ++p) {
    auto& lp = lt.partitions.emplace_back();
    lp.partition_index = model::partition_id(p);
    lp.timestamp = -1;
  }
  auto l = env.call<protocol::list_offsets_api>(7, lo);
  const auto& lps = l->topics.at(0).partitions;
  EXPECT_EQ(lps[0].error_code, error_code::none);
  EXPECT_EQ(lps[0].leader_epoch, model::leader_epoch(3));
  EXPECT_EQ(lps[1].error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(lps[2].error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(lps[3].error_code, error_code::not_leader_or_follower);
  EXPECT_EQ(lps[4].error_code, error_code::unknown_topic_or_partition);

  protocol::delete_records_request dr;
  auto& dt = dr.topics.emplace_back();
  dt.name = "t";
  for (int32_t p = 0; p < 2; ++p) {
    auto& dp = dt.partitions.emplace_back();
    dp.partition_index = model::partition_id(p);
    dp.offset = 0;
  }
  auto d = env.call<protocol::delete_records_api>(2, dr);
  EXPECT_EQ(d->topics.at(0).partitions[0].error_code, error_code::none);
  EXPECT_EQ(d->topics.at(0).partitions[1].error_code, error_code::not_leader_or_follower);

  protocol::offset_for_leader_epoch_request oe;
  auto& ot = oe.topics.emplace_back();
  ot.topic = "t";
  for (int32_t p = 0; p < 2; ++p) {
    auto& op = ot.partitions.emplace_back();
    op.partition = p;
    op.leader_epoch = model::leader_epoch(0);
  }
  auto o = env.call<protocol::offset_for_leader_epoch_api>(4, oe);
  EXPECT_EQ(o->topics.at(0).partitions[0].error_code, error_code::none);
  EXPECT_EQ(o->topics.at(0).partitions[1].error_code, error_code::not_leader_or_follower);

  protocol::describe_producers_request dp;
  auto& pt = dp.topics.emplace_back();
  pt.name = "t";
  pt.partition_indexes = {model::partition_id(0), model::partition_id(3)};
  auto p = env.call<protocol::describe_producers_api>(0, dp);
  EXPECT_EQ(p->topics.at(0).partitions[0].error_code, error_code::none);
  EXPECT_EQ(p->topics.at(0).partitions[1].error_code, error_code::not_leader_or_follower);
}

}  // namespace
}  // namespace vltava::kafka
