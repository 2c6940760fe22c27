#include "quorum/net/send.h"

#include <fmt/format.h>

#include "net/kafka_call.h"

namespace vltava::quorum::rpc {
namespace {

template <typename Api>
net::awaitable<result<message, std::string>> call_api(net::kafka_client& client,
                                                      typename Api::request_type request,
                                                      int16_t version, correlation_id c,
                                                      std::chrono::milliseconds timeout) {
  auto response = co_await net::call<Api>(client, request, version, timeout);
  if (!response) {
    co_return fail(fmt::format("{} v{} to {}:{}: {}", Api::name, version, client.host(),
                               client.port(), net::to_string(response.error())));
  }
  co_return from_kafka(response->body, c);
}

}  // namespace

net::awaitable<result<message, std::string>> send(net::kafka_client& client, model::node_id to,
                                                  message request,
                                                  std::chrono::milliseconds timeout,
                                                  send_options options) {
  const versions& v = options.versions;
  const correlation_id c = request.correlation;
  if (const auto* r = std::get_if<vote_request>(&request.body)) {
    if (r->pre_vote && v.vote < 2) co_return fail(std::string("a pre-vote needs Vote v2"));
    co_return co_await call_api<protocol::vote_api>(client, to_kafka(*r, to, v.vote), v.vote, c,
                                                    timeout);
  }
  if (const auto* r = std::get_if<begin_quorum_epoch_request>(&request.body)) {
    co_return co_await call_api<protocol::begin_quorum_epoch_api>(
        client, to_kafka(*r, to, v.begin_quorum_epoch), v.begin_quorum_epoch, c, timeout);
  }
  if (const auto* r = std::get_if<end_quorum_epoch_request>(&request.body)) {
    co_return co_await call_api<protocol::end_quorum_epoch_api>(
        client, to_kafka(*r, v.end_quorum_epoch), v.end_quorum_epoch, c, timeout);
  }
  if (const auto* r = std::get_if<fetch_request>(&request.body)) {
    co_return co_await call_api<protocol::fetch_api>(client, to_kafka(*r, v.fetch, options.fetch),
                                                     v.fetch, c, timeout);
  }
  if (const auto* r = std::get_if<fetch_snapshot_request>(&request.body)) {
    co_return co_await call_api<protocol::fetch_snapshot_api>(
        client, to_kafka(*r, v.fetch_snapshot), v.fetch_snapshot, c, timeout);
  }
  co_return fail(std::string("only requests are sent to peers"));
}

}  // namespace vltava::quorum::rpc
