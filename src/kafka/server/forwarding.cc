#include "kafka/server/forwarding.h"

#include <algorithm>
#include <chrono>

#include "cluster/controller_channel.h"
#include "cluster/metadata_store.h"
#include "config/broker_configs.h"
#include "kafka/server/authorize.h"
#include "kafka/server/envelope.h"
#include "net/shard_calls.h"
#include "protocol/api_table.h"
#include "protocol/framing.h"
#include "protocol/generated/alter_client_quotas.h"
#include "protocol/generated/alter_configs.h"
#include "protocol/generated/alter_user_scram_credentials.h"
#include "protocol/generated/create_acls.h"
#include "protocol/generated/create_partitions.h"
#include "protocol/generated/create_topics.h"
#include "protocol/generated/delete_acls.h"
#include "protocol/generated/delete_topics.h"
#include "protocol/generated/describe_quorum.h"
#include "protocol/generated/elect_leaders.h"
#include "protocol/generated/envelope.h"
#include "protocol/generated/incremental_alter_configs.h"

namespace vltava::kafka {
namespace {

// How long a forwarded request may wait for a controller: Kafka's request.timeout.ms default,
// which clients use too (an answer after it is never read).
constexpr auto forward_deadline = std::chrono::seconds(30);
constexpr auto retry_backoff = std::chrono::milliseconds(100);
constexpr auto call_timeout = std::chrono::seconds(10);

struct forwarded {
  int16_t key;
  int16_t version;
  protocol::envelope_request envelope;
};

using envelope_answer =
    result<net::decoded_response<protocol::envelope_response>, cluster::channel_errc>;

net::awaitable<std::optional<envelope_answer>> send_on_shard0(broker_services* s,
                                                              const forwarded* f) {
  co_return co_await s->controller->call<protocol::envelope_api>(f->envelope, 0, call_timeout);
}

// The client's request wrapped for the controller (server/envelope.h): the frame as the client
// sent it, its principal and its address.
std::optional<protocol::envelope_request> wrap(const request_context& ctx,
                                               std::span<const std::byte> frame) {
  auto address = address_bytes(security::host_of_peer(ctx.connection.peer));
  if (!address) return std::nullopt;
  protocol::envelope_request e;
  e.request_data.assign(frame.begin(), frame.end());
  e.request_principal = encode_principal(principal_of(ctx));
  e.client_host_address = std::move(*address);
  return e;
}

// The controller's inner response, sent with the client's correlation id; nullopt when it
// cannot be read.
std::optional<net::response> unwrap(const request_context& ctx, const forwarded& f,
                                    const std::vector<std::byte>& inner) {
  const int16_t header_version = protocol::response_header_version(f.key, f.version);
  auto head = read_response_head(inner, header_version);
  if (!head) return std::nullopt;
  protocol::writer w;
  protocol::write_response_header(w, header_version, ctx.header.correlation_id);
  w.write_raw(std::span(inner).subspan(head->body_offset));
  net::response out;
  out.parts.push_back(std::move(w).take());
  return out;
}

}  // namespace

bool decided_by_controller(int16_t api_key) {
  switch (api_key) {
    case protocol::create_topics_api::key:
    case protocol::delete_topics_api::key:
    case protocol::create_partitions_api::key:
    case protocol::alter_configs_api::key:
    case protocol::incremental_alter_configs_api::key:
    case protocol::create_acls_api::key:
    case protocol::delete_acls_api::key:
    case protocol::alter_user_scram_credentials_api::key:
    case protocol::elect_leaders_api::key:
    case protocol::alter_client_quotas_api::key:
      return true;
    default:
      return false;
  }
}

namespace {

// Kafka's brokers forward DescribeQuorum to the active controller, so tools pointed at any
// broker (kafka-metadata-quorum.sh --bootstrap-server) see the quorum; a voter answers for
// itself (the leader with the replicas' states, the others NOT_LEADER_OR_FOLLOWER).
bool forwarded_by_non_voters(int16_t api_key) {
  return api_key == protocol::describe_quorum_api::key;
}

bool is_controller(const config::config_set& cfg) {
  const auto roles = cfg.get(config::broker_keys::process_roles);
  return std::find(roles.begin(), roles.end(), "controller") != roles.end();
}

}  // namespace

bool must_forward(const broker_services& services, int16_t api_key) {
  if (services.controller == nullptr) return false;
  if (!decided_by_controller(api_key) &&
      !(forwarded_by_non_voters(api_key) && !is_controller(services.broker_config))) {
    return false;
  }
  return services.metadata.image()->controller_id != services.node_id;
}

net::awaitable<net::handler_result> forward_to_controller(request_context& ctx,
                                                          std::span<const std::byte> frame) {
  auto envelope = wrap(ctx, frame);
  if (!envelope) {
    log::warn("kafka", "closing connection {}: cannot forward for peer address {}",
              ctx.connection.id, ctx.connection.peer);
    co_return net::handler_result{std::nullopt, true};
  }
  forwarded f{ctx.header.api_key, ctx.version(), std::move(*envelope)};
  broker_services* s = &ctx.services;
  const auto deadline = std::chrono::steady_clock::now() + forward_deadline;
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  while (true) {
    auto answer = co_await net::on_shard<std::optional<envelope_answer>>(
        s->shards, 0, [s, &f] { return send_on_shard0(s, &f); });
    // No answer, or NOT_CONTROLLER (the controller moved): ask the next one.
    if (answer && *answer && (*answer)->body.error_code != protocol::error_code::not_controller) {
      const auto& body = (*answer)->body;
      if (body.error_code == protocol::error_code::none && body.response_data) {
        if (auto out = unwrap(ctx, f, *body.response_data)) {
          co_return net::handler_result{std::move(*out)};
        }
      }
      // Kafka answers UNKNOWN_SERVER_ERROR in the API's own fields (an Envelope error means
      // a misconfigured cluster, e.g. this broker lacks CLUSTER_ACTION); Vltava has no
      // per-API error response yet, so it closes the connection, which the client retries.
      log::warn("kafka", "the controller refused a forwarded {} request in its Envelope: {}", f.key,
                protocol::error_name(body.error_code));
      co_return net::handler_result{std::nullopt, true};
    }
    if (std::chrono::steady_clock::now() + retry_backoff >= deadline) break;
    backoff.expires_after(retry_backoff);
    co_await backoff.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  log::warn("kafka", "no controller answered a forwarded API {} request within {} s; closing",
            f.key, forward_deadline.count());
  co_return net::handler_result{std::nullopt, true};
}

}  // namespace vltava::kafka
