#include "cluster/bootstrap_metadata.h"

#include <gtest/gtest.h>

#include "cluster/metadata_store.h"
#include "cluster/metadata_store_fixture.h"
#include "storage/test_util.h"

namespace vltava::cluster {
namespace {

using security::scram_mechanism;

TEST(bootstrap_metadata, add_scram_in_kafkas_syntax) {
  auto r = parse_add_scram("SCRAM-SHA-256=[name=alice,password=alice-secret]");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->name, "alice");
  EXPECT_EQ(r->mechanism, 1);
  EXPECT_EQ(r->iterations, 4096);
  EXPECT_EQ(r->salt.size(), 32u);  // made here
  // Salt and salted password given (base64, quoted as Kafka's help shows): the keys are those
  // of RFC 5802 for that salted password.
  r = parse_add_scram(
      R"(SCRAM-SHA-512=[name=bob,iterations=8192,salt="N3E=",saltedpassword="YCE="])");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->mechanism, 2);
  EXPECT_EQ(r->iterations, 8192);
  auto expected = security::scram_credential_from_salted(
      scram_mechanism::sha512, std::vector<uint8_t>{0x60, 0x21}, {0x37, 0x71}, 8192);
  EXPECT_EQ(scram_record("bob", scram_mechanism::sha512, expected), *r);
  // A password with '=' and ',' inside quotes... ',' is a separator in Kafka's syntax too, '='
  // inside quotes is kept.
  r = parse_add_scram(R"(SCRAM-SHA-256=[name=carol,password="a=b"])");
  ASSERT_TRUE(r) << r.error();
  auto salt = std::vector<uint8_t>(r->salt.size());
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<uint8_t>(r->salt[i]);
  auto carol = security::make_scram_credential(scram_mechanism::sha256, "a=b", salt, 4096);
  EXPECT_EQ(scram_record("carol", scram_mechanism::sha256, carol), *r);
}

TEST(bootstrap_metadata, bad_add_scram_arguments_say_why) {
  for (const char* bad : {
           "SCRAM-SHA-1=[name=a,password=b]",                        // mechanism
           "SCRAM-SHA-256",                                          // no body
           "SCRAM-SHA-256=name=a,password=b",                        // no brackets
           "SCRAM-SHA-256=[password=b]",                             // no name
           "SCRAM-SHA-256=[name=,password=b]",                       // empty name
           "SCRAM-SHA-256=[name=a]",                                 // no password
           "SCRAM-SHA-256=[name=a,password=b,saltedpassword=YCE=]",  // both
           "SCRAM-SHA-256=[name=a,saltedpassword=YCE=]",             // salted without salt
           "SCRAM-SHA-256=[name=a,password=b,iterations=4095]",
           "SCRAM-SHA-256=[name=a,password=b,iterations=16385]",
           "SCRAM-SHA-256=[name=a,password=b,iterations=lots]",
           "SCRAM-SHA-256=[name=a,password=b,salt=!!!]",
           "SCRAM-SHA-256=[name=a,password=b,colour=red]",
           "SCRAM-SHA-256=[name=a,password]",
       }) {
    EXPECT_FALSE(parse_add_scram(bad).has_value()) << bad;
  }
}

TEST(bootstrap_metadata, the_file_round_trips_and_its_absence_is_no_records) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  auto none = read_bootstrap_metadata(io, dir.path());
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->empty());
  std::vector<metadata_record> records{*parse_add_scram("SCRAM-SHA-256=[name=a,password=b]"),
                                       *parse_add_scram("SCRAM-SHA-512=[name=a,password=b]")};
  ASSERT_TRUE(write_bootstrap_metadata(io, dir.path(), records, 1000));
  auto back = read_bootstrap_metadata(io, dir.path());
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_TRUE((*back)[0] == records[0]);
  EXPECT_TRUE((*back)[1] == records[1]);
}

TEST(bootstrap_metadata, the_first_controller_writes_it_once) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  std::vector<metadata_record> records{
      *parse_add_scram("SCRAM-SHA-256=[name=alice,password=alice-secret]")};
  ASSERT_TRUE(write_bootstrap_metadata(io, dir.path(), records, 1000));
  int64_t offset = -1;
  {
    testing::store_fixture f(dir.path(), io);
    ASSERT_TRUE(f.ok()) << f.error();
    const auto& creds = f.store().image()->scram_credentials;
    ASSERT_EQ(creds.size(), 1u);
    EXPECT_TRUE(creds.contains({"alice", scram_mechanism::sha256}));
    // Deleted afterwards: a restart must not bring it back.
    auto d = f.run([&]() { return f.store().alter_scram_credentials({{"alice", 1}}, {}); });
    ASSERT_TRUE(d.at(0).ok());
    offset = f.store().image()->offset;
    f.store().close();
  }
  testing::store_fixture f(dir.path(), io);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_TRUE(f.store().image()->scram_credentials.empty());
  EXPECT_GE(f.store().image()->offset, offset);
  f.store().close();
}

TEST(bootstrap_metadata, a_corrupt_file_stops_the_store_from_opening) {
  storage::testing::temp_dir dir;
  storage::posix_io io;
  std::string junk = "not a checkpoint";
  ASSERT_TRUE(storage::write_file_atomic(io, dir.path(), std::string(bootstrap_file_name),
                                         std::as_bytes(std::span(junk))));
  EXPECT_FALSE(read_bootstrap_metadata(io, dir.path()).has_value());
  testing::store_fixture f(dir.path(), io);
  EXPECT_FALSE(f.ok());
}

}  // namespace
}  // namespace vltava::cluster
