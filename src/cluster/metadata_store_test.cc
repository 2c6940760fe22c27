#include "cluster/metadata_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "cluster/metadata_store_fixture.h"
#include "config/broker_configs.h"
#include "storage/fault_io.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;
using testing::broker_config;
using testing::store_fixture;
using testing::topic;

TEST(metadata_store, first_start_writes_meta_properties_and_an_empty_image) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto img = f.store().image();
  EXPECT_EQ(img->cluster_id.size(), 22u);
  EXPECT_EQ(img->controller_id, model::node_id(1));
  ASSERT_EQ(img->brokers.size(), 1u);
  EXPECT_TRUE(img->topics.empty());
  std::ifstream in(dir.path() + "/meta.properties");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("cluster.id=" + img->cluster_id), std::string::npos);
  EXPECT_NE(text.str().find("node.id=1"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/__cluster_metadata-0"));
  f.store().close();
}

TEST(metadata_store, a_different_node_id_is_refused) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  {
    store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok());
    f.store().close();
  }
  storage::flusher flusher(io);
  net::shard_pool shards(1);
  auto cfg = broker_config();
  auto s = metadata_store::open(io, flusher, shards, dir.path(), model::node_id(2), cfg);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().find("node.id"), std::string::npos);
}

TEST(metadata_store, create_topic_defaults_and_publish) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io, {"num.partitions=3"});
  ASSERT_TRUE(f.ok()) << f.error();
  int notified = 0;
  f.store().subscribe([&](image_ptr) { ++notified; });
  auto r = f.run([&]() { return f.store().create_topic(topic("orders")); });
  ASSERT_TRUE(r.ok()) << r.message.value_or("");
  EXPECT_EQ(r.topic.partition_count, 3);
  EXPECT_EQ(r.topic.replication_factor, 1);
  EXPECT_NE(r.topic.id, protocol::uuid{});
  const topic_info* t = f.store().image()->find_topic("orders");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(t->partitions[2].leader, model::node_id(1));
  EXPECT_EQ(t->partitions[2].replicas, std::vector<model::node_id>{model::node_id(1)});
  EXPECT_EQ(f.store().image()->find_topic(t->id), t);
  EXPECT_EQ(notified, 2);  // once at subscribe, once for the change
  f.store().close();
}

TEST(metadata_store, create_topic_errors) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  std::vector<create_topic_request> reqs;
  reqs.push_back(topic("ok.topic"));
  reqs.push_back(topic(".."));
  reqs.push_back(topic("bad name"));
  auto rf3 = topic("rf3");
  rf3.replication_factor = 3;
  reqs.push_back(rf3);
  reqs.push_back(topic("zero", 0));
  reqs.push_back(topic("badcfg", 1, {{"retention.ms", "soon"}}));
  reqs.push_back(topic("unknowncfg", 1, {{"retention.msx", "1"}}));
  reqs.push_back(topic("nullcfg", 1, {{"retention.ms", std::nullopt}}));
  auto manual = topic("manual");
  manual.num_partitions = 2;
  manual.assignments = {{0, {model::node_id(1)}}};
  reqs.push_back(manual);
  auto gap = topic("gap");
  gap.assignments = {{0, {model::node_id(1)}}, {2, {model::node_id(1)}}};
  reqs.push_back(gap);
  auto other = topic("other-broker");
  other.assignments = {{0, {model::node_id(7)}}};
  reqs.push_back(other);
  auto good_manual = topic("good-manual");
  good_manual.assignments = {{1, {model::node_id(1)}}, {0, {model::node_id(1)}}};
  reqs.push_back(good_manual);
  reqs.push_back(topic("ok_topic"));  // collides with ok.topic
  auto res = f.run([&]() { return f.store().create_topics(reqs, validate_only::no); });
  ASSERT_EQ(res.size(), reqs.size());
  EXPECT_EQ(res[0].error, error_code::none);
  EXPECT_EQ(res[1].error, error_code::invalid_topic_exception);
  EXPECT_EQ(res[2].error, error_code::invalid_topic_exception);
  EXPECT_EQ(res[3].error, error_code::invalid_replication_factor);
  EXPECT_EQ(res[4].error, error_code::invalid_partitions);
  EXPECT_EQ(res[5].error, error_code::invalid_config);
  EXPECT_EQ(res[6].error, error_code::invalid_config);
  EXPECT_NE(res[6].message->find("retention.ms"), std::string::npos);  // did you mean
  EXPECT_EQ(res[7].error, error_code::invalid_config);
  EXPECT_EQ(res[8].error, error_code::invalid_request);
  EXPECT_EQ(res[9].error, error_code::invalid_replica_assignment);
  EXPECT_EQ(res[10].error, error_code::invalid_replica_assignment);
  EXPECT_EQ(res[11].error, error_code::none);
  EXPECT_EQ(res[11].topic.partition_count, 2);
  EXPECT_EQ(res[12].error, error_code::invalid_topic_exception);
  auto again = f.run([&]() { return f.store().create_topic(topic("ok.topic")); });
  EXPECT_EQ(again.error, error_code::topic_already_exists);
  EXPECT_EQ(f.store().image()->topics.size(), 2u);
  f.store().close();
}

