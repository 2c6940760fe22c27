#include "cluster/broker_channels.h"

#include "base/log.h"

namespace vltava::cluster {

const char* to_string(broker_errc e) {
  switch (e) {
    case broker_errc::no_endpoint:
      return "no endpoint";
    case broker_errc::call_failed:
      return "call failed";
  }
  return "unknown";
}

broker_channels::broker_channels(net::shard_pool& shards, unsigned home,
                                 std::function<image_ptr()> image, std::string listener,
                                 net::client_options options)
    : _shards(shards),
      _home(home),
      _image(std::move(image)),
      _listener(std::move(listener)),
      _options(std::move(options)) {}

broker_channels::~broker_channels() = default;

std::optional<broker_endpoint> broker_channels::endpoint_of(model::node_id broker) const {
  image_ptr image = _image();
  const broker_info* b = image ? image->find_broker(broker) : nullptr;
  if (!b) return std::nullopt;
  for (const auto& e : b->endpoints) {
    if (e.listener == _listener) return e;
  }
  return std::nullopt;
}

std::shared_ptr<net::kafka_client> broker_channels::client_for(model::node_id broker) {
  auto endpoint = endpoint_of(broker);
  auto it = _clients.find(broker);
  if (!endpoint) {
    if (it != _clients.end()) _clients.erase(it);  // unregistered: calls in flight keep theirs
    return nullptr;
  }
  if (it != _clients.end() && it->second->host() == endpoint->host &&
      it->second->port() == endpoint->port) {
    return it->second;
  }
  if (it != _clients.end()) {
    log::info("cluster", "broker {} moved to {}:{}; reconnecting", broker(), endpoint->host,
              endpoint->port);
  }
  auto client = std::make_shared<net::kafka_client>(_shards.shard(_home).get_executor(),
                                                    endpoint->host, endpoint->port, _options);
  _clients[broker] = client;
  return client;
}

void broker_channels::close_all() {
  for (auto& [_, c] : _clients) c->close();
  _clients.clear();
}

void broker_channels::log_failure(model::node_id broker, std::string_view api,
                                  net::call_errc e) const {
  log::warn("cluster", "{} to broker {} failed: {}", api, broker(), net::to_string(e));
}

}  // namespace vltava::cluster
