#include "protocol/error_code.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <set>
#include <string>

namespace vltava::protocol {
namespace {

TEST(ErrorCode, ValuesAreKafkas) {
  // Spot checks across the range: these numbers are on the wire and must never move.
  EXPECT_EQ(static_cast<int16_t>(error_code::unknown_server_error), -1);
  EXPECT_EQ(static_cast<int16_t>(error_code::none), 0);
  EXPECT_EQ(static_cast<int16_t>(error_code::offset_out_of_range), 1);
  EXPECT_EQ(static_cast<int16_t>(error_code::corrupt_message), 2);
  EXPECT_EQ(static_cast<int16_t>(error_code::not_leader_or_follower), 6);
  EXPECT_EQ(static_cast<int16_t>(error_code::unsupported_version), 35);
  EXPECT_EQ(static_cast<int16_t>(error_code::out_of_order_sequence_number), 45);
  EXPECT_EQ(static_cast<int16_t>(error_code::invalid_producer_epoch), 47);
  EXPECT_EQ(static_cast<int16_t>(error_code::sasl_authentication_failed), 58);
  EXPECT_EQ(static_cast<int16_t>(error_code::unknown_topic_id), 100);
  EXPECT_EQ(static_cast<int16_t>(error_code::transaction_abortable), 120);
  EXPECT_EQ(static_cast<int16_t>(error_code::invalid_regular_expression), 128);
  EXPECT_EQ(static_cast<int16_t>(error_code::share_session_limit_reached), 133);
  EXPECT_EQ(error_code_max, 133);
}

TEST(ErrorCode, NamesAreKafkas) {
  EXPECT_EQ(error_name(error_code::unknown_server_error), "UNKNOWN_SERVER_ERROR");
  EXPECT_EQ(error_name(error_code::none), "NONE");
  EXPECT_EQ(error_name(error_code::offset_out_of_range), "OFFSET_OUT_OF_RANGE");
  EXPECT_EQ(error_name(error_code::topic_authorization_failed), "TOPIC_AUTHORIZATION_FAILED");
  EXPECT_EQ(error_name(error_code::position_out_of_range), "POSITION_OUT_OF_RANGE");
  EXPECT_EQ(error_name(error_code::rebootstrap_required), "REBOOTSTRAP_REQUIRED");
  EXPECT_EQ(error_name(error_code::share_session_limit_reached), "SHARE_SESSION_LIMIT_REACHED");
}

TEST(ErrorCode, RetriableFlags) {
  EXPECT_TRUE(is_retriable(error_code::corrupt_message));
  EXPECT_TRUE(is_retriable(error_code::unknown_topic_or_partition));
  EXPECT_TRUE(is_retriable(error_code::not_leader_or_follower));
  EXPECT_TRUE(is_retriable(error_code::request_timed_out));
  EXPECT_TRUE(is_retriable(error_code::not_coordinator));
  EXPECT_TRUE(is_retriable(error_code::not_enough_replicas));
  EXPECT_TRUE(is_retriable(error_code::concurrent_transactions));
  EXPECT_TRUE(is_retriable(error_code::throttling_quota_exceeded));
  EXPECT_TRUE(is_retriable(error_code::unknown_topic_id));

  EXPECT_FALSE(is_retriable(error_code::none));
  EXPECT_FALSE(is_retriable(error_code::unknown_server_error));
  EXPECT_FALSE(is_retriable(error_code::offset_out_of_range));
  EXPECT_FALSE(is_retriable(error_code::broker_not_available));
  EXPECT_FALSE(is_retriable(error_code::message_too_large));
  EXPECT_FALSE(is_retriable(error_code::invalid_producer_epoch));
  EXPECT_FALSE(is_retriable(error_code::producer_fenced));
  EXPECT_FALSE(is_retriable(error_code::transaction_abortable));
  EXPECT_FALSE(is_retriable(error_code::topic_authorization_failed));
}

TEST(ErrorCode, UnknownValues) {
  for (int16_t v : {int16_t{-2}, int16_t{134}, int16_t{1000}, std::numeric_limits<int16_t>::min(),
                    std::numeric_limits<int16_t>::max()}) {
    EXPECT_FALSE(is_known(v)) << v;
    EXPECT_FALSE(is_retriable(static_cast<error_code>(v))) << v;
    EXPECT_EQ(error_name(static_cast<error_code>(v)), "UNRECOGNIZED_ERROR_CODE") << v;
  }
}

TEST(ErrorCode, EveryKnownCodeHasAUniqueUpperCaseName) {
  std::set<std::string> seen;
  for (int v = -1; v <= error_code_max; ++v) {
    auto value = static_cast<int16_t>(v);
    ASSERT_TRUE(is_known(value)) << v;
    std::string name(error_name(static_cast<error_code>(value)));
    ASSERT_FALSE(name.empty()) << v;
    for (char c : name) {
      EXPECT_TRUE(std::isupper(static_cast<unsigned char>(c)) || c == '_' ||
                  std::isdigit(static_cast<unsigned char>(c)))
          << name;
    }
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
  }
  EXPECT_EQ(seen.size(), 135u);
}

}  // namespace
}  // namespace vltava::protocol
