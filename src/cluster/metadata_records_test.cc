#include "cluster/metadata_records.h"

#include <gtest/gtest.h>

#include <set>

namespace vltava::cluster {
namespace {

protocol::uuid id_of(uint8_t b) {
  protocol::uuid id;
  id.bytes.fill(std::byte{b});
  return id;
}

std::vector<metadata_record> sample() {
  std::vector<metadata_record> out;
  protocol::metadata_topic_record t;
  t.name = "orders";
  t.topic_id = id_of(7);
  out.emplace_back(t);
  protocol::metadata_config_record c;
  c.resource_type = resource_type_topic;
  c.resource_name = "orders";
  c.name = "retention.ms";
  c.value = "1000";
  out.emplace_back(c);
  for (int i = 0; i < 2; ++i) {
    protocol::metadata_partition_record p;
    p.topic_id = id_of(7);
    p.partition_index = model::partition_id(i);
    p.replica_nodes = {model::node_id(1)};
    p.isr_nodes = {model::node_id(1)};
    p.leader_id = model::node_id(1);
    p.leader_epoch = model::leader_epoch(0);
    out.emplace_back(p);
  }
  return out;
}

TEST(metadata_records, batch_round_trip_and_apply) {
  auto records = sample();
  auto batch = build_metadata_batch(records, 1'700'000'000'000);
  auto read = read_metadata_batch(batch);
  ASSERT_TRUE(read.has_value()) << read.error();
  ASSERT_EQ(read->size(), records.size());
  EXPECT_TRUE((*read)[0] == records[0]);
  EXPECT_TRUE((*read)[3] == records[3]);
  metadata_image img;
  topic_id_index ids;
  for (const auto& r : *read) ASSERT_TRUE(apply_record(img, ids, r).has_value());
  const topic_info* t = img.find_topic("orders");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->partition_count, 2);
  EXPECT_EQ(t->replication_factor, 1);
  EXPECT_EQ(t->config_overrides.at("retention.ms"), "1000");
  protocol::metadata_remove_topic_record rm;
  rm.topic_id = id_of(7);
  ASSERT_TRUE(apply_record(img, ids, rm).has_value());
  EXPECT_TRUE(img.topics.empty());
  EXPECT_FALSE(apply_record(img, ids, rm).has_value());
}

TEST(metadata_records, contradictions_are_refused) {
  metadata_image img;
  topic_id_index ids;
  auto records = sample();
  ASSERT_TRUE(apply_record(img, ids, records[0]).has_value());
  EXPECT_FALSE(apply_record(img, ids, records[0]).has_value());  // created twice
  EXPECT_FALSE(apply_record(img, ids, records[3]).has_value());  // partition 1 before 0
}

TEST(metadata_records, corrupt_values_and_batches_are_refused) {
  auto value = encode_record_value(sample()[0]);
  auto bad_type = value;
  bad_type[1] = std::byte{99};  // header is flexible: [record_type int16][version int16]...
  EXPECT_FALSE(decode_record_value(bad_type).has_value());
  auto trailing = value;
  trailing.push_back(std::byte{0});
  EXPECT_FALSE(decode_record_value(trailing).has_value());
  auto batch = build_metadata_batch(sample(), 1);
  batch.back() ^= std::byte{1};
  EXPECT_FALSE(read_metadata_batch(batch).has_value());
}

TEST(metadata_records, acl_records_round_trip_and_apply) {
  security::acl_binding b{security::resource_type::topic,
                          "orders-",
                          security::pattern_type::prefixed,
                          "User:alice",
                          "*",
                          security::acl_operation::write,
                          security::acl_permission::allow};
  std::vector<metadata_record> records{acl_record(id_of(3), b)};
  protocol::metadata_remove_access_control_entry_record rm;
  rm.id = id_of(3);
  records.emplace_back(rm);
  auto read = read_metadata_batch(build_metadata_batch(records, 1));
  ASSERT_TRUE(read.has_value()) << read.error();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_TRUE((*read)[0] == records[0]);
  // Kafka's codes: AccessControlEntryRecord 22, RemoveAccessControlEntryRecord 23.
  auto value = encode_record_value(records[0]);
  EXPECT_EQ(value[1], std::byte{22});
  EXPECT_EQ(encode_record_value(records[1])[1], std::byte{23});

  metadata_image img;
  topic_id_index ids;
  ASSERT_TRUE(apply_record(img, ids, (*read)[0]).has_value());
  ASSERT_EQ(img.acls.size(), 1u);
  EXPECT_EQ(img.acls.by_id().begin()->second, b);
  EXPECT_FALSE(apply_record(img, ids, (*read)[0]).has_value());  // the id twice
  ASSERT_TRUE(apply_record(img, ids, (*read)[1]).has_value());
  EXPECT_TRUE(img.acls.empty());
  EXPECT_FALSE(apply_record(img, ids, (*read)[1]).has_value());  // unknown id
  auto invalid = b;
  invalid.name = "";
  EXPECT_FALSE(apply_record(img, ids, acl_record(id_of(4), invalid)).has_value());
}

TEST(metadata_records, scram_records_round_trip_and_apply) {
  using security::scram_mechanism;
  auto cred = security::make_scram_credential(scram_mechanism::sha512, "pw", {9, 8, 7}, 4096);
  std::vector<metadata_record> records{scram_record("alice", scram_mechanism::sha512, cred)};
  protocol::metadata_remove_user_scram_credential_record rm;
  rm.name = "alice";
  rm.mechanism = 2;
  records.emplace_back(rm);
  auto read = read_metadata_batch(build_metadata_batch(records, 1));
  ASSERT_TRUE(read.has_value()) << read.error();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_TRUE((*read)[0] == records[0]);
  // Kafka's codes: UserScramCredentialRecord 11, RemoveUserScramCredentialRecord 12; Kafka's
  // mechanism type 2 for SCRAM-SHA-512.
  EXPECT_EQ(encode_record_value(records[0])[1], std::byte{11});
  EXPECT_EQ(encode_record_value(records[1])[1], std::byte{12});
  EXPECT_EQ(std::get<protocol::metadata_user_scram_credential_record>(records[0]).mechanism, 2);

  metadata_image img;
  topic_id_index ids;
  ASSERT_TRUE(apply_record(img, ids, (*read)[0]).has_value());
  ASSERT_EQ(img.scram_credentials.size(), 1u);
  EXPECT_EQ(img.scram_credentials.at({"alice", scram_mechanism::sha512}), cred);
  // A second credential replaces the first, as Kafka's replay does.
  auto other = security::make_scram_credential(scram_mechanism::sha512, "pw2", {1}, 8192);
  ASSERT_TRUE(apply_record(img, ids, scram_record("alice", scram_mechanism::sha512, other)));
  EXPECT_EQ(img.scram_credentials.at({"alice", scram_mechanism::sha512}).iterations, 8192);
  ASSERT_TRUE(apply_record(img, ids, (*read)[1]).has_value());
  EXPECT_TRUE(img.scram_credentials.empty());
  EXPECT_FALSE(apply_record(img, ids, (*read)[1]).has_value());  // nothing to remove
  auto bad = scram_record("alice", scram_mechanism::sha256, cred);
  bad.mechanism = 0;  // UNKNOWN
  EXPECT_FALSE(apply_record(img, ids, bad).has_value());
  bad.mechanism = 1;
  bad.name = "";
  EXPECT_FALSE(apply_record(img, ids, bad).has_value());
}

TEST(metadata_records, client_quota_records_round_trip_and_apply) {
  const security::quota_entity alice{{"user", "alice"}};
  const security::quota_entity alice_default_client{{"client-id", std::nullopt}, {"user", "alice"}};
  std::vector<metadata_record> records{
      client_quota_record(alice, "producer_byte_rate", 1048576, false),
      client_quota_record(alice_default_client, "consumer_byte_rate", 4096, false),
      client_quota_record(alice, "producer_byte_rate", 0, true)};
  auto read = read_metadata_batch(build_metadata_batch(records, 1));
  ASSERT_TRUE(read.has_value()) << read.error();
  ASSERT_EQ(read->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE((*read)[i] == records[i]);
  EXPECT_EQ(encode_record_value(records[0])[1], std::byte{14});  // Kafka's ClientQuotaRecord
  const auto& r1 = std::get<protocol::metadata_client_quota_record>(records[1]);
  ASSERT_EQ(r1.entity.size(), 2u);
  EXPECT_EQ(r1.entity[0].entity_type, "client-id");
  EXPECT_EQ(r1.entity[0].entity_name, std::nullopt);  // the default client id

  metadata_image img;
  topic_id_index ids;
  ASSERT_TRUE(apply_record(img, ids, (*read)[0]).has_value());
  ASSERT_TRUE(apply_record(img, ids, (*read)[1]).has_value());
  EXPECT_EQ(img.client_quotas.at(alice).at("producer_byte_rate"), 1048576);
  EXPECT_EQ(img.client_quotas.at(alice_default_client).at("consumer_byte_rate"), 4096);
  // A new value replaces the old one.
  ASSERT_TRUE(apply_record(img, ids, client_quota_record(alice, "producer_byte_rate", 2, false)));
  EXPECT_EQ(img.client_quotas.at(alice).at("producer_byte_rate"), 2);
  // Removing the last value drops the entity; removing it again is corruption.
  ASSERT_TRUE(apply_record(img, ids, (*read)[2]).has_value());
  EXPECT_FALSE(img.client_quotas.contains(alice));
  EXPECT_FALSE(apply_record(img, ids, (*read)[2]).has_value());
  // What the controller never writes.
  EXPECT_FALSE(apply_record(img, ids, client_quota_record({}, "producer_byte_rate", 1, false)));
  EXPECT_FALSE(apply_record(img, ids, client_quota_record(alice, "frobs", 1, false)));
  EXPECT_FALSE(apply_record(img, ids, client_quota_record(alice, "producer_byte_rate", -1, false)));
}

TEST(metadata_records, random_uuids) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = random_uuid();
    EXPECT_NE(id, protocol::uuid{});
    EXPECT_EQ(std::to_integer<int>(id.bytes[6]) >> 4, 4);
    auto text = uuid_to_string(id);
    EXPECT_EQ(text.size(), 22u);
    EXPECT_NE(text.front(), '-');
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 1000u);
  protocol::uuid one;
  one.bytes[15] = std::byte{1};
  EXPECT_EQ(uuid_to_string(one), "AAAAAAAAAAAAAAAAAAAAAQ");  // Kafka's METADATA_TOPIC_ID text
}

}  // namespace
}  // namespace vltava::cluster

