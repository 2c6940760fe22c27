#pragma once

// quorum_state_file: a voter's durable election state (election_state.h) as Kafka keeps it,
// the `quorum-state` file in the metadata log's directory (<data>/__cluster_metadata-0/). The
// layout is Kafka's FileQuorumStateStore, data_version 0 (static voters): one line of JSON,
//
//   {"clusterId":"","leaderId":2,"leaderEpoch":7,"votedId":-1,"appliedOffset":0,
//    "currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}
//
// -1 is "none" for leaderId and votedId; clusterId and appliedOffset are written as Kafka
// writes them ("" and 0) and not used. docs/formats/metadata-log.md has the grammar.
//
// The rule that makes votes safe: a persist_election output is executed by a synchronous call
// to write(), which returns only once the state is durable, before any output after it.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "quorum/election_state.h"
#include "storage/file_io.h"

namespace vltava::quorum {

class quorum_state_file {
 public:
  static constexpr std::string_view file_name = "quorum-state";
  // Kafka's reader reads one line; ours reads the file whole, bounded.
  static constexpr std::size_t file_bytes_max = 64 * 1024;

  // `dir` is the metadata log's directory and must exist; `voters` are the configured voters,
  // written as currentVoters and checked against the file's. `io` must outlive this object.
  quorum_state_file(storage::file_io& io, std::string dir, std::vector<model::node_id> voters);

  // The state last written. A missing file is a node that never voted nor followed: the
  // default state (epoch 0, no vote, no leader). A file that cannot be read or parsed, or
  // whose currentVoters differ from the configured voters (as Kafka refuses), is an error
  // naming the file. Blocking.
  result<election_state, std::string> read() const;
  // Makes `state` durable before returning: a temporary file, fdatasync, rename over the old
  // file, directory fsync. After a crash at any point the file holds the old state or the new
  // one. Blocking (one or two fsyncs): executes a persist_election output.
  result<void, std::string> write(const election_state& state);

  std::string path() const { return _dir + "/" + std::string(file_name); }

 private:
  storage::file_io& _io;
  std::string _dir;
  std::vector<model::node_id> _voters;
};

// The file's contents for `state` (one line, ending in a newline), and back. Parsing is strict:
// exactly Kafka's version 0 keys, each once, values in range, nothing after the object.
std::string encode_quorum_state(const election_state& state,
                                const std::vector<model::node_id>& voters);
struct decoded_quorum_state {
  election_state state;
  std::vector<model::node_id> voters;  // currentVoters; empty when null
};
result<decoded_quorum_state, std::string> decode_quorum_state(std::string_view text);

}  // namespace vltava::quorum
