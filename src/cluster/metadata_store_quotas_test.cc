#include <gtest/gtest.h>

#include "cluster/metadata_store.h"
#include "cluster/metadata_store_fixture.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;
using testing::store_fixture;

const security::quota_entity alice{{"user", "alice"}};

quota_alteration set_alice(std::string key, double value) {
  return quota_alteration{{{"user", "alice"}}, {{std::move(key), value, false}}};
}

TEST(metadata_store_quotas, quotas_are_committed_and_survive_a_restart) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  {
    store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok()) << f.error();
    auto r = f.run([&]() {
      return f.store().alter_client_quotas(
          {set_alice("producer_byte_rate", 1048576),
           quota_alteration{{{"client-id", std::nullopt}}, {{"consumer_byte_rate", 2048, false}}}},
          validate_only::no);
    });
    ASSERT_EQ(r.size(), 2u);
    EXPECT_TRUE(r[0].ok());
    EXPECT_TRUE(r[1].ok());
    EXPECT_EQ(f.store().image()->client_quotas.size(), 2u);
    auto d = f.run([&]() {
      return f.store().alter_client_quotas(
          {quota_alteration{{{"client-id", std::nullopt}}, {{"consumer_byte_rate", 0, true}}}},
          validate_only::no);
    });
    EXPECT_TRUE(d[0].ok());
    f.store().close();
  }
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  const auto& quotas = f.store().image()->client_quotas;
  ASSERT_EQ(quotas.size(), 1u);
  EXPECT_EQ(quotas.at(alice).at("producer_byte_rate"), 1048576);
  f.store().close();
}

TEST(metadata_store_quotas, validate_only_and_refused_entries_write_nothing) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  auto before = f.store().image()->offset;
  auto r = f.run([&]() {
    return f.store().alter_client_quotas({set_alice("producer_byte_rate", 10)}, validate_only::yes);
  });
  EXPECT_TRUE(r[0].ok());
  r = f.run([&]() {
    return f.store().alter_client_quotas(
        {set_alice("frobs", 10), quota_alteration{{{"ip", "1.2.3.4"}, {"user", "a"}}, {}}},
        validate_only::no);
  });
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, error_code::invalid_request);
  EXPECT_EQ(r[0].message, "Invalid configuration key frobs");
  EXPECT_EQ(r[1].error, error_code::invalid_request);
  EXPECT_EQ(f.store().image()->offset, before);
  EXPECT_TRUE(f.store().image()->client_quotas.empty());
  f.store().close();
}

}  // namespace
}  // namespace vltava::cluster
