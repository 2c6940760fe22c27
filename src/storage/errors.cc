#include "storage/errors.h"

#include <cerrno>
#include <cstring>

namespace vltava::storage {

std::string_view describe(errc e) {
  switch (e) {
    case errc::io_error:
      return "I/O error";
    case errc::no_space:
      return "no space left on device";
    case errc::invalid_batch:
      return "invalid record batch";
    case errc::offset_out_of_range:
      return "offset out of range";
    case errc::corrupt:
      return "corrupt log data";
    case errc::log_failed:
      return "log failed after an fsync error";
    case errc::invalid_config:
      return "invalid log config";
    case errc::too_large:
      return "too large";
  }
  return "unknown storage error";
}

failure<storage_error> errno_error(int err, std::string_view op, std::string_view path) {
  std::string msg(op);
  msg += ' ';
  msg += path;
  msg += ": ";
  msg += std::strerror(err);
  errc code = (err == ENOSPC || err == EDQUOT) ? errc::no_space : errc::io_error;
  return fail(storage_error{code, std::move(msg)});
}

}  // namespace vltava::storage
