#pragma once
// The CLI's exit codes (README.md lists them for scripts; keep the two in step).

namespace vltava::cli {

enum class exit_code : int {
  ok = 0,
  failed = 1,       // the broker refused the request, or some messages were not delivered
  usage = 2,        // bad arguments: nothing was sent
  unreachable = 3,  // no broker answered within --timeout-ms
  not_found = 4,    // the named topic or group does not exist
  interrupted = 130,
};

inline int to_int(exit_code c) {
  return static_cast<int>(c);
}

}  // namespace vltava::cli
