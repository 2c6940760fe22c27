#include "kafka/handlers/delete_topics.h"

#include "kafka/handlers/create_partitions.h"
#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;

void create(admin_fixture& f, std::string name, int32_t partitions = 1) {
  cluster::create_topic_request t;
  t.name = std::move(name);
  t.num_partitions = partitions;
  ASSERT_TRUE(f.run([&] { return f.store().create_topic(t); }).ok());
}

TEST(delete_topics_handler, by_name_and_by_id) {
  admin_fixture f;
  create(f, "a");
  create(f, "b");
  protocol::delete_topics_request by_name;
  by_name.topic_names = {"a", "nope"};
  auto r = f.call_encoded<protocol::delete_topics_api>(by_name, 5);
  ASSERT_EQ(r.responses.size(), 2u);
  EXPECT_EQ(r.responses[0].error_code, error_code::none);
  EXPECT_EQ(r.responses[1].error_code, error_code::unknown_topic_or_partition);
  protocol::delete_topics_request by_id;
  protocol::delete_topics_request::delete_topic_state known, unknown;
  known.topic_id = f.store().image()->find_topic("b")->id;
  known.name = std::nullopt;
  unknown.topic_id.bytes[3] = std::byte{1};
  unknown.name = std::nullopt;
  by_id.topics = {known, unknown};
  auto r6 = f.call<protocol::delete_topics_api, &serve_delete_topics>(by_id, 6);
  ASSERT_EQ(r6.responses.size(), 2u);
  EXPECT_EQ(r6.responses[0].error_code, error_code::none);
  EXPECT_EQ(r6.responses[0].name, "b");
  EXPECT_EQ(r6.responses[1].error_code, error_code::unknown_topic_id);
  EXPECT_TRUE(f.store().image()->topics.empty());
  // A deleted topic's name can be used again at once.
  create(f, "a");
}

TEST(create_partitions_handler, only_increase) {
  admin_fixture f;
  create(f, "t", 2);
  protocol::create_partitions_request r;
  protocol::create_partitions_request::create_partitions_topic grow, shrink, missing;
  grow.name = "t";
  grow.count = 5;
  grow.assignments = std::nullopt;
  shrink.name = "t2";
  shrink.count = 1;
  shrink.assignments = std::nullopt;
  missing.name = "missing";
  missing.count = 3;
  missing.assignments = std::nullopt;
  create(f, "t2", 2);
  r.topics = {grow, shrink, missing};
  auto resp = f.call_encoded<protocol::create_partitions_api>(r, 3);
  ASSERT_EQ(resp.results.size(), 3u);
  EXPECT_EQ(resp.results[0].error_code, error_code::none);
  EXPECT_EQ(resp.results[1].error_code, error_code::invalid_partitions);
  EXPECT_EQ(resp.results[2].error_code, error_code::unknown_topic_or_partition);
  EXPECT_EQ(f.store().image()->find_topic("t")->partition_count, 5);
  r.topics = {grow, grow};
  auto dup = f.call<protocol::create_partitions_api, &serve_create_partitions>(r, 0);
  EXPECT_EQ(dup.results.at(0).error_code, error_code::invalid_request);
}

}  // namespace
}  // namespace vltava::kafka
