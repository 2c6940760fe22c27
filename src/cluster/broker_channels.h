#pragma once

// Connections from this broker to the other brokers (Kafka's inter-broker channels: the
// transaction coordinator's WriteTxnMarkers, KIP-890 verification with AddPartitionsToTxn v4+;
// the replica fetchers have an instance of their own, since their parked fetches would hold
// up the answers behind them on a shared connection). One kafka_client per broker, to its
// advertised endpoint on `inter.broker.listener.name` as the metadata image has it; opened on
// first use and replaced when the image gives the broker another endpoint (a restart on a new
// port), so no caller ever holds an address.
//
// A call made while the image has no such broker, or the broker no endpoint on the listener,
// fails with a value at once; callers retry (the next image may have it).
//
// Threading: the clients live on one shard (`home`); call() may be awaited from any shard and
// hops there and back.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "cluster/metadata_image.h"
#include "model/fundamental.h"
#include "net/kafka_call.h"
#include "net/kafka_client.h"
#include "net/shard_calls.h"
#include "net/shard_pool.h"

namespace vltava::cluster {

enum class broker_errc : uint8_t {
  no_endpoint = 1,  // the image has no such broker, or none of its endpoints is on the listener
  call_failed,      // the call failed (logged); the broker may be down or restarting
};

const char* to_string(broker_errc e);

class broker_channels {
 public:
  // `image` gives the current metadata image (from any thread); `listener` is
  // inter.broker.listener.name.
  broker_channels(net::shard_pool& shards, unsigned home, std::function<image_ptr()> image,
                  std::string listener, net::client_options options = {});
  ~broker_channels();
  broker_channels(const broker_channels&) = delete;
  broker_channels& operator=(const broker_channels&) = delete;

  // The endpoint calls to `broker` go to now, from the current image.
  std::optional<broker_endpoint> endpoint_of(model::node_id broker) const;

  // A typed call to `broker` at `version`, from any shard; resumes on the caller's shard.
  template <typename Api>
  net::awaitable<result<net::decoded_response<typename Api::response_type>, broker_errc>> call(
      model::node_id broker, const typename Api::request_type& request, int16_t version,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    using answer = result<net::decoded_response<typename Api::response_type>, broker_errc>;
    auto out = co_await net::on_shard<std::optional<answer>>(
        _shards, _home, [this, broker, &request, version, timeout] {
          return call_here<Api>(this, broker, request, version, timeout);
        });
    co_return std::move(*out);
  }

  // Closes every connection; calls in flight fail. On the home shard.
  void close_all();

  // The client to `broker` (on the home shard): the open one when its endpoint is still the
  // image's, else a new one; null without an endpoint.
  std::shared_ptr<net::kafka_client> client_for(model::node_id broker);

 private:
  template <typename Api>
  static net::awaitable<
      std::optional<result<net::decoded_response<typename Api::response_type>, broker_errc>>>
  call_here(broker_channels* self, model::node_id broker, const typename Api::request_type& request,
            int16_t version, std::optional<std::chrono::milliseconds> timeout) {
    // Held for the call: an image change may replace the map's client meanwhile.
    std::shared_ptr<net::kafka_client> client = self->client_for(broker);
    if (!client) co_return fail(broker_errc::no_endpoint);
    auto r = co_await net::call<Api>(*client, request, version, timeout);
    if (!r) {
      self->log_failure(broker, Api::name, r.error());
      co_return fail(broker_errc::call_failed);
    }
    co_return std::move(r).value();
  }
  void log_failure(model::node_id broker, std::string_view api, net::call_errc e) const;

  net::shard_pool& _shards;
  unsigned _home;
  std::function<image_ptr()> _image;
  std::string _listener;
  net::client_options _options;
  std::map<model::node_id, std::shared_ptr<net::kafka_client>> _clients;  // home shard only
};

}  // namespace vltava::cluster