TEST(metadata_store, validate_only_changes_nothing) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto r = f.run([&]() { return f.store().create_topic(topic("t", 4), validate_only::yes); });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.topic.partition_count, 4);
  EXPECT_TRUE(f.store().image()->topics.empty());
  f.store().close();
}

TEST(metadata_store, every_change_survives_a_restart) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  protocol::uuid id;
  std::string cluster_id;
  {
    store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok()) << f.error();
    cluster_id = f.store().image()->cluster_id;
    ASSERT_TRUE(f.run([&]() {
                   return f.store().create_topic(topic("a", 2, {{"retention.ms", "1000"}}));
                 }).ok());
    ASSERT_TRUE(f.run([&]() { return f.store().create_topic(topic("b")); }).ok());
    ASSERT_TRUE(f.run([&]() { return f.store().create_topic(topic("c")); }).ok());
    id = f.store().image()->find_topic("a")->id;
    ASSERT_TRUE(f.run([&]() {
                   return f.store().create_partitions("a", 5, std::nullopt, validate_only::no);
                 }).ok());
    ASSERT_TRUE(f.run([&]() { return f.store().delete_topic("b"); }).ok());
    std::vector<config_change> ch{{"cleanup.policy", config_op::append, "compact"},
                                  {"retention.ms", config_op::del, std::nullopt}};
    ASSERT_TRUE(f.run([&]() {
                   return f.store().alter_topic_configs("a", ch, alter_mode::incremental,
                                                        validate_only::no);
                 }).ok());
    std::vector<config_change> b{{"log.retention.ms", config_op::set, "5000"}};
    ASSERT_TRUE(f.run([&]() {
                   return f.store().alter_broker_configs("1", b, alter_mode::incremental,
                                                         validate_only::no);
                 }).ok());
    std::vector<config_change> d{{"log.segment.bytes", config_op::set, "1048576"}};
    ASSERT_TRUE(f.run([&]() {
                   return f.store().alter_broker_configs("", d, alter_mode::incremental,
                                                         validate_only::no);
                 }).ok());
    f.store().close();
  }
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto img = f.store().image();
  EXPECT_EQ(img->cluster_id, cluster_id);
  ASSERT_EQ(img->topics.size(), 2u);
  const topic_info* a = img->find_topic("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id, id);
  EXPECT_EQ(a->partition_count, 5);
  EXPECT_EQ(a->partitions.size(), 5u);
  EXPECT_EQ(a->config_overrides.size(), 1u);
  EXPECT_EQ(a->config_overrides.at("cleanup.policy"), "delete,compact");
  EXPECT_EQ(img->find_topic("b"), nullptr);
  EXPECT_NE(img->find_topic("c"), nullptr);
  EXPECT_EQ(img->broker_config_overrides(model::node_id(1)).at("log.retention.ms"), "5000");
  EXPECT_EQ(img->cluster_config_overrides.at("log.segment.bytes"), "1048576");
  auto broker = effective_broker_config(f.store().static_config(), *img);
  EXPECT_EQ(broker.get_int("log.retention.ms"), 5000);
  auto tc = effective_topic_config(f.store().static_config(), *img, *a);
  EXPECT_EQ(tc.get_int("retention.ms"), 5000);
  EXPECT_EQ(tc.get_int("segment.bytes"), 1048576);
  // A new topic after the restart gets a fresh id.
  auto b = f.run([&]() { return f.store().create_topic(topic("b")); });
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b.topic.id, id);
  f.store().close();
}