namespace vltava::cluster {
namespace {

// The worked example of docs/formats/metadata-log.md.
TEST(metadata_records, documented_example_bytes) {
  protocol::uuid id;
  for (int i = 0; i < 16; ++i) id.bytes[static_cast<size_t>(i)] = std::byte(i);
  protocol::metadata_topic_record t;
  t.name = "demo";
  t.topic_id = id;
  std::vector<uint8_t> topic_bytes = {0, 1, 0, 0, 0, 5, 'd', 'e', 'm', 'o'};
  for (int i = 0; i < 16; ++i) topic_bytes.push_back(static_cast<uint8_t>(i));
  topic_bytes.push_back(0);
  auto v = encode_record_value(t);
  ASSERT_EQ(v.size(), 27u);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(std::to_integer<uint8_t>(v[i]), topic_bytes[i]);

  protocol::metadata_partition_record p;
  p.topic_id = id;
  p.partition_index = model::partition_id(0);
  p.replica_nodes = {model::node_id(1)};
  p.isr_nodes = {model::node_id(1)};
  p.leader_id = model::node_id(1);
  p.leader_epoch = model::leader_epoch(0);
  std::vector<uint8_t> part_bytes = {0, 2, 0, 0, 0};
  for (int i = 0; i < 16; ++i) part_bytes.push_back(static_cast<uint8_t>(i));
  for (uint8_t b :
       {0, 0, 0, 0, 2, 0, 0, 0, 1, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}) {
    part_bytes.push_back(b);
  }
  auto pv = encode_record_value(p);
  ASSERT_EQ(pv.size(), 48u);
  for (size_t i = 0; i < pv.size(); ++i) {
    EXPECT_EQ(std::to_integer<uint8_t>(pv[i]), part_bytes[i]) << i;
  }
}

}  // namespace
}  // namespace vltava::cluster
