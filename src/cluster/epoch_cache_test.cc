#include "cluster/epoch_cache.h"

#include <gtest/gtest.h>

namespace vltava::cluster {
namespace {

using model::leader_epoch;
using model::offset;

epoch_cache three_epochs() {
  epoch_cache c;
  c.assign(leader_epoch(1), offset(0));
  c.assign(leader_epoch(1), offset(5));  // same epoch, later batch: no entry
  c.assign(leader_epoch(3), offset(10));
  c.assign(leader_epoch(4), offset(20));
  return c;
}

TEST(epoch_cache, assign_keeps_the_first_start_of_each_newer_epoch) {
  auto c = three_epochs();
  ASSERT_EQ(c.entries().size(), 3u);
  EXPECT_EQ(c.latest(), leader_epoch(4));
  EXPECT_EQ(c.start_of(leader_epoch(3)), offset(10));
  c.assign(leader_epoch(2), offset(30));  // an older epoch's batch: ignored
  EXPECT_EQ(c.entries().size(), 3u);
}

TEST(epoch_cache, end_offset_for_answers_as_kafka) {
  auto c = three_epochs();
  EXPECT_EQ(c.end_offset_for(leader_epoch(4), offset(25)),
            (epoch_end{leader_epoch(4), offset(25)}));
  EXPECT_EQ(c.end_offset_for(leader_epoch(9), offset(25)),
            (epoch_end{leader_epoch(4), offset(25)}));
  EXPECT_EQ(c.end_offset_for(leader_epoch(3), offset(25)),
            (epoch_end{leader_epoch(3), offset(20)}));
  // Epoch 2 never led here: the largest below it is 1, which ends where 3 starts.
  EXPECT_EQ(c.end_offset_for(leader_epoch(2), offset(25)),
            (epoch_end{leader_epoch(1), offset(10)}));
  EXPECT_TRUE(c.end_offset_for(leader_epoch(0), offset(25)).undefined());
  EXPECT_TRUE(epoch_cache{}.end_offset_for(leader_epoch(1), offset(0)).undefined());
}

TEST(epoch_cache, truncation_drops_the_epochs_that_start_past_the_new_end) {
  auto c = three_epochs();
  c.truncate_from(offset(20));
  EXPECT_EQ(c.latest(), leader_epoch(3));
  c.truncate_from(offset(11));
  EXPECT_EQ(c.latest(), leader_epoch(3));
  c.truncate_from(offset(10));
  EXPECT_EQ(c.latest(), leader_epoch(1));
}

TEST(epoch_cache, a_newer_epoch_below_the_latest_start_replaces_what_it_overwrote) {
  auto c = three_epochs();
  c.assign(leader_epoch(5), offset(15));
  ASSERT_EQ(c.entries().size(), 3u);
  EXPECT_EQ(c.entries().back(), (epoch_entry{leader_epoch(5), offset(15)}));
}

TEST(epoch_cache, truncate_before_moves_the_covering_entry_to_the_new_start) {
  auto c = three_epochs();
  c.truncate_before(offset(12));
  ASSERT_EQ(c.entries().size(), 2u);
  EXPECT_EQ(c.entries().front(), (epoch_entry{leader_epoch(3), offset(12)}));
}

}  // namespace
}  // namespace vltava::cluster
