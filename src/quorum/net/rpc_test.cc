#include "quorum/net/rpc.h"

#include <gtest/gtest.h>

#include <deque>

#include "quorum/net/testing.h"

namespace vltava::quorum::rpc {
namespace {

using protocol::error_code;
using testing::batch_entry;
using testing::batch_kind;
using testing::through_wire;

const local_quorum local{"cluster-a", model::node_id(2)};
constexpr correlation_id corr(41);

class RpcTest : public ::testing::Test {
 protected:
  // Requesting side → wire → answering side.
  template <typename KafkaRequest>
  auto answered(const KafkaRequest& k, int16_t version) {
    return from_kafka(through_wire(k, version, _frames), version, corr, local);
  }
  // Answering side → wire → requesting side.
  template <typename KafkaResponse>
  message returned(const KafkaResponse& k, int16_t version) {
    auto m = from_kafka(through_wire(k, version, _frames), corr);
    EXPECT_TRUE(m) << (m ? "" : m.error());
    return m ? std::move(*m) : message{};
  }
  std::deque<std::vector<std::byte>> _frames;
};

// A copy: the message is often a temporary.
template <typename T>
T body(const message& m) {
  EXPECT_EQ(m.correlation, corr);
  return std::get<T>(m.body);
}

// --- Vote ---------------------------------------------------------------------------------

TEST_F(RpcTest, VoteRequestRoundTripsAtEveryVersion) {
  for (int16_t v = 0; v <= 2; ++v) {
    for (bool pre_vote : {false, true}) {
      if (pre_vote && v < 2) continue;
      vote_request q{"cluster-a",        model::leader_epoch(7),
                     model::node_id(3),  model::leader_epoch(6),
                     model::offset(120), pre_vote};
      auto in = answered(to_kafka(q, local.self, v), v);
      ASSERT_TRUE(in) << "v" << v;
      EXPECT_EQ(in->from, model::node_id(3));
      const auto& got = body<vote_request>(in->request);
      EXPECT_EQ(got.cluster_id, q.cluster_id);
      EXPECT_EQ(got.epoch, q.epoch);
      EXPECT_EQ(got.candidate_id, q.candidate_id);
      EXPECT_EQ(got.last_offset_epoch, q.last_offset_epoch);
      EXPECT_EQ(got.last_offset, q.last_offset);
      EXPECT_EQ(got.pre_vote, pre_vote);
    }
  }
}

TEST_F(RpcTest, VoteResponseRoundTripsAtEveryVersion) {
  for (int16_t v = 0; v <= 2; ++v) {
    for (auto leader : {std::optional<model::node_id>{}, std::optional(model::node_id(1))}) {
      vote_response q{errc::fenced_leader_epoch, model::leader_epoch(9), leader, true};
      const auto& got = body<vote_response>(returned(to_kafka(q), v));
      EXPECT_EQ(got.error, q.error);
      EXPECT_EQ(got.epoch, q.epoch);
      EXPECT_EQ(got.leader_id, q.leader_id);
      EXPECT_EQ(got.vote_granted, q.vote_granted);
    }
  }
}

TEST_F(RpcTest, VoteWithAnotherClusterIdIsRefusedAtTheTopLevel) {
  vote_request q{"cluster-b",        model::leader_epoch(7),
                 model::node_id(3),  model::leader_epoch(6),
                 model::offset(120), false};
  auto in = answered(to_kafka(q, local.self, 2), 2);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().error_code, error_code::inconsistent_cluster_id);
  EXPECT_TRUE(in.error().topics.empty());
  // And the requesting side reads it back as the quorum's error.
  EXPECT_EQ(body<vote_response>(returned(in.error(), 2)).error, errc::inconsistent_cluster_id);
}

TEST_F(RpcTest, RequestsWithoutClusterIdAreNotChecked) {
  auto k = to_kafka(vote_request{"", model::leader_epoch(7), model::node_id(3),
                                 model::leader_epoch(6), model::offset(1), false},
                    local.self, 2);
  k.cluster_id = std::nullopt;
  auto in = answered(k, 2);
  ASSERT_TRUE(in);
  EXPECT_EQ(body<vote_request>(in->request).cluster_id, local.cluster_id);
}

TEST_F(RpcTest, VoteForAnotherTopicOrPartitionIsAnInvalidRequest) {
  vote_request q{"cluster-a",       model::leader_epoch(7),
                 model::node_id(3), model::leader_epoch(6),
                 model::offset(1),  false};
  auto other_topic = to_kafka(q, local.self, 2);
  other_topic.topics[0].topic_name = "orders";
  auto other_partition = to_kafka(q, local.self, 2);
  other_partition.topics[0].partitions[0].partition_index = model::partition_id(1);
  auto two_partitions = to_kafka(q, local.self, 2);
  two_partitions.topics[0].partitions.push_back(two_partitions.topics[0].partitions[0]);
  for (const auto& k : {other_topic, other_partition, two_partitions}) {
    auto in = answered(k, 2);
    ASSERT_FALSE(in);
    EXPECT_EQ(in.error().error_code, error_code::invalid_request);
  }
}

TEST_F(RpcTest, VoteMeantForAnotherVoterOrWithNegativeOffsetsIsRefusedForThePartition) {
  vote_request q{"cluster-a",       model::leader_epoch(7),
                 model::node_id(3), model::leader_epoch(6),
                 model::offset(1),  false};
  auto in = answered(to_kafka(q, model::node_id(5), 1), 1);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().topics.at(0).partitions.at(0).error_code, error_code::invalid_voter_key);
  q.last_offset = model::offset(-1);
  in = answered(to_kafka(q, local.self, 2), 2);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().topics.at(0).partitions.at(0).error_code, error_code::invalid_request);
  auto back = returned(in.error(), 2);
  EXPECT_EQ(body<vote_response>(back).error, errc::invalid_request);
  EXPECT_EQ(body<vote_response>(back).leader_id, std::nullopt);
}

