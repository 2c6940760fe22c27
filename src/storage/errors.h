#pragma once

// Errors of the storage layer: a code callers branch on, and a message for operators that names
// what failed (file, byte position, errno text).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vltava::storage {

enum class errc : uint8_t {
  io_error = 1,         // the OS failed an operation (EIO and friends); message has errno text
  no_space,             // ENOSPC or EDQUOT
  invalid_batch,        // an appended batch was refused; message says what is wrong
  offset_out_of_range,  // an offset below the log start or above the log end
  corrupt,              // bytes on disk before the tail failed validation; names the place
  log_failed,           // an fsync failed earlier: writes are refused until the log is reopened
  invalid_config,       // a log_config value is out of its bounds
  too_large,            // an append or a batch exceeds its configured limit
};

std::string_view describe(errc e);

struct storage_error {
  errc code = errc::io_error;
  std::string message;
};

template <typename T>
using sresult = result<T, storage_error>;

inline failure<storage_error> error(errc code, std::string message) {
  return fail(storage_error{code, std::move(message)});
}

// Maps errno of a failed `op` on `path` to an error: ENOSPC/EDQUOT -> no_space, else io_error.
failure<storage_error> errno_error(int err, std::string_view op, std::string_view path);

}  // namespace vltava::storage
