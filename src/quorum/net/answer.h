#pragma once

// The answering side in one call, for the Kafka handlers of Vote, BeginQuorumEpoch,
// EndQuorumEpoch and Fetch: check and map the decoded request, ask the node, map its answer.
//
//   protocol::vote_response r = co_await rpc::answer(std::move(request), version,
//                                                     correlation_id(header.correlation_id),
//                                                     local, ask_node);
//
// `ask` is any callable (from, message) -> awaitable<result<message, errc>>, such as a call to
// quorum_service::handle_request on its shard. When the node gives no answer (errc: it is
// stopping), the peer gets that error for the partition.

#include <utility>
#include <variant>

#include "base/assert.h"
#include "net/asio.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {

namespace detail {

template <typename QuorumResponse, typename Ask>
net::awaitable<QuorumResponse> ask_node(peer_request in, Ask& ask) {
  result<message, errc> answer = co_await ask(in.from, std::move(in.request));
  if (!answer) {
    QuorumResponse failed{};
    failed.error = answer.error();
    co_return failed;
  }
  auto* r = std::get_if<QuorumResponse>(&answer->body);
  VLTAVA_ASSERT(r != nullptr, "the node answers a request with its response");
  co_return std::move(*r);
}

// The checks and mappings around the node's answer, for the APIs whose answer is one struct.
template <typename QuorumResponse, typename KafkaRequest, typename Ask>
auto answer_as(KafkaRequest request, int16_t version, correlation_id c, local_quorum local,
               Ask& ask)
    -> net::awaitable<decltype(rpc::to_kafka(std::declval<QuorumResponse>()))> {
  auto in = rpc::from_kafka(request, version, c, local);
  if (!in) co_return in.error();
  co_return rpc::to_kafka(co_await ask_node<QuorumResponse>(std::move(*in), ask));
}

}  // namespace detail

// Vote, BeginQuorumEpoch, EndQuorumEpoch: requests are taken by value (these are coroutines).
template <typename Ask>
net::awaitable<protocol::vote_response> answer(protocol::vote_request request, int16_t version,
                                               correlation_id c, local_quorum local, Ask ask) {
  co_return co_await detail::answer_as<vote_response>(std::move(request), version, c,
                                                      std::move(local), ask);
}
template <typename Ask>
net::awaitable<protocol::begin_quorum_epoch_response> answer(
    protocol::begin_quorum_epoch_request request, int16_t version, correlation_id c,
    local_quorum local, Ask ask) {
  co_return co_await detail::answer_as<begin_quorum_epoch_response>(std::move(request), version, c,
                                                                    std::move(local), ask);
}
template <typename Ask>
net::awaitable<protocol::end_quorum_epoch_response> answer(
    protocol::end_quorum_epoch_request request, int16_t version, correlation_id c,
    local_quorum local, Ask ask) {
  co_return co_await detail::answer_as<end_quorum_epoch_response>(std::move(request), version, c,
                                                                  std::move(local), ask);
}

// Fetch: the answer owns its Records bytes.
template <typename Ask>
net::awaitable<fetch_answer> answer(protocol::fetch_request request, int16_t version,
                                    correlation_id c, local_quorum local, Ask ask) {
  auto in = from_kafka(request, version, c, local);
  if (!in) {
    fetch_answer refused;
    refused.body = std::move(in.error());
    co_return refused;
  }
  co_return to_kafka(co_await detail::ask_node<fetch_response>(std::move(*in), ask), version);
}

// FetchSnapshot: the answer owns its chunk.
template <typename Ask>
net::awaitable<fetch_snapshot_answer> answer(protocol::fetch_snapshot_request request,
                                             int16_t version, correlation_id c, local_quorum local,
                                             Ask ask) {
  auto in = from_kafka(request, version, c, local);
  if (!in) {
    fetch_snapshot_answer refused;
    refused.body = std::move(in.error());
    co_return refused;
  }
  co_return to_kafka(co_await detail::ask_node<fetch_snapshot_response>(std::move(*in), ask));
}

}  // namespace vltava::quorum::rpc