TEST_F(RpcTest, ResponseForAnotherPartitionIsAnError) {
  auto k = to_kafka(vote_response{errc::none, model::leader_epoch(1), std::nullopt, true});
  k.topics[0].partitions[0].partition_index = model::partition_id(3);
  EXPECT_FALSE(from_kafka(through_wire(k, 2, _frames), corr));
}

// --- BeginQuorumEpoch, EndQuorumEpoch -----------------------------------------------------

TEST_F(RpcTest, BeginQuorumEpochRoundTripsAtEveryVersion) {
  for (int16_t v = 0; v <= 1; ++v) {
    begin_quorum_epoch_request q{"cluster-a", model::leader_epoch(4), model::node_id(1)};
    auto in = answered(to_kafka(q, local.self, v), v);
    ASSERT_TRUE(in);
    EXPECT_EQ(in->from, model::node_id(1));
    const auto& got = body<begin_quorum_epoch_request>(in->request);
    EXPECT_EQ(got.cluster_id, q.cluster_id);
    EXPECT_EQ(got.epoch, q.epoch);
    EXPECT_EQ(got.leader_id, q.leader_id);

    begin_quorum_epoch_response r{errc::none, model::leader_epoch(4), model::node_id(1)};
    const auto& back = body<begin_quorum_epoch_response>(returned(to_kafka(r), v));
    EXPECT_EQ(back.error, r.error);
    EXPECT_EQ(back.epoch, r.epoch);
    EXPECT_EQ(back.leader_id, r.leader_id);
  }
}

TEST_F(RpcTest, EndQuorumEpochKeepsThePreferredSuccessorsInOrderAtEveryVersion) {
  for (int16_t v = 0; v <= 1; ++v) {
    end_quorum_epoch_request q{"cluster-a",
                               model::leader_epoch(4),
                               model::node_id(1),
                               {model::node_id(3), model::node_id(2), model::node_id(5)}};
    auto in = answered(to_kafka(q, v), v);
    ASSERT_TRUE(in);
    EXPECT_EQ(in->from, model::node_id(1));
    const auto& got = body<end_quorum_epoch_request>(in->request);
    EXPECT_EQ(got.epoch, q.epoch);
    EXPECT_EQ(got.leader_id, q.leader_id);
    EXPECT_EQ(got.preferred_successors, q.preferred_successors);

    end_quorum_epoch_response r{errc::not_leader_or_follower, model::leader_epoch(5), std::nullopt};
    const auto& back = body<end_quorum_epoch_response>(returned(to_kafka(r), v));
    EXPECT_EQ(back.error, r.error);
    EXPECT_EQ(back.epoch, r.epoch);
    EXPECT_EQ(back.leader_id, r.leader_id);
  }
}

