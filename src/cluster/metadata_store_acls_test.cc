#include <gtest/gtest.h>

#include "cluster/metadata_store.h"
#include "cluster/metadata_store_fixture.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using protocol::error_code;
using security::acl_binding;
using security::acl_filter;
using security::acl_operation;
using security::acl_permission;
using security::pattern_type;
using security::resource_type;
using testing::store_fixture;

acl_binding allow_read(std::string topic, pattern_type p = pattern_type::literal,
                       std::string principal = "User:alice") {
  return acl_binding{resource_type::topic, std::move(topic),     p, std::move(principal), "*",
                     acl_operation::read,  acl_permission::allow};
}

TEST(metadata_store_acls, create_validates_dedups_and_survives_a_restart) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  {
    store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok()) << f.error();
    std::vector<acl_binding> acls{allow_read("a"), allow_read("b", pattern_type::prefixed),
                                  allow_read("a"), allow_read("")};
    auto r = f.run([&]() { return f.store().create_acls(acls); });
    ASSERT_EQ(r.size(), 4u);
    EXPECT_TRUE(r[0].ok());
    EXPECT_TRUE(r[1].ok());
    EXPECT_TRUE(r[2].ok());  // equal to the first: success, no second copy
    EXPECT_EQ(r[3].error, error_code::invalid_request);
    EXPECT_EQ(f.store().image()->acls.size(), 2u);
    // Again: nothing new.
    std::vector<acl_binding> again{allow_read("a")};
    EXPECT_TRUE(f.run([&]() { return f.store().create_acls(again); })[0].ok());
    EXPECT_EQ(f.store().image()->acls.size(), 2u);
    f.store().close();
  }
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  const auto& acls = f.store().image()->acls;
  ASSERT_EQ(acls.size(), 2u);
  EXPECT_NE(acls.find(allow_read("a")), nullptr);
  EXPECT_NE(acls.find(allow_read("b", pattern_type::prefixed)), nullptr);
  f.store().close();
}

TEST(metadata_store_acls, delete_by_filters) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  {
    store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok()) << f.error();
    std::vector<acl_binding> acls{allow_read("a"), allow_read("a", pattern_type::literal, "User:b"),
                                  allow_read("ab", pattern_type::prefixed), allow_read("x")};
    for (const auto& r : f.run([&]() { return f.store().create_acls(acls); })) {
      ASSERT_TRUE(r.ok());
    }
    acl_filter by_user;
    by_user.principal = "User:b";
    acl_filter match_abc;
    match_abc.pattern = pattern_type::match;
    match_abc.name = "abc";
    acl_filter also_b = by_user;  // matches what the first filter removes
    acl_filter bad;
    bad.operation = acl_operation::unknown;
    std::vector<acl_filter> filters{by_user, match_abc, also_b, bad};
    auto r = f.run([&]() { return f.store().delete_acls(filters); });
    ASSERT_EQ(r.size(), 4u);
    ASSERT_TRUE(r[0].ok());
    ASSERT_EQ(r[0].deleted.size(), 1u);
    EXPECT_EQ(r[0].deleted[0].principal, "User:b");
    ASSERT_EQ(r[1].deleted.size(), 1u);
    EXPECT_EQ(r[1].deleted[0].name, "ab");
    EXPECT_EQ(r[2].deleted.size(), 1u);
    EXPECT_EQ(r[3].error, error_code::invalid_request);
    EXPECT_EQ(f.store().image()->acls.size(), 2u);
    f.store().close();
  }
  store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f.store().image()->acls.size(), 2u);
  EXPECT_NE(f.store().image()->acls.find(allow_read("x")), nullptr);
  f.store().close();
}

}  // namespace
}  // namespace vltava::cluster
