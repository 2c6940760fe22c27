#pragma once

// storage_disk: quorum_disk over a node's real disk: the election state in Kafka's
// quorum-state file (quorum/io/quorum_state_file.h) and the metadata log's durability through
// storage_log (quorum/io/storage_log.h).
//
// flush() keeps storage_log's durability rule: the flusher's completion only wakes the
// service's executor; the durable end handed to `done` is read there, when `done` runs, so it
// describes the log as it is then (a completion that raced a truncation reports nothing of the
// cut tail). A failed write or fsync of the log is reported to `done` as an error.

#include <functional>
#include <string>

#include "net/asio.h"
#include "quorum/io/quorum_state_file.h"
#include "quorum/io/storage_log.h"
#include "quorum/service/quorum_service.h"

namespace vltava::quorum {

class storage_disk final : public quorum_disk {
 public:
  // `ex` is the service's executor; `log` and `state` must outlive this object, and the log
  // its flushes in flight (storage::log's destructor waits for them).
  storage_disk(asio::any_io_executor ex, storage_log& log, quorum_state_file& state)
      : _ex(std::move(ex)), _log(log), _state(state) {}

  // Synchronous: returns once the state is durable (temp file, fdatasync, rename, dir fsync).
  result<void, std::string> persist(const election_state& state) override {
    return _state.write(state);
  }
  void flush(std::function<void(result<model::offset, std::string>)> done) override;
  std::optional<std::string> failure() const override { return _log.failure(); }

 private:
  asio::any_io_executor _ex;
  storage_log& _log;
  quorum_state_file& _state;
};

}  // namespace vltava::quorum
