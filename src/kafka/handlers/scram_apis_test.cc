#include "kafka/handlers/scram_apis.h"

#include "kafka/testing/admin_test_fixture.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using testing::admin_fixture;
using alter_request = protocol::alter_user_scram_credentials_request;
using describe_request = protocol::describe_user_scram_credentials_request;

alter_request::scram_credential_upsertion upsertion(std::string user, int8_t mechanism,
                                                    int32_t iterations = 4096) {
  alter_request::scram_credential_upsertion u;
  u.name = std::move(user);
  u.mechanism = mechanism;
  u.iterations = iterations;
  u.salt = {std::byte{1}, std::byte{2}};
  u.salted_password = std::vector<std::byte>(32, std::byte{7});
  return u;
}

class scram_apis : public ::testing::Test {
 protected:
  std::map<std::string, std::pair<error_code, std::optional<std::string>>> alter(
      std::vector<alter_request::scram_credential_upsertion> ups,
      std::vector<alter_request::scram_credential_deletion> dels = {}) {
    alter_request r;
    r.upsertions = std::move(ups);
    r.deletions = std::move(dels);
    auto resp = f.call_encoded<protocol::alter_user_scram_credentials_api>(r, 0);
    std::map<std::string, std::pair<error_code, std::optional<std::string>>> out;
    for (const auto& x : resp.results) out[x.user] = {x.error_code, x.error_message};
    EXPECT_EQ(out.size(), resp.results.size()) << "one result per user";
    return out;
  }
  protocol::describe_user_scram_credentials_response describe(
      std::optional<std::vector<std::string>> users) {
    describe_request r;
    if (users) {
      r.users.emplace();
      for (auto& u : *users) r.users->push_back({.name = u});
    } else {
      r.users.reset();
    }
    return f.call_encoded<protocol::describe_user_scram_credentials_api>(r, 0);
  }
  admin_fixture f;
};

TEST_F(scram_apis, alter_then_describe) {
  auto r = alter({upsertion("alice", 1), upsertion("bob", 2, 8192)});
  EXPECT_EQ(r["alice"].first, error_code::none);
  EXPECT_EQ(r["alice"].second, std::nullopt);
  EXPECT_EQ(r["bob"].first, error_code::none);
  r = alter({upsertion("alice", 2)});
  EXPECT_EQ(r["alice"].first, error_code::none);

  auto all = describe(std::nullopt);
  EXPECT_EQ(all.error_code, error_code::none);
  ASSERT_EQ(all.results.size(), 2u);
  EXPECT_EQ(all.results[0].user, "alice");
  ASSERT_EQ(all.results[0].credential_infos.size(), 2u);
  EXPECT_EQ(all.results[0].credential_infos[0].mechanism, 1);
  EXPECT_EQ(all.results[0].credential_infos[1].mechanism, 2);
  EXPECT_EQ(all.results[1].credential_infos.at(0).iterations, 8192);
  EXPECT_EQ(describe(std::vector<std::string>{}).results.size(), 2u);  // empty: everyone

  auto some = describe(std::vector<std::string>{"bob", "carol", "alice", "alice"});
  ASSERT_EQ(some.results.size(), 3u);
  EXPECT_EQ(some.results[0].user, "bob");
  EXPECT_EQ(some.results[0].error_code, error_code::none);
  EXPECT_EQ(some.results[1].error_code, error_code::resource_not_found);
  EXPECT_EQ(some.results[1].error_message,
            "Attempt to describe a user credential that does not exist: carol");
  EXPECT_EQ(some.results[2].error_code, error_code::duplicate_resource);

  // The image holds what a login needs: the keys derived from the salted password.
  auto creds = f.store().image()->scram_credentials;
  auto stored = creds.at({"alice", security::scram_mechanism::sha256});
  std::vector<uint8_t> salted(32, 7);
  auto expected = security::scram_credential_from_salted(security::scram_mechanism::sha256, salted,
                                                         {1, 2}, 4096);
  EXPECT_EQ(stored, expected);
}

TEST_F(scram_apis, bad_input) {
  alter_request::scram_credential_deletion missing;
  missing.name = "nobody";
  missing.mechanism = 1;
  auto r = alter({upsertion("", 1), upsertion("few", 1, 1), upsertion("many", 2, 1 << 20),
                  upsertion("odd", 0), upsertion("twice", 1), upsertion("twice", 2)},
                 {missing});
  EXPECT_EQ(r[""].first, error_code::unacceptable_credential);
  EXPECT_EQ(r["few"].first, error_code::unacceptable_credential);
  EXPECT_EQ(r["many"].first, error_code::unacceptable_credential);
  EXPECT_EQ(r["odd"].first, error_code::unsupported_sasl_mechanism);
  EXPECT_EQ(r["twice"].first, error_code::duplicate_resource);
  EXPECT_EQ(r["nobody"].first, error_code::resource_not_found);
  EXPECT_TRUE(f.store().image()->scram_credentials.empty());
  EXPECT_TRUE(describe(std::nullopt).results.empty());
}

}  // namespace
}  // namespace vltava::kafka
