#include "quorum/net/transport.h"

#include <fmt/format.h>

namespace vltava::quorum::rpc {

kafka_transport::kafka_transport(asio::any_io_executor executor,
                                 const std::vector<peer_address>& peers, transport_options options)
    : _options(std::move(options)) {
  for (const peer_address& p : peers) {
    _clients.emplace(
        p.id, std::make_unique<net::kafka_client>(executor, p.host, p.port, _options.client));
  }
}

net::awaitable<result<message, std::string>> kafka_transport::call(model::node_id to,
                                                                   message request) {
  auto it = _clients.find(to);
  if (it == _clients.end()) co_return fail(fmt::format("no address for node {}", to.value()));
  co_return co_await send(*it->second, to, std::move(request), _options.request_timeout,
                          _options.send);
}

}  // namespace vltava::quorum::rpc
