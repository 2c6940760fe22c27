#include "quorum/io/quorum_state_file.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>

#include "storage/fault_io.h"
#include "storage/test_util.h"

namespace vltava::quorum {
namespace {

using model::leader_epoch;
using model::node_id;

const std::vector<node_id> three{node_id(1), node_id(2), node_id(3)};

struct state_dir {
  storage::testing::temp_dir tmp;
  storage::posix_io real;
  storage::fault_io io{real};
  quorum_state_file file{io, tmp.path(), three};

  void put(const std::string& text) { std::ofstream(file.path()) << text; }
};

TEST(quorum_state_file, a_missing_file_is_the_default_state) {
  state_dir d;
  auto s = d.file.read();
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(*s, election_state{});
}

TEST(quorum_state_file, writes_kafkas_version_0_layout) {
  election_state s{leader_epoch(7), node_id(3), node_id(2)};
  EXPECT_EQ(encode_quorum_state(s, three),
            "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":3,"
            "\"appliedOffset\":0,\"currentVoters\":[{\"voterId\":1},{\"voterId\":2},"
            "{\"voterId\":3}],\"data_version\":0}\n");
  EXPECT_EQ(encode_quorum_state(election_state{}, {node_id(1)}),
            "{\"clusterId\":\"\",\"leaderId\":-1,\"leaderEpoch\":0,\"votedId\":-1,"
            "\"appliedOffset\":0,\"currentVoters\":[{\"voterId\":1}],\"data_version\":0}\n");
}

TEST(quorum_state_file, round_trips) {
  state_dir d;
  for (const auto& s : {election_state{leader_epoch(1), node_id(1), std::nullopt},
                        election_state{leader_epoch(1), node_id(1), node_id(1)},
                        election_state{leader_epoch(4), std::nullopt, node_id(3)},
                        election_state{leader_epoch(9), std::nullopt, std::nullopt}}) {
    ASSERT_TRUE(d.file.write(s));
    auto back = d.file.read();
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(*back, s);
  }
}

TEST(quorum_state_file, reads_what_kafka_writes) {
  state_dir d;
  // Kafka's own example, spaced as a person might write it; null voters are allowed.
  d.put(
      "{ \"clusterId\": \"\", \"leaderId\": 1, \"leaderEpoch\": 2, \"votedId\": -1,\n"
      "  \"appliedOffset\": 0, \"currentVoters\": null, \"data_version\": 0 }");
  auto s = d.file.read();
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(*s, (election_state{leader_epoch(2), std::nullopt, node_id(1)}));
}

TEST(quorum_state_file, a_crash_before_the_rename_keeps_the_old_state) {
  state_dir d;
  election_state old{leader_epoch(3), node_id(2), std::nullopt};
  ASSERT_TRUE(d.file.write(old));
  d.io.fail_next(storage::io_op::rename, EIO);
  auto w = d.file.write({leader_epoch(4), node_id(3), std::nullopt});
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().find("quorum-state"), std::string::npos) << w.error();
  auto s = d.file.read();  // the temporary file is left behind, and ignored
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(*s, old);
  ASSERT_TRUE(d.file.write({leader_epoch(5), std::nullopt, node_id(1)}));
  EXPECT_EQ(d.file.read().value(), (election_state{leader_epoch(5), std::nullopt, node_id(1)}));
}

TEST(quorum_state_file, a_failed_sync_fails_the_write) {
  state_dir d;
  d.io.fail_next(storage::io_op::fdatasync, EIO);
  EXPECT_FALSE(d.file.write({leader_epoch(1), node_id(1), std::nullopt}));
  EXPECT_EQ(d.file.read().value(), election_state{});
}

TEST(quorum_state_file, a_corrupt_file_is_an_error_naming_it) {
  const char* bad[] = {
      "",
      "{",
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":3,\"appliedOffset\":0,"
      "\"currentVoters\":[],\"data_version\":0",  // cut short
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":-7,\"votedId\":3,\"appliedOffset\":0,"
      "\"currentVoters\":[],\"data_version\":0}",  // negative epoch
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":99999999999,\"votedId\":3,"
      "\"appliedOffset\":0,\"currentVoters\":[],\"data_version\":0}",  // epoch out of range
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":-2,\"appliedOffset\":0,"
      "\"currentVoters\":[],\"data_version\":0}",  // bad vote
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"appliedOffset\":0,"
      "\"currentVoters\":[],\"data_version\":0}",  // no votedId
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"leaderEpoch\":8,\"votedId\":3,"
      "\"appliedOffset\":0,\"currentVoters\":[],\"data_version\":0}",  // repeated key
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":3,\"appliedOffset\":0,"
      "\"currentVoters\":[],\"data_version\":1}",  // a version we do not read
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":3,\"appliedOffset\":0,"
      "\"currentVoters\":[],\"data_version\":0,\"extra\":1}",  // unknown key
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":3,\"appliedOffset\":0,"
      "\"currentVoters\":[],\"data_version\":0} trailing",
      "{\"clusterId\":\"\",\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":3,\"appliedOffset\":0,"
      "\"currentVoters\":[{\"voterId\":1},{\"voterId\":5}],\"data_version\":0}",  // other voters
  };
  for (const char* text : bad) {
    state_dir d;
    d.put(text);
    auto s = d.file.read();
    ASSERT_FALSE(s) << "accepted: " << text;
    EXPECT_NE(s.error().find(d.file.path()), std::string::npos) << s.error();
  }
}

TEST(quorum_state_file, a_file_too_large_is_refused) {
  state_dir d;
  d.put(std::string(quorum_state_file::file_bytes_max + 1, ' '));
  EXPECT_FALSE(d.file.read());
}

}  // namespace
}  // namespace vltava::quorum
