#include "cluster/metadata_snapshot.h"

#include <gtest/gtest.h>

namespace vltava::cluster {
namespace {

using model::node_id;

protocol::uuid id_of(uint8_t b) {
  protocol::uuid id;
  id.bytes.fill(std::byte{b});
  return id;
}

// An image built the way the log builds one: records applied in order, including changes that
// a snapshot must carry as their result (a partition's new leader and ISR, a broker in
// controlled shutdown, a removed topic, overrides set and removed).
metadata_image image_with_history(topic_id_index& ids) {
  metadata_image img;
  img.cluster_id = "c";
  std::vector<metadata_record> log;
  for (int b = 1; b <= 3; ++b) {
    protocol::metadata_register_broker_record r;
    r.broker_id = node_id(b);
    r.incarnation_id = id_of(static_cast<uint8_t>(b));
    r.broker_epoch = 10 * b;
    r.endpoints.push_back({.name = "PLAINTEXT",
                           .host = "127.0.0.1",
                           .port = static_cast<uint16_t>(9090 + b),
                           .security_protocol = 0});
    if (b == 2) r.rack = "rack-a";
    r.fenced = b == 3;
    log.emplace_back(r);
  }
  protocol::metadata_broker_registration_change_record shut;
  shut.broker_id = node_id(2);
  shut.broker_epoch = 20;
  shut.in_controlled_shutdown = 1;
  log.emplace_back(shut);
  for (uint8_t t = 1; t <= 3; ++t) {
    protocol::metadata_topic_record topic;
    topic.name = "t" + std::to_string(t);
    topic.topic_id = id_of(t + 10);
    log.emplace_back(topic);
    for (int p = 0; p < t; ++p) {
      protocol::metadata_partition_record part;
      part.topic_id = topic.topic_id;
      part.partition_index = model::partition_id(p);
      part.replica_nodes = {node_id(1), node_id(2)};
      part.isr_nodes = {node_id(1), node_id(2)};
      part.leader_id = node_id(1);
      log.emplace_back(part);
    }
  }
  protocol::metadata_config_record c{.resource_type = resource_type_topic,
                                     .resource_name = "t2",
                                     .name = "retention.ms",
                                     .value = "1000"};
  log.emplace_back(c);
  c.name = "cleanup.policy";
  c.value = "compact";
  log.emplace_back(c);
  c.value = std::nullopt;  // removed again
  log.emplace_back(c);
  log.emplace_back(protocol::metadata_config_record{.resource_type = resource_type_broker,
                                                    .resource_name = "",
                                                    .name = "log.retention.ms",
                                                    .value = "5"});
  log.emplace_back(protocol::metadata_config_record{.resource_type = resource_type_broker,
                                                    .resource_name = "2",
                                                    .name = "log.segment.bytes",
                                                    .value = "100000"});
  protocol::metadata_partition_change_record change;
  change.topic_id = id_of(13);
  change.partition_index = model::partition_id(2);
  change.isr_nodes = {node_id(2)};
  change.leader_id = node_id(2);
  change.leader_epoch = model::leader_epoch(4);
  change.partition_epoch = 3;
  log.emplace_back(change);
  protocol::metadata_remove_topic_record rm;
  rm.topic_id = id_of(11);
  log.emplace_back(rm);
  protocol::metadata_producer_ids_record pids;
  pids.broker_id = node_id(1);
  pids.broker_epoch = 10;
  pids.next_producer_id = 3000;
  log.emplace_back(pids);
  // Security state: an ACL, and credentials of which one was deleted again.
  log.emplace_back(acl_record(
      id_of(40),
      security::acl_binding{security::resource_type::topic, "t2", security::pattern_type::literal,
                            "User:alice", "*", security::acl_operation::read,
                            security::acl_permission::allow}));
  using security::scram_mechanism;
  for (auto m : {scram_mechanism::sha256, scram_mechanism::sha512}) {
    log.emplace_back(
        scram_record("alice", m, security::make_scram_credential(m, "pw", {1, 2}, 4096)));
  }
  log.emplace_back(
      scram_record("bob", scram_mechanism::sha256,
                   security::make_scram_credential(scram_mechanism::sha256, "b", {3}, 8192)));
  protocol::metadata_remove_user_scram_credential_record rm_bob;
  rm_bob.name = "bob";
  rm_bob.mechanism = 1;
  log.emplace_back(rm_bob);
  const security::quota_entity alice_app{{"user", "alice"}, {"client-id", "app"}};
  const security::quota_entity any_client{{"client-id", std::nullopt}};
  log.emplace_back(client_quota_record(alice_app, "producer_byte_rate", 1048576, false));
  log.emplace_back(client_quota_record(alice_app, "request_percentage", 12.5, false));
  log.emplace_back(client_quota_record(any_client, "consumer_byte_rate", 2048, false));
  log.emplace_back(client_quota_record(alice_app, "request_percentage", 0, true));
  for (const auto& r : log) EXPECT_TRUE(apply_record(img, ids, r).has_value());
  img.offset = 41;
  return img;
}

void expect_same(const metadata_image& a, const metadata_image& b) {
  EXPECT_EQ(a.cluster_id, b.cluster_id);
  EXPECT_EQ(a.offset, b.offset);
  ASSERT_EQ(a.brokers.size(), b.brokers.size());
  for (std::size_t i = 0; i < a.brokers.size(); ++i) {
    const auto &x = a.brokers[i], &y = b.brokers[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.epoch, y.epoch);
    EXPECT_EQ(x.incarnation_id, y.incarnation_id);
    EXPECT_EQ(x.rack, y.rack);
    EXPECT_EQ(x.fenced, y.fenced);
    EXPECT_EQ(x.in_controlled_shutdown, y.in_controlled_shutdown);
    ASSERT_EQ(x.endpoints.size(), y.endpoints.size());
    EXPECT_EQ(x.endpoints[0].port, y.endpoints[0].port);
  }
  ASSERT_EQ(a.topics.size(), b.topics.size());
  for (const auto& [name, t] : a.topics) {
    const auto* u = b.find_topic(name);
    ASSERT_NE(u, nullptr) << name;
    EXPECT_EQ(t.id, u->id);
    EXPECT_EQ(t.partition_count, u->partition_count);
    EXPECT_EQ(t.replication_factor, u->replication_factor);
    EXPECT_EQ(t.config_overrides, u->config_overrides);
    EXPECT_EQ(t.internal, u->internal);
    ASSERT_EQ(t.partitions.size(), u->partitions.size());
    for (std::size_t p = 0; p < t.partitions.size(); ++p) {
      EXPECT_EQ(t.partitions[p].replicas, u->partitions[p].replicas);
      EXPECT_EQ(t.partitions[p].isr, u->partitions[p].isr);
      EXPECT_EQ(t.partitions[p].leader, u->partitions[p].leader);
      EXPECT_EQ(t.partitions[p].leader_epoch, u->partitions[p].leader_epoch);
      EXPECT_EQ(t.partitions[p].partition_epoch, u->partitions[p].partition_epoch);
    }
  }
  EXPECT_EQ(a.node_config_overrides, b.node_config_overrides);
  EXPECT_EQ(a.cluster_config_overrides, b.cluster_config_overrides);
  EXPECT_EQ(a.next_producer_id, b.next_producer_id);
  EXPECT_EQ(a.acls.by_id(), b.acls.by_id());
  EXPECT_EQ(a.scram_credentials, b.scram_credentials);
  EXPECT_EQ(a.client_quotas, b.client_quotas);
}

TEST(metadata_snapshot, an_image_replays_from_its_records_unchanged) {
  topic_id_index ids;
  auto img = image_with_history(ids);
  ASSERT_EQ(img.topics.size(), 2u);
  auto batches = image_batches(img, 123);
  auto back = image_from_batches(batches, "c", 42);
  ASSERT_TRUE(back) << back.error();
  expect_same(img, back->image);
  EXPECT_EQ(back->image.acls.size(), 1u);
  EXPECT_EQ(back->image.scram_credentials.size(), 2u);
  ASSERT_EQ(back->image.client_quotas.size(), 2u);
  EXPECT_EQ(back->image.client_quotas.begin()->second.size(), 1u);  // one value removed
  EXPECT_EQ(back->ids, ids);
}

TEST(metadata_snapshot, large_images_span_bounded_batches) {
  metadata_image img;
  img.cluster_id = "c";
  topic_id_index ids;
  protocol::metadata_topic_record t{.name = "big", .topic_id = id_of(5)};
  ASSERT_TRUE(apply_record(img, ids, t));
  for (int p = 0; p < 2500; ++p) {
    protocol::metadata_partition_record part;
    part.topic_id = id_of(5);
    part.partition_index = model::partition_id(p);
    part.replica_nodes = {node_id(1)};
    part.isr_nodes = {node_id(1)};
    part.leader_id = node_id(1);
    ASSERT_TRUE(apply_record(img, ids, part));
  }
  auto batches = image_batches(img, 1);
  EXPECT_EQ(batches.size(), 3u);  // 2,501 records, 1,000 a batch
  auto back = image_from_batches(batches, "c", 10);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->image.find_topic("big")->partition_count, 2500);
}

TEST(metadata_snapshot, an_empty_image_has_no_records) {
  metadata_image img;
  EXPECT_TRUE(image_records(img).empty());
  auto back = image_from_batches({}, "c", 5);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->image.offset, 4);
}

TEST(metadata_snapshot, a_batch_that_does_not_apply_is_an_error) {
  protocol::metadata_partition_record orphan;
  orphan.topic_id = id_of(9);
  orphan.replica_nodes = {node_id(1)};
  std::vector<metadata_record> records{orphan};
  std::vector<std::vector<std::byte>> batches{build_metadata_batch(records, 1)};
  EXPECT_FALSE(image_from_batches(batches, "c", 5));
}

}  // namespace
}  // namespace vltava::cluster