TEST_F(RpcTest, EpochRequestsWithAnotherClusterIdOrPartitionAreRefusedAtTheTopLevel) {
  auto begin =
      to_kafka(begin_quorum_epoch_request{"cluster-b", model::leader_epoch(4), model::node_id(1)},
               local.self, 1);
  auto in = answered(begin, 1);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().error_code, error_code::inconsistent_cluster_id);
  auto end = to_kafka(
      end_quorum_epoch_request{"cluster-a", model::leader_epoch(4), model::node_id(1), {}}, 1);
  end.topics[0].topic_name = "__consumer_offsets";
  auto refused = answered(end, 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error_code, error_code::invalid_request);
}

// --- Fetch --------------------------------------------------------------------------------

TEST_F(RpcTest, FetchRequestRoundTripsAtEveryVersionFrom12) {
  for (int16_t v = fetch_min_version; v <= protocol::fetch_api::max_version; ++v) {
    fetch_request q{"cluster-a", model::leader_epoch(5), model::node_id(3), model::offset(77),
                    model::leader_epoch(4)};
    auto in = answered(to_kafka(q, v), v);
    ASSERT_TRUE(in) << "v" << v;
    EXPECT_EQ(in->from, model::node_id(3));
    const auto& got = body<fetch_request>(in->request);
    EXPECT_EQ(got.cluster_id, q.cluster_id);
    EXPECT_EQ(got.epoch, q.epoch);
    EXPECT_EQ(got.replica_id, q.replica_id);
    EXPECT_EQ(got.fetch_offset, q.fetch_offset);
    EXPECT_EQ(got.last_fetched_epoch, q.last_fetched_epoch);
  }
}

TEST_F(RpcTest, FetchResponseCarriesBatchesOfSeveralRecordsAndAControlBatch) {
  std::vector<entry> entries{batch_entry(10, 3, 1, batch_kind::control), batch_entry(11, 3, 4),
                             batch_entry(15, 3, 2), batch_entry(17, 4, 1, batch_kind::control),
                             batch_entry(18, 4, 3)};
  for (int16_t v = fetch_min_version; v <= protocol::fetch_api::max_version; ++v) {
    fetch_response q{errc::none,        model::leader_epoch(4), model::node_id(1),
                     model::offset(15), std::nullopt,           entries};
    fetch_answer a = to_kafka(q, v);
    const auto& got = body<fetch_response>(returned(a.body, v));
    EXPECT_EQ(got.error, errc::none);
    EXPECT_EQ(got.epoch, q.epoch);
    EXPECT_EQ(got.leader_id, q.leader_id);
    EXPECT_EQ(got.high_watermark, q.high_watermark);
    EXPECT_FALSE(got.diverging);
    EXPECT_EQ(got.entries, entries) << "v" << v;
  }
}

TEST_F(RpcTest, FetchResponseWithDivergingEpochAndNoRecords) {
  fetch_response q{errc::none,
                   model::leader_epoch(6),
                   model::node_id(2),
                   model::offset(30),
                   diverging_epoch{model::leader_epoch(4), model::offset(25)},
                   {}};
  fetch_answer a = to_kafka(q, 17);
  EXPECT_TRUE(a.records.empty());
  const auto& got = body<fetch_response>(returned(a.body, 17));
  ASSERT_TRUE(got.diverging);
  EXPECT_EQ(got.diverging->epoch, model::leader_epoch(4));
  EXPECT_EQ(got.diverging->end_offset, model::offset(25));
  EXPECT_TRUE(got.entries.empty());
  EXPECT_EQ(got.leader_id, model::node_id(2));
}

