#include "config/broker_configs.h"

#include <gtest/gtest.h>

#include "config/topic_configs.h"

namespace vltava::config {
namespace {

TEST(BrokerConfig, EmbeddedDefaultsMakeASingleNode) {
  auto cfg = load_broker_config("", "none", {});
  ASSERT_TRUE(cfg) << cfg.error();
  const auto& v = cfg->values;
  EXPECT_EQ(v.get_int("node.id"), 1);
  EXPECT_EQ(v.get_list("listeners"), std::vector<std::string>{"PLAINTEXT://127.0.0.1:9092"});
  EXPECT_EQ(effective_log_dirs(v), std::vector<std::string>{"./vltava-data"});
  EXPECT_EQ(effective_retention_ms(v), 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(effective_segment_ms(v), 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(v.get_int("socket.request.max.bytes"), 100 * 1024 * 1024);
  EXPECT_EQ(v.get_int("offsets.topic.num.partitions"), 50);
  EXPECT_TRUE(v.get_bool("auto.create.topics.enable"));
  // Kafka's send buffer; the OS's autotuned receive window instead of Kafka's fixed 100 KiB,
  // which took a third off 1 KiB produce throughput (broker_configs.cc says why).
  EXPECT_EQ(v.get_int("socket.send.buffer.bytes"), 102400);
  EXPECT_EQ(v.get_int("socket.receive.buffer.bytes"), -1);
}

TEST(BrokerConfig, FileThenOverrides) {
  std::vector<std::string> sets = {"num.partitions=6", "log.retention.minutes=10"};
  auto cfg = load_broker_config("num.partitions=3\nlog.dirs=/a, /b\n", "server.properties", sets);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->values.get_int("num.partitions"), 6);
  EXPECT_EQ(effective_log_dirs(cfg->values), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(effective_retention_ms(cfg->values), 600'000);
  EXPECT_EQ(cfg->values.source("num.partitions"), config_source::static_broker_config);
}

TEST(BrokerConfig, ListenerOverridesApplyToTheirListenerOnly) {
  std::vector<std::string> sets = {
      "ssl.client.auth=none", "listener.name.INTERNAL.ssl.client.auth=required",
      "listener.name.sasl_ssl.PLAIN.sasl.jaas.config=PlainLoginModule required;"};
  auto cfg = load_broker_config("", "none", sets);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->values.get_string("ssl.client.auth"), "none");
  EXPECT_EQ(listener_config(*cfg, "INTERNAL").get_string("ssl.client.auth"), "required");
  EXPECT_EQ(listener_config(*cfg, "EXTERNAL").get_string("ssl.client.auth"), "none");
  EXPECT_EQ(listener_override(*cfg, "SASL_SSL", "plain.sasl.jaas.config"),
            "PlainLoginModule required;");
  EXPECT_EQ(listener_override(*cfg, "SASL_SSL", "scram-sha-256.sasl.jaas.config"), std::nullopt);
}

TEST(BrokerConfig, ListenerOverridesAreChecked) {
  for (std::string bad : {"listener.name.x.num.partitions=3",
                          "listener.name.x.ssl.client.auth=sometimes", "listener.name.x=1"}) {
    std::vector<std::string> sets = {bad};
    EXPECT_FALSE(load_broker_config("", "none", sets)) << bad;
  }
}

TEST(BrokerConfig, RetentionPrecedenceIsKafkas) {
  std::vector<std::string> sets = {"log.retention.hours=1", "log.retention.minutes=2",
                                   "log.retention.ms=3"};
  auto cfg = load_broker_config("", "none", sets);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(effective_retention_ms(cfg->values), 3);
  std::vector<std::string> unlimited = {"log.retention.hours=-1"};
  EXPECT_EQ(effective_retention_ms(load_broker_config("", "none", unlimited)->values), -1);
}

TEST(BrokerConfig, ErrorsNameTheKeyAndPlace) {
  auto unknown = load_broker_config("num.partitons=3\n", "server.properties", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(),
            "server.properties:1: unknown configuration 'num.partitons' (did you mean "
            "'num.partitions'?)");
  std::vector<std::string> bad = {"num.partitions=0"};
  auto invalid = load_broker_config("", "none", bad);
  ASSERT_FALSE(invalid);
  EXPECT_NE(invalid.error().find("--set num.partitions=0"), std::string::npos);
  std::vector<std::string> malformed = {"novalue"};
  EXPECT_FALSE(load_broker_config("", "none", malformed));
  auto zk = load_broker_config("\n\nzookeeper.connect=localhost:2181\n", "server.properties", {});
  ASSERT_FALSE(zk);
  EXPECT_NE(zk.error().find("server.properties:3"), std::string::npos);
  // Removed (SCRAM credentials live in the metadata log): refused, in a file or a --set.
  auto scram = load_broker_config("vltava.scram.users=SCRAM-SHA-256:a:b\n", "s.properties", {});
  ASSERT_FALSE(scram);
  EXPECT_NE(scram.error().find("--add-scram"), std::string::npos);
  std::vector<std::string> scram_set = {"vltava.scram.users=SCRAM-SHA-256:a:b"};
  EXPECT_FALSE(load_broker_config("", "none", scram_set));
}

TEST(BrokerConfig, KafkaThreadPoolKeysAreAcceptedWithANotice) {
  auto cfg = load_broker_config("num.network.threads=8\n", "server.properties", {});
  ASSERT_TRUE(cfg) << cfg.error();
  ASSERT_EQ(cfg->notices.size(), 1u);
  EXPECT_NE(cfg->notices[0].find("num.network.threads is ignored"), std::string::npos);
}

// Typed keys read the table's kind as their C++ type; a key whose default is null reads as an
// optional. (A misspelt name or wrong type is a compile error, so only reads are tested.)
TEST(BrokerConfig, TypedKeysReadTheirValues) {
  std::vector<std::string> sets = {"log.retention.minutes=5", "broker.rack=r1"};
  auto cfg = load_broker_config("", "none", sets);
  ASSERT_TRUE(cfg) << cfg.error();
  const auto& v = cfg->values;
  int32_t partitions = v.get(broker_keys::num_partitions);
  EXPECT_EQ(partitions, 1);
  EXPECT_EQ(v.get(broker_keys::log_retention_minutes), std::optional<int32_t>(5));
  EXPECT_EQ(v.get(broker_keys::log_retention_ms), std::nullopt);
  EXPECT_EQ(v.get(broker_keys::broker_rack), std::optional<std::string>("r1"));
  EXPECT_EQ(v.get(broker_keys::listeners), std::vector<std::string>{"PLAINTEXT://127.0.0.1:9092"});
  EXPECT_TRUE(v.get(broker_keys::auto_create_topics_enable));
  EXPECT_EQ(v.source(broker_keys::log_retention_minutes), config_source::static_broker_config);
}

// A key's compile-time default is the value a config set starts with.
TEST(BrokerConfig, KeyDefaultsAreTheTables) {
  config_set v(broker_config_defs());
  static_assert(broker_keys::socket_receive_buffer_bytes.default_value() == -1);
  EXPECT_EQ(v.get(broker_keys::group_max_size), broker_keys::group_max_size.default_value());
  EXPECT_EQ(v.get(broker_keys::log_cleaner_backoff_ms),
            broker_keys::log_cleaner_backoff_ms.default_value());
  EXPECT_EQ(v.get(broker_keys::log_dir), broker_keys::log_dir.default_text());
}

TEST(BrokerConfig, EveryConfigHasADoc) {
  for (const auto& def : broker_config_defs()) EXPECT_FALSE(def.doc.empty()) << def.name;
}

// A key of one table used on the other table's set is a programmer error.
TEST(BrokerConfigDeathTest, KeyOfAnotherTableAsserts) {
  config_set v(broker_config_defs());
  EXPECT_DEATH(v.get(topic_keys::min_insync_replicas), "own table");
}

}  // namespace
}  // namespace vltava::config
