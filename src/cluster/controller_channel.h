#pragma once

// A broker's connection to the active controller (Kafka's NodeToControllerChannelManager):
// requests go to whichever voter the metadata image names as controller, on its CONTROLLER
// listener (from controller.quorum.voters). Used by the broker lifecycle (BrokerRegistration,
// BrokerHeartbeat) and to forward admin requests a broker cannot decide itself.
//
// A call made while no controller is known, or to a controller that stops answering, fails
// with a value; callers retry (the next image may name another controller).
//
// Threading: lives on one executor (shard 0); calls are awaited there.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "net/kafka_call.h"
#include "net/kafka_client.h"

namespace vltava::cluster {

struct controller_address {
  model::node_id id;
  std::string host;
  uint16_t port = 0;
};

enum class channel_errc : uint8_t {
  no_controller = 1,  // the image names no controller, or one without an address
  call_failed,        // the call failed (see the log line); the controller may have moved
};

class controller_channel {
 public:
  // `active` names the current controller (the image's controller_id; -1 when none).
  controller_channel(asio::any_io_executor executor, std::vector<controller_address> voters,
                     std::function<model::node_id()> active, net::client_options options = {});
  ~controller_channel();
  controller_channel(const controller_channel&) = delete;
  controller_channel& operator=(const controller_channel&) = delete;

  // The controller a call would go to now, when it has an address.
  std::optional<model::node_id> controller() const;

  // A typed call to the active controller at `version`.
  template <typename Api>
  net::awaitable<result<net::decoded_response<typename Api::response_type>, channel_errc>> call(
      const typename Api::request_type& request, int16_t version,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    net::kafka_client* client = current();
    if (client == nullptr) co_return fail(channel_errc::no_controller);
    auto r = co_await net::call<Api>(*client, request, version, timeout);
    if (!r) co_return fail(channel_errc::call_failed);
    co_return std::move(r).value();
  }

  // A request already encoded (a forwarded one): its body at `api_version`, the response frame.
  net::awaitable<result<net::response_frame, channel_errc>> forward(
      int16_t api_key, int16_t api_version, int16_t request_header_version,
      std::vector<std::byte> body, std::chrono::milliseconds timeout);

 private:
  net::kafka_client* current();

  asio::any_io_executor _executor;
  std::map<model::node_id, controller_address> _voters;
  std::function<model::node_id()> _active;
  net::client_options _options;
  std::map<model::node_id, std::unique_ptr<net::kafka_client>> _clients;  // opened on first use
};

}  // namespace vltava::cluster