TEST_F(RpcTest, FetchErrorsGoWhereKafkaPutsThem) {
  // The node's INCONSISTENT_CLUSTER_ID at the top level; its other errors in the partition.
  fetch_answer top =
      to_kafka(fetch_response{errc::inconsistent_cluster_id, {}, {}, {}, {}, {}}, 17);
  EXPECT_EQ(top.body.error_code, error_code::inconsistent_cluster_id);
  EXPECT_TRUE(top.body.responses.empty());
  EXPECT_EQ(body<fetch_response>(returned(top.body, 17)).error, errc::inconsistent_cluster_id);
  fetch_answer fenced = to_kafka(
      fetch_response{
          errc::fenced_leader_epoch, model::leader_epoch(8), model::node_id(1), {}, {}, {}},
      17);
  EXPECT_EQ(fenced.body.error_code, error_code::none);
  EXPECT_EQ(fenced.body.responses.at(0).partitions.at(0).error_code,
            error_code::fenced_leader_epoch);
  const auto& back = body<fetch_response>(returned(fenced.body, 17));
  EXPECT_EQ(back.error, errc::fenced_leader_epoch);
  EXPECT_EQ(back.epoch, model::leader_epoch(8));
}

TEST_F(RpcTest, FetchRequestsKafkaRefusesBeforeTheNodeSeesThem) {
  fetch_request q{"cluster-a", model::leader_epoch(5), model::node_id(3), model::offset(7),
                  model::leader_epoch(4)};
  auto other_cluster = to_kafka(q, 17);
  other_cluster.cluster_id = "cluster-b";
  auto other_topic = to_kafka(q, 17);
  other_topic.topics[0].topic_id = protocol::uuid{};
  auto other_partition = to_kafka(q, 12);
  other_partition.topics[0].partitions[0].partition = 1;
  auto negative_offset = to_kafka(q, 17);
  negative_offset.topics[0].partitions[0].fetch_offset = model::offset(-1);
  auto epoch_ahead = to_kafka(q, 17);
  epoch_ahead.topics[0].partitions[0].last_fetched_epoch = model::leader_epoch(6);

  auto top_level = [this](const protocol::fetch_request& k, int16_t v) {
    auto in = answered(k, v);
    return in ? error_code::none : in.error().error_code;
  };
  EXPECT_EQ(top_level(other_cluster, 17), error_code::inconsistent_cluster_id);
  EXPECT_EQ(top_level(other_topic, 17), error_code::invalid_request);
  EXPECT_EQ(top_level(other_partition, 12), error_code::invalid_request);
  for (const auto& k : {negative_offset, epoch_ahead}) {
    auto in = answered(k, 17);
    ASSERT_FALSE(in);
    EXPECT_EQ(in.error().error_code, error_code::none);
    EXPECT_EQ(in.error().responses.at(0).partitions.at(0).error_code, error_code::invalid_request);
  }
}

TEST_F(RpcTest, FetchResponseWithMalformedRecordsIsAnErrorValue) {
  std::vector<entry> entries{batch_entry(0, 1, 3), batch_entry(3, 1, 2)};
  fetch_answer a = to_kafka(fetch_response{errc::none, model::leader_epoch(1), model::node_id(1),
                                           model::offset(5), std::nullopt, entries},
                            17);
  std::vector<std::byte> truncated(a.records.begin(), a.records.end() - 7);
  a.body.responses[0].partitions[0].records.data = truncated;
  EXPECT_FALSE(from_kafka(through_wire(a.body, 17, _frames), corr));
  std::vector<std::byte> corrupt = a.records;
  corrupt.back() ^= std::byte{0x5a};  // inside the second batch's CRC range
  a.body.responses[0].partitions[0].records.data = corrupt;
  auto m = from_kafka(through_wire(a.body, 17, _frames), corr);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().find("batch 1"), std::string::npos) << m.error();
}

// --- DescribeQuorum -----------------------------------------------------------------------

protocol::describe_quorum_request describe_request(std::string topic, int32_t partition) {
  protocol::describe_quorum_request r;
  r.topics.push_back({std::move(topic), {{model::partition_id(partition), {}}}, {}});
  return r;
}