TEST(metadata_store, partitions_only_increase) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  ASSERT_TRUE(f.run([&]() { return f.store().create_topic(topic("t", 3)); }).ok());
  auto same =
      f.run([&]() { return f.store().create_partitions("t", 3, std::nullopt, validate_only::no); });
  EXPECT_EQ(same.error, error_code::invalid_partitions);
  auto fewer =
      f.run([&]() { return f.store().create_partitions("t", 2, std::nullopt, validate_only::no); });
  EXPECT_EQ(fewer.error, error_code::invalid_partitions);
  auto unknown =
      f.run([&]() { return f.store().create_partitions("u", 4, std::nullopt, validate_only::no); });
  EXPECT_EQ(unknown.error, error_code::unknown_topic_or_partition);
  std::vector<std::vector<model::node_id>> one{{model::node_id(1)}};
  auto short_assign =
      f.run([&]() { return f.store().create_partitions("t", 5, one, validate_only::no); });
  EXPECT_EQ(short_assign.error, error_code::invalid_replica_assignment);
  auto check = f.run(
      [&]() { return f.store().create_partitions("t", 4, std::nullopt, validate_only::yes); });
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(f.store().image()->find_topic("t")->partition_count, 3);
  auto grow = f.run([&]() { return f.store().create_partitions("t", 4, one, validate_only::no); });
  EXPECT_TRUE(grow.ok());
  EXPECT_EQ(f.store().image()->find_topic("t")->partition_count, 4);
  f.store().close();
}

TEST(metadata_store, config_operations) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  ASSERT_TRUE(f.run([&]() {
                 return f.store().create_topic(topic("t", 1, {{"retention.ms", "10"}}));
               }).ok());
  auto alter = [&](std::vector<config_change> ch, alter_mode m = alter_mode::incremental) {
    return f.run([&]() { return f.store().alter_topic_configs("t", ch, m, validate_only::no); });
  };
  auto overrides = [&] { return f.store().image()->find_topic("t")->config_overrides; };
  EXPECT_TRUE(alter({{"segment.ms", config_op::set, "100"}}).ok());
  EXPECT_EQ(overrides().size(), 2u);
  EXPECT_EQ(alter({{"segment.ms", config_op::append, "1"}}).error, error_code::invalid_config);
  EXPECT_EQ(alter({{"segment.ms", config_op::set, "-5"}}).error, error_code::invalid_config);
  EXPECT_EQ(alter({{"nope", config_op::set, "1"}}).error, error_code::invalid_config);
  EXPECT_EQ(alter({{"segment.ms", config_op::set, "1"}, {"segment.ms", config_op::del, {}}}).error,
            error_code::invalid_request);
  EXPECT_EQ(alter({{"segment.ms", static_cast<config_op>(9), "1"}}).error,
            error_code::invalid_request);
  EXPECT_TRUE(alter({{"cleanup.policy", config_op::append, "compact"}}).ok());
  EXPECT_EQ(overrides().at("cleanup.policy"), "delete,compact");
  EXPECT_TRUE(alter({{"cleanup.policy", config_op::subtract, "delete"}}).ok());
  EXPECT_EQ(overrides().at("cleanup.policy"), "compact");
  EXPECT_TRUE(alter({{"segment.ms", config_op::del, {}}}).ok());
  EXPECT_FALSE(overrides().contains("segment.ms"));
  // Legacy AlterConfigs: the given set replaces every override.
  EXPECT_TRUE(alter({{"max.message.bytes", config_op::set, "2000"}}, alter_mode::replace).ok());
  EXPECT_EQ(overrides().size(), 1u);
  EXPECT_EQ(overrides().at("max.message.bytes"), "2000");
  auto missing = f.run([&]() {
    return f.store().alter_topic_configs("missing", {}, alter_mode::incremental, validate_only::no);
  });
  EXPECT_EQ(missing.error, error_code::unknown_topic_or_partition);
  f.store().close();
}

