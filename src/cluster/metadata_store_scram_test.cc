#include <gtest/gtest.h>

#include "cluster/metadata_store.h"
#include "cluster/metadata_store_fixture.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;
using security::scram_mechanism;
using testing::store_fixture;

scram_upsertion upsert(std::string user, int8_t m, std::string password) {
  std::vector<uint8_t> salt{5, 6, 7, 8};
  auto mech = *security::scram_mechanism_from_type(m);
  return scram_upsertion{user, m, 4096, salt,
                         security::scram_salted_password(mech, password, salt, 4096)};
}

TEST(metadata_store_scram, credentials_are_committed_and_survive_a_restart) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  auto expected =
      security::make_scram_credential(scram_mechanism::sha256, "a-pw", {5, 6, 7, 8}, 4096);
  {
    store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok()) << f.error();
    auto r = f.run([&]() {
      return f.store().alter_scram_credentials(
          {}, {upsert("alice", 1, "a-pw"), upsert("bob", 2, "b-pw")});
    });
    ASSERT_EQ(r.size(), 2u);
    EXPECT_TRUE(r[0].ok());
    EXPECT_TRUE(r[1].ok());
    EXPECT_EQ(f.store().image()->scram_credentials.size(), 2u);
    // bob's goes again; deleting it twice is RESOURCE_NOT_FOUND the second time.
    auto d = f.run([&]() { return f.store().alter_scram_credentials({{"bob", 2}}, {}); });
    EXPECT_TRUE(d[0].ok());
    d = f.run([&]() { return f.store().alter_scram_credentials({{"bob", 2}}, {}); });
    EXPECT_EQ(d[0].error, error_code::resource_not_found);
    f.store().close();
  }
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  const auto& creds = f.store().image()->scram_credentials;
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(creds.at({"alice", scram_mechanism::sha256}), expected);
  f.store().close();
}

TEST(metadata_store_scram, refused_changes_write_nothing) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto before = f.store().image()->offset;
  auto r = f.run([&]() {
    return f.store().alter_scram_credentials({{"nobody", 1}}, {upsert("", 1, "x")});
  });
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, error_code::resource_not_found);
  EXPECT_EQ(r[1].error, error_code::unacceptable_credential);
  EXPECT_EQ(f.store().image()->offset, before);
  f.store().close();
}

}  // namespace
}  // namespace vltava::cluster