TEST_F(RpcTest, DescribeQuorumOnTheLeaderListsTheVoters) {
  quorum_description d{model::leader_epoch(3),
                       model::node_id(2),
                       model::offset(40),
                       {{model::node_id(1), model::offset(38), std::chrono::milliseconds(500)},
                        {model::node_id(2), model::offset(41), std::nullopt}}};
  for (int16_t v = 0; v <= 2; ++v) {
    auto k = through_wire(describe_quorum(describe_request("__cluster_metadata", 0), d,
                                          model::node_id(2), std::chrono::milliseconds(1000)),
                          v, _frames);
    const auto& p = k.topics.at(0).partitions.at(0);
    EXPECT_EQ(p.error_code, error_code::none);
    EXPECT_EQ(p.leader_id, model::node_id(2));
    EXPECT_EQ(p.leader_epoch, model::leader_epoch(3));
    EXPECT_EQ(p.high_watermark, model::offset(40));
    ASSERT_EQ(p.current_voters.size(), 2u);
    EXPECT_EQ(p.current_voters[0].log_end_offset, 38);
    EXPECT_EQ(p.current_voters[0].last_fetch_timestamp, v >= 1 ? 1500 : -1);
    EXPECT_EQ(p.current_voters[1].last_fetch_timestamp, -1);
    EXPECT_TRUE(p.observers.empty());
  }
}

TEST_F(RpcTest, DescribeQuorumListsObserversWithTheirCaughtUpTimes) {
  using std::chrono::milliseconds;
  quorum_description d{model::leader_epoch(3), model::node_id(1), model::offset(40), {}, {}};
  d.voters.push_back({model::node_id(1), model::offset(40), std::nullopt, std::nullopt});
  d.voters.push_back({model::node_id(2), model::offset(40), milliseconds(700), milliseconds(650)});
  d.observers.push_back(
      {model::node_id(4), model::offset(39), milliseconds(800), milliseconds(600)});
  for (int16_t v = 0; v <= 2; ++v) {
    auto k = through_wire(describe_quorum(describe_request("__cluster_metadata", 0), d,
                                          model::node_id(1), milliseconds(1000)),
                          v, _frames);
    const auto& p = k.topics.at(0).partitions.at(0);
    ASSERT_EQ(p.current_voters.size(), 2u);
    EXPECT_EQ(p.current_voters[1].last_caught_up_timestamp, v >= 1 ? 1650 : -1);
    ASSERT_EQ(p.observers.size(), 1u);
    EXPECT_EQ(p.observers[0].replica_id, model::node_id(4));
    EXPECT_EQ(p.observers[0].log_end_offset, 39);
    EXPECT_EQ(p.observers[0].last_fetch_timestamp, v >= 1 ? 1800 : -1);
    EXPECT_EQ(p.observers[0].last_caught_up_timestamp, v >= 1 ? 1600 : -1);
  }
}

TEST_F(RpcTest, DescribeQuorumElsewhereAnswersAsKafkaDoes) {
  quorum_description d{model::leader_epoch(3), model::node_id(1), model::offset(40), {}};
  auto follower = describe_quorum(describe_request("__cluster_metadata", 0), d, model::node_id(2),
                                  std::chrono::milliseconds(0));
  EXPECT_EQ(follower.topics.at(0).partitions.at(0).error_code, error_code::not_leader_or_follower);
  auto other = describe_quorum(describe_request("orders", 4), d, model::node_id(1),
                               std::chrono::milliseconds(0));
  EXPECT_EQ(other.topics.at(0).topic_name, "orders");
  EXPECT_EQ(other.topics.at(0).partitions.at(0).partition_index, model::partition_id(4));
  EXPECT_EQ(other.topics.at(0).partitions.at(0).error_code, error_code::unknown_topic_or_partition);
}

}  // namespace
}  // namespace vltava::quorum::rpc