TEST(metadata_store, broker_config_operations) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto alter = [&](std::string name, std::vector<config_change> ch,
                   validate_only v = validate_only::no) {
    return f.run(
        [&]() { return f.store().alter_broker_configs(name, ch, alter_mode::incremental, v); });
  };
  EXPECT_EQ(alter("2", {{"log.retention.ms", config_op::set, "1"}}).error,
            error_code::invalid_request);
  EXPECT_EQ(alter("x", {{"log.retention.ms", config_op::set, "1"}}).error,
            error_code::invalid_request);
  auto static_only = alter("1", {{"num.partitions", config_op::set, "4"}});
  EXPECT_EQ(static_only.error, error_code::invalid_request);
  EXPECT_NE(static_only.message->find("dynamically"), std::string::npos);
  EXPECT_EQ(alter("1", {{"log.retention.ms", config_op::set, "abc"}}).error,
            error_code::invalid_request);
  EXPECT_TRUE(alter("1", {{"log.retention.ms", config_op::set, "7"}}, validate_only::yes).ok());
  EXPECT_TRUE(f.store().image()->broker_config_overrides(model::node_id(1)).empty());
  EXPECT_TRUE(alter("1", {{"log.cleanup.policy", config_op::append, "compact"}}).ok());
  EXPECT_EQ(f.store().image()->broker_config_overrides(model::node_id(1)).at("log.cleanup.policy"),
            "delete,compact");
  EXPECT_TRUE(alter("1", {{"log.cleanup.policy", config_op::del, {}}}).ok());
  EXPECT_TRUE(f.store().image()->broker_config_overrides(model::node_id(1)).empty());
  f.store().close();
}

TEST(metadata_store, delete_topics) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  ASSERT_TRUE(f.run([&]() { return f.store().create_topic(topic("t")); }).ok());
  auto r = f.run([&]() { return f.store().delete_topics({"t", "u"}); });
  EXPECT_EQ(r[0].error, error_code::none);
  EXPECT_EQ(r[1].error, error_code::unknown_topic_or_partition);
  EXPECT_TRUE(f.store().image()->topics.empty());
  f.store().close();
}

TEST(metadata_store, deletion_can_be_disabled) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io, {"delete.topic.enable=false"});
  ASSERT_TRUE(f.ok()) << f.error();
  ASSERT_TRUE(f.run([&]() { return f.store().create_topic(topic("t")); }).ok());
  EXPECT_EQ(f.run([&]() { return f.store().delete_topic("t"); }).error,
            error_code::topic_deletion_disabled);
  f.store().close();
}

TEST(metadata_store, a_failed_fsync_publishes_nothing_and_refuses_later_writes) {
  storage::testing::temp_dir dir;
  storage::posix_io real;
  storage::fault_io io(real);
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  io.fail_next(storage::io_op::fdatasync, EIO, 100);
  auto r = f.run([&]() { return f.store().create_topic(topic("t")); });
  EXPECT_EQ(r.error, error_code::kafka_storage_error);
  EXPECT_TRUE(f.store().image()->topics.empty());
  io.clear_faults();
  EXPECT_EQ(f.run([&]() { return f.store().create_topic(topic("u")); }).error,
            error_code::kafka_storage_error);
}

TEST(metadata_store, many_partitions_are_bounded_per_operation) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto r = f.run([&]() { return f.store().create_topic(topic("huge", 2'000'000'000)); });
  EXPECT_EQ(r.error, error_code::policy_violation);
  f.store().close();
}

// Kills a child process (SIGKILL, no close) right after it saw N acknowledged creations, then
// checks that every acknowledged topic is there after reopening.
TEST(metadata_store, crash_keeps_every_acknowledged_change) {
  storage::testing::temp_dir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    storage::posix_io io;
    store_fixture f(dir.path(), io);
    if (!f.ok()) ::_exit(2);
    for (int i = 0;; ++i) {
      auto r = f.run([&]() { return f.store().create_topic(topic("t" + std::to_string(i))); });
      if (!r.ok()) ::_exit(3);
      char c = 1;
      if (::write(fds[1], &c, 1) != 1) ::_exit(4);
    }
  }
  ::close(fds[1]);
  int acked = 0;
  char c;
  while (acked < 30 && ::read(fds[0], &c, 1) == 1) ++acked;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (::read(fds[0], &c, 1) == 1) ++acked;
  ::close(fds[0]);
  ASSERT_GE(acked, 30);
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto img = f.store().image();
  for (int i = 0; i < acked; ++i) {
    EXPECT_NE(img->find_topic("t" + std::to_string(i)), nullptr) << i;
  }
  f.store().close();
}

}  // namespace
}  // namespace vltava::cluster
