#include "cluster/controller_channel.h"

namespace vltava::cluster {

controller_channel::controller_channel(asio::any_io_executor executor,
                                       std::vector<controller_address> voters,
                                       std::function<model::node_id()> active,
                                       net::client_options options)
    : _executor(std::move(executor)), _active(std::move(active)), _options(std::move(options)) {
  for (auto& v : voters) _voters.emplace(v.id, std::move(v));
}

controller_channel::~controller_channel() = default;

std::optional<model::node_id> controller_channel::controller() const {
  const model::node_id id = _active();
  if (!_voters.contains(id)) return std::nullopt;
  return id;
}

net::kafka_client* controller_channel::current() {
  auto id = controller();
  if (!id) return nullptr;
  auto& client = _clients[*id];
  if (!client) {
    const controller_address& a = _voters.at(*id);
    client = std::make_unique<net::kafka_client>(_executor, a.host, a.port, _options);
  }
  return client.get();
}

net::awaitable<result<net::response_frame, channel_errc>> controller_channel::forward(
    int16_t api_key, int16_t api_version, int16_t request_header_version,
    std::vector<std::byte> body, std::chrono::milliseconds timeout) {
  net::kafka_client* client = current();
  if (client == nullptr) co_return fail(channel_errc::no_controller);
  auto r =
      co_await client->call(api_key, api_version, request_header_version, std::move(body), timeout);
  if (!r) co_return fail(channel_errc::call_failed);
  co_return std::move(r).value();
}

}  // namespace vltava::cluster
