#include "kafka/handlers/quorum_apis.h"

#include <chrono>

#include "cluster/metadata_store.h"
#include "net/shard_calls.h"
#include "quorum/net/answer.h"
#include "quorum/service/quorum_service.h"

namespace vltava::kafka {

namespace {

using asked = result<quorum::message, quorum::errc>;

net::awaitable<std::optional<asked>> ask_on_shard0(broker_services* s, model::node_id from,
                                                   quorum::message m) {
  co_return co_await s->metadata.quorum().handle_request(from, std::move(m));
}

// Hands a peer's request to the quorum on shard 0 and resumes here with its answer.
net::awaitable<asked> ask_quorum(broker_services* s, model::node_id from, quorum::message m) {
  auto answer = co_await net::on_shard<std::optional<asked>>(
      s->shards, 0, [s, from, &m] { return ask_on_shard0(s, from, std::move(m)); });
  co_return std::move(*answer);
}

quorum::rpc::local_quorum local(const request_context& ctx) {
  return {ctx.services.metadata.image()->cluster_id, ctx.services.node_id};
}

quorum::correlation_id correlation(const request_context& ctx) {
  return quorum::correlation_id(ctx.header.correlation_id);
}

// The peer-facing answer of one of the single-struct RPCs (Vote, Begin/EndQuorumEpoch).
template <typename Request>
auto answer_peer(request_context& ctx, const Request& request) {
  broker_services* s = &ctx.services;
  return quorum::rpc::answer(
      request, ctx.version(), correlation(ctx), local(ctx),
      [s](model::node_id from, quorum::message m) { return ask_quorum(s, from, std::move(m)); });
}

net::awaitable<std::optional<quorum::quorum_description>> describe_on_shard0(broker_services* s) {
  co_return s->metadata.quorum().describe();
}

std::chrono::milliseconds unix_ms_at_steady_zero() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch() -
                                     steady_clock::now().time_since_epoch());
}

}  // namespace

net::awaitable<std::optional<protocol::vote_response>> serve_vote(
    request_context& ctx, const protocol::vote_request& request) {
  co_return co_await answer_peer(ctx, request);
}

net::awaitable<std::optional<protocol::begin_quorum_epoch_response>> serve_begin_quorum_epoch(
    request_context& ctx, const protocol::begin_quorum_epoch_request& request) {
  co_return co_await answer_peer(ctx, request);
}

net::awaitable<std::optional<protocol::end_quorum_epoch_response>> serve_end_quorum_epoch(
    request_context& ctx, const protocol::end_quorum_epoch_request& request) {
  co_return co_await answer_peer(ctx, request);
}

net::awaitable<std::optional<protocol::describe_quorum_response>> serve_describe_quorum(
    request_context& ctx, const protocol::describe_quorum_request& request) {
  broker_services* s = &ctx.services;
  auto d = co_await net::on_shard<std::optional<quorum::quorum_description>>(
      s->shards, 0, [s] { return describe_on_shard0(s); });
  co_return quorum::rpc::describe_quorum(request, *d, s->node_id, unix_ms_at_steady_zero());
}

net::awaitable<net::handler_result> serve_fetch_snapshot(request_context& ctx,
                                                         std::span<const std::byte> body) {
  protocol::fetch_snapshot_request request;
  protocol::reader r(body, ctx.header.body_offset);
  if (auto d = request.decode(r, ctx.version()); !d) {
    co_return refuse_malformed(ctx, protocol::fetch_snapshot_api::name, d.error());
  }
  broker_services* s = &ctx.services;
  quorum::rpc::fetch_snapshot_answer a = co_await quorum::rpc::answer(
      std::move(request), ctx.version(), correlation(ctx), local(ctx),
      [s](model::node_id from, quorum::message m) { return ask_quorum(s, from, std::move(m)); });
  co_return net::handler_result{encode_response<protocol::fetch_snapshot_api>(ctx, a.body)};
}

bool is_metadata_fetch(const protocol::fetch_request& request, int16_t version) {
  if (request.topics.size() != 1) return false;
  const auto& t = request.topics[0];
  return version >= 13 ? t.topic_id == quorum::rpc::metadata_topic_id
                       : t.topic == quorum::rpc::metadata_topic;
}

net::awaitable<net::handler_result> serve_metadata_fetch(request_context& ctx,
                                                         protocol::fetch_request request) {
  broker_services* s = &ctx.services;
  quorum::rpc::fetch_answer a = co_await quorum::rpc::answer(
      std::move(request), ctx.version(), correlation(ctx), local(ctx),
      [s](model::node_id from, quorum::message m) { return ask_quorum(s, from, std::move(m)); });
  co_return net::handler_result{encode_response<protocol::fetch_api>(ctx, a.body)};
}

}  // namespace vltava::kafka
