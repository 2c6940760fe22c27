#pragma once

// kafka_transport: quorum_service's network (quorum_transport) over Kafka's RPCs, one
// kafka_client per peer, all on the service's executor.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/kafka_client.h"
#include "quorum/net/send.h"
#include "quorum/service/quorum_service.h"

namespace vltava::quorum::rpc {

// A peer's CONTROLLER listener (from controller.quorum.voters: id@host:port).
struct peer_address {
  model::node_id id;
  std::string host;
  uint16_t port = 0;
};

struct transport_options {
  net::client_options client;  // client.id, retry backoff, response and in-flight limits
  // controller.quorum.request.timeout.ms; above fetch.max_wait_ms, which a Fetch may be held.
  std::chrono::milliseconds request_timeout{2'000};
  send_options send;
};

class kafka_transport final : public quorum_transport {
 public:
  // Connections open on first use. Must be destroyed on `executor` (or after it stopped).
  kafka_transport(asio::any_io_executor executor, const std::vector<peer_address>& peers,
                  transport_options options = {});

  // An unknown peer is an error line; so is anything send() reports.
  net::awaitable<result<message, std::string>> call(model::node_id to, message request) override;

 private:
  transport_options _options;
  std::map<model::node_id, std::unique_ptr<net::kafka_client>> _clients;
};

}  // namespace vltava::quorum::rpc
