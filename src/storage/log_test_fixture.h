#pragma once

// A log fixture for storage tests: real files in a temp dir, behind a fault_io.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "storage/fault_io.h"
#include "storage/flusher.h"
#include "storage/log.h"
#include "storage/test_util.h"

namespace vltava::storage::testing {

class log_fixture : public ::testing::Test {
 protected:
  std::unique_ptr<log> open_log() {
    auto l = log::open(io, flush, dir, {"topic", model::partition_id(3)}, cfg);
    if (!l) {
      ADD_FAILURE() << "open failed: " << l.error().message;
      return nullptr;
    }
    return std::move(*l);
  }
  append_result append(log& l, int32_t records = 5, size_t payload = 100, int64_t ts = 1000,
                       append_options opts = {}) {
    auto b = make_batch(records, payload, ts, static_cast<uint8_t>(++_seed));
    auto r = l.append(b, opts);
    if (!r) {
      ADD_FAILURE() << "append failed: " << r.error().message;
      return {};
    }
    return *r;
  }
  std::vector<std::string> files() {
    flush.drain();  // checkpoints are written by the flusher
    std::vector<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  uint64_t file_size(const std::string& name) const {
    return std::filesystem::file_size(dir + "/" + name);
  }

  temp_dir tmp;
  posix_io real;
  fault_io io{real};
  flusher flush{io};
  std::string dir = tmp.sub("topic-3");
  log_config cfg;
  int _seed = 0;
};

}  // namespace vltava::storage::testing
