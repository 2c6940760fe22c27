#include "cluster/quota_alteration.h"

#include <gtest/gtest.h>

namespace vltava::cluster {
namespace {

using protocol::error_code;

TEST(quota_alteration, records_only_changes_and_last_op_wins) {
  metadata_image img;
  img.client_quotas[{{"user", "alice"}}]["producer_byte_rate"] = 100;
  auto plan = plan_quota_alteration(
      img, {quota_alteration{{{"user", "alice"}},
                             {{"producer_byte_rate", 100, false},  // unchanged: no record
                              {"consumer_byte_rate", 5, false},
                              {"consumer_byte_rate", 7, false},     // the last op wins
                              {"request_percentage", 0, true}}}});  // not there: no record
  ASSERT_EQ(plan.results.size(), 1u);
  EXPECT_TRUE(plan.results[0].ok());
  ASSERT_EQ(plan.records.size(), 1u);
  const auto& r = std::get<protocol::metadata_client_quota_record>(plan.records[0]);
  EXPECT_EQ(r.key, "consumer_byte_rate");
  EXPECT_EQ(r.value, 7);
  EXPECT_FALSE(r.remove);
}

TEST(quota_alteration, a_bad_value_refuses_the_whole_entry) {
  metadata_image img;
  auto plan = plan_quota_alteration(
      img,
      {quota_alteration{{{"user", "alice"}},
                        {{"producer_byte_rate", 100, false}, {"consumer_byte_rate", 1.5, false}}},
       quota_alteration{{{"client-id", "app"}}, {{"producer_byte_rate", 10, false}}},
       quota_alteration{{}, {{"producer_byte_rate", 10, false}}}});
  ASSERT_EQ(plan.results.size(), 3u);
  EXPECT_EQ(plan.results[0].error, error_code::invalid_request);
  EXPECT_EQ(plan.results[0].message, "consumer_byte_rate cannot be a fractional value.");
  EXPECT_TRUE(plan.results[1].ok());
  EXPECT_EQ(plan.results[2].error, error_code::invalid_request);
  EXPECT_EQ(plan.records.size(), 1u);
}

TEST(quota_alteration, later_entries_see_earlier_ones) {
  metadata_image img;
  const security::quota_entity_components app{{"client-id", "app"}};
  auto plan =
      plan_quota_alteration(img, {quota_alteration{app, {{"producer_byte_rate", 10, false}}},
                                  quota_alteration{app, {{"producer_byte_rate", 0, true}}}});
  ASSERT_EQ(plan.records.size(), 2u);
  metadata_image next = img;
  topic_id_index ids;
  for (const auto& r : plan.records) ASSERT_TRUE(apply_record(next, ids, r).has_value());
  EXPECT_TRUE(next.client_quotas.empty());
}

}  // namespace
}  // namespace vltava::cluster
