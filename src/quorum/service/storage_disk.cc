#include "quorum/service/storage_disk.h"

#include <memory>

namespace vltava::quorum {

void storage_disk::flush(std::function<void(result<model::offset, std::string>)> done) {
  auto pending = std::make_shared<decltype(done)>(std::move(done));
  _log.request_flush([ex = _ex, log = &_log, pending] {
    // On the flusher thread (or here, when nothing needed a sync): only post.
    asio::post(ex, [log, pending] {
      if (auto f = log->failure()) return (*pending)(fail(*f));
      (*pending)(log->durable_end());
    });
  });
}

}  // namespace vltava::quorum