namespace vltava::quorum::rpc {
namespace {

// --- FetchSnapshot (KIP-630) ----------------------------------------------------------------

TEST_F(RpcTest, FetchSnapshotRequestRoundTripsAtBothVersions) {
  for (int16_t v = 0; v <= 1; ++v) {
    fetch_snapshot_request q{"cluster-a",
                             model::leader_epoch(5),
                             model::node_id(3),
                             {model::offset(1234), model::leader_epoch(4)},
                             4096,
                             1 << 20};
    auto in = answered(to_kafka(q, v), v);
    ASSERT_TRUE(in) << "v" << v;
    EXPECT_EQ(in->from, model::node_id(3));
    const auto& got = body<fetch_snapshot_request>(in->request);
    EXPECT_EQ(got.cluster_id, q.cluster_id);
    EXPECT_EQ(got.epoch, q.epoch);
    EXPECT_EQ(got.snapshot, q.snapshot);
    EXPECT_EQ(got.position, q.position);
    EXPECT_EQ(got.max_bytes, q.max_bytes);
  }
}

TEST_F(RpcTest, FetchSnapshotResponseCarriesTheChunk) {
  fetch_snapshot_response q{errc::none,
                            model::leader_epoch(6),
                            model::node_id(1),
                            {model::offset(1234), model::leader_epoch(4)},
                            10000,
                            4096,
                            std::string(300, 'x')};
  fetch_snapshot_answer a = to_kafka(q);
  const auto& got = body<fetch_snapshot_response>(returned(a.body, 1));
  EXPECT_EQ(got.error, errc::none);
  EXPECT_EQ(got.epoch, q.epoch);
  EXPECT_EQ(got.leader_id, q.leader_id);
  EXPECT_EQ(got.snapshot, q.snapshot);
  EXPECT_EQ(got.size, 10000);
  EXPECT_EQ(got.position, 4096);
  EXPECT_EQ(got.bytes, q.bytes);
}

TEST_F(RpcTest, FetchSnapshotErrorsGoWhereKafkaPutsThem) {
  // The node's errors are the partition's, with its leader.
  for (auto e :
       {errc::snapshot_not_found, errc::position_out_of_range, errc::fenced_leader_epoch}) {
    fetch_snapshot_answer a = to_kafka(
        fetch_snapshot_response{e, model::leader_epoch(6), model::node_id(1), {}, 0, 0, {}});
    ASSERT_EQ(a.body.topics.size(), 1u);
    EXPECT_EQ(a.body.topics[0].partitions[0].error_code, static_cast<protocol::error_code>(e));
    EXPECT_EQ(a.body.topics[0].partitions[0].current_leader.leader_id, model::node_id(1));
    EXPECT_EQ(body<fetch_snapshot_response>(returned(a.body, 1)).error, e);
  }
  // A wrong cluster id at the top level; another partition UNKNOWN_TOPIC_OR_PARTITION.
  fetch_snapshot_request q{"other", model::leader_epoch(5), model::node_id(3), {}, 0, 100};
  auto wrong = answered(to_kafka(q, 1), 1);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().error_code, protocol::error_code::inconsistent_cluster_id);
  auto k = to_kafka(
      fetch_snapshot_request{"cluster-a", model::leader_epoch(5), model::node_id(3), {}, 0, 100},
      1);
  k.topics[0].partitions[0].partition = 1;
  auto other = answered(k, 1);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().topics[0].partitions[0].error_code,
            protocol::error_code::unknown_topic_or_partition);
}

TEST_F(RpcTest, FetchResponseNamesTheSnapshotToFetch) {
  fetch_response q{errc::none, model::leader_epoch(6), model::node_id(1), model::offset(50), {},
                   {}};
  q.snapshot = snapshot_id{model::offset(40), model::leader_epoch(5)};
  for (int16_t v = fetch_min_version; v <= protocol::fetch_api::max_version; ++v) {
    fetch_answer a = to_kafka(q, v);
    const auto& got = body<fetch_response>(returned(a.body, v));
    EXPECT_EQ(got.snapshot, q.snapshot) << "v" << v;
    EXPECT_TRUE(got.entries.empty());
  }
}

}  // namespace
}  // namespace vltava::quorum::rpc
