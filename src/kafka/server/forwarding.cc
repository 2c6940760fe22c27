#include "kafka/server/forwarding.h"

#include <algorithm>
#include <chrono>

#include "cluster/controller_channel.h"
#include "cluster/metadata_store.h"
#include "config/broker_configs.h"
#include "net/shard_calls.h"
#include "protocol/api_table.h"
#include "protocol/framing.h"
#include "protocol/generated/alter_configs.h"
#include "protocol/generated/alter_user_scram_credentials.h"
#include "protocol/generated/create_acls.h"
#include "protocol/generated/create_partitions.h"
#include "protocol/generated/create_topics.h"
#include "protocol/generated/delete_acls.h"
#include "protocol/generated/delete_topics.h"
#include "protocol/generated/describe_quorum.h"
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
  int16_t header_version;
  std::vector<std::byte> body;
};

net::awaitable<std::optional<result<net::response_frame, cluster::channel_errc>>> send_on_shard0(
    broker_services* s, const forwarded* f) {
  co_return co_await s->controller->forward(f->key, f->version, f->header_version, f->body,
                                            call_timeout);
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
                                                          std::span<const std::byte> body) {
  forwarded f{ctx.header.api_key, ctx.version(),
              protocol::request_header_version(ctx.header.api_key, ctx.version()),
              std::vector<std::byte>(body.begin(), body.end())};
  broker_services* s = &ctx.services;
  const auto deadline = std::chrono::steady_clock::now() + forward_deadline;
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  while (true) {
    auto answer =
        co_await net::on_shard<std::optional<result<net::response_frame, cluster::channel_errc>>>(
            s->shards, 0, [s, &f] { return send_on_shard0(s, &f); });
    if (answer && *answer) {
      protocol::writer w;
      protocol::write_response_header(w, protocol::response_header_version(f.key, f.version),
                                      ctx.header.correlation_id);
      auto frame_body = (*answer)->body();
      w.write_raw(frame_body);
      net::response out;
      out.parts.push_back(std::move(w).take());
      co_return net::handler_result{std::move(out)};
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
