#include "cluster/scram_alteration.h"

#include <gtest/gtest.h>

namespace vltava::cluster {
namespace {

using protocol::error_code;
using security::scram_mechanism;

constexpr int8_t sha256 = 1, sha512 = 2;

scram_upsertion upsert(std::string user, int8_t m = sha256, int32_t iterations = 4096) {
  std::vector<uint8_t> salt{1, 2, 3};
  auto mech = security::scram_mechanism_from_type(m).value_or(scram_mechanism::sha256);
  return scram_upsertion{user, m, iterations, salt,
                         security::scram_salted_password(mech, user + "-pw", salt, 4096)};
}

metadata_image image_with(const std::string& user, scram_mechanism m) {
  metadata_image img;
  img.scram_credentials[{user, m}] = security::make_scram_credential(m, "x", {4}, 4096);
  return img;
}

const scram_user_result& result_of(const scram_plan& p, const std::string& user) {
  for (const auto& r : p.results) {
    if (r.user == user) return r;
  }
  ADD_FAILURE() << "no result for " << user;
  static const scram_user_result none;
  return none;
}

TEST(scram_alteration, upsertion_derives_the_keys_from_the_salted_password) {
  metadata_image img;
  auto plan = plan_scram_alteration(img, {}, {upsert("alice", sha512, 8192)});
  ASSERT_EQ(plan.results.size(), 1u);
  EXPECT_TRUE(plan.results[0].ok());
  ASSERT_EQ(plan.records.size(), 1u);
  const auto& r = std::get<protocol::metadata_user_scram_credential_record>(plan.records[0]);
  EXPECT_EQ(r.name, "alice");
  EXPECT_EQ(r.mechanism, sha512);
  EXPECT_EQ(r.iterations, 8192);
  // The same keys the password itself gives: a login with it will pass.
  auto expected =
      security::make_scram_credential(scram_mechanism::sha512, "alice-pw", {1, 2, 3}, 4096);
  topic_id_index ids;
  ASSERT_TRUE(apply_record(img, ids, plan.records[0]).has_value());
  auto stored = img.scram_credentials.at({"alice", scram_mechanism::sha512});
  EXPECT_EQ(stored.stored_key, expected.stored_key);
  EXPECT_EQ(stored.server_key, expected.server_key);
  EXPECT_EQ(stored.salt, expected.salt);
}

TEST(scram_alteration, bad_input_is_refused_with_kafkas_codes) {
  auto img = image_with("bob", scram_mechanism::sha256);
  auto plan = plan_scram_alteration(
      img, {{"", sha256}, {"carol", sha256}, {"dave", 3}},
      {upsert("few", sha256, 4095), upsert("many", sha512, 16385), upsert("odd", 0),
       upsert("ok-low", sha256, 4096), upsert("ok-high", sha512, 16384)});
  EXPECT_EQ(result_of(plan, "").error, error_code::unacceptable_credential);
  EXPECT_EQ(result_of(plan, "").message, "Username must not be empty");
  EXPECT_EQ(result_of(plan, "carol").error, error_code::resource_not_found);
  EXPECT_EQ(result_of(plan, "carol").message,
            "Attempt to delete a user credential that does not exist");
  EXPECT_EQ(result_of(plan, "dave").error, error_code::unsupported_sasl_mechanism);
  EXPECT_EQ(result_of(plan, "few").error, error_code::unacceptable_credential);
  EXPECT_EQ(result_of(plan, "few").message, "Too few iterations");
  EXPECT_EQ(result_of(plan, "many").message, "Too many iterations");
  EXPECT_EQ(result_of(plan, "odd").error, error_code::unsupported_sasl_mechanism);
  EXPECT_TRUE(result_of(plan, "ok-low").ok());
  EXPECT_TRUE(result_of(plan, "ok-high").ok());
  EXPECT_EQ(plan.results.size(), 8u);
  EXPECT_EQ(plan.records.size(), 2u);  // only the two acceptable upsertions
}

TEST(scram_alteration, a_user_changed_twice_is_refused_whole) {
  auto img = image_with("bob", scram_mechanism::sha256);
  // Two mechanisms of one user, a deletion and an upsertion of another, a user named three
  // times: each refused once with DUPLICATE_RESOURCE, and nothing of theirs recorded.
  auto plan =
      plan_scram_alteration(img, {{"bob", sha256}},
                            {upsert("bob", sha512), upsert("alice", sha256),
                             upsert("alice", sha512), upsert("alice", sha256), upsert("carol")});
  ASSERT_EQ(plan.results.size(), 3u);
  EXPECT_EQ(plan.results[0].user, "bob");
  EXPECT_EQ(plan.results[0].error, error_code::duplicate_resource);
  EXPECT_EQ(plan.results[0].message,
            "A user credential cannot be altered twice in the same request");
  EXPECT_EQ(plan.results[1].user, "alice");
  EXPECT_EQ(plan.results[1].error, error_code::duplicate_resource);
  EXPECT_TRUE(plan.results[2].ok());
  ASSERT_EQ(plan.records.size(), 1u);
  EXPECT_EQ(std::get<protocol::metadata_user_scram_credential_record>(plan.records[0]).name,
            "carol");
}

TEST(scram_alteration, deletion_of_a_known_credential) {
  auto img = image_with("bob", scram_mechanism::sha512);
  auto plan = plan_scram_alteration(img, {{"bob", sha512}}, {});
  ASSERT_EQ(plan.results.size(), 1u);
  EXPECT_TRUE(plan.results[0].ok());
  ASSERT_EQ(plan.records.size(), 1u);
  topic_id_index ids;
  ASSERT_TRUE(apply_record(img, ids, plan.records[0]).has_value());
  EXPECT_TRUE(img.scram_credentials.empty());
  // The other mechanism was never there.
  auto again = plan_scram_alteration(img, {{"bob", sha256}}, {});
  EXPECT_EQ(again.results[0].error, error_code::resource_not_found);
}

}  // namespace
}  // namespace vltava::cluster
