#pragma once

// The broker's configuration: Kafka's property names and defaults, Vltava's embedded defaults
// where a single node must just work (listener 127.0.0.1:9092, data in ./vltava-data, node 1).
// The table is broker_config_table.h; code reads it through the typed keys below.

#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/broker_config_table.h"
#include "config/config_def.h"
#include "config/key.h"

namespace vltava::config {

std::span<const config_def> broker_config_defs();

// The broker configs code reads, each checked against the table at compile time.
namespace broker_keys {
template <typename T>
consteval key<T> declare(std::string_view name) {
  return key<T>(broker_table::defs, name);
}
using string_list = std::vector<std::string>;
using std::optional;

// Node identity and listeners.
inline constexpr auto node_id = declare<int32_t>("node.id");
inline constexpr auto listeners = declare<string_list>("listeners");
inline constexpr auto advertised_listeners = declare<optional<string_list>>("advertised.listeners");
inline constexpr auto broker_rack = declare<optional<std::string>>("broker.rack");
// Log storage.
inline constexpr auto process_roles = declare<string_list>("process.roles");
inline constexpr auto listener_security_protocol_map =
    declare<string_list>("listener.security.protocol.map");
inline constexpr auto inter_broker_listener_name =
    declare<optional<std::string>>("inter.broker.listener.name");
// The KRaft controller quorum.
inline constexpr auto controller_listener_names = declare<string_list>("controller.listener.names");
inline constexpr auto controller_quorum_voters = declare<string_list>("controller.quorum.voters");
inline constexpr auto controller_quorum_bootstrap_servers =
    declare<string_list>("controller.quorum.bootstrap.servers");
inline constexpr auto controller_quorum_election_timeout_ms =
    declare<int32_t>("controller.quorum.election.timeout.ms");
inline constexpr auto controller_quorum_election_backoff_max_ms =
    declare<int32_t>("controller.quorum.election.backoff.max.ms");
inline constexpr auto controller_quorum_fetch_timeout_ms =
    declare<int32_t>("controller.quorum.fetch.timeout.ms");
inline constexpr auto controller_quorum_request_timeout_ms =
    declare<int32_t>("controller.quorum.request.timeout.ms");
inline constexpr auto controller_quorum_retry_backoff_ms =
    declare<int32_t>("controller.quorum.retry.backoff.ms");
inline constexpr auto broker_session_timeout_ms = declare<int32_t>("broker.session.timeout.ms");
inline constexpr auto broker_heartbeat_interval_ms =
    declare<int32_t>("broker.heartbeat.interval.ms");
inline constexpr auto auto_leader_rebalance_enable = declare<bool>("auto.leader.rebalance.enable");
inline constexpr auto leader_imbalance_check_interval_seconds =
    declare<int64_t>("leader.imbalance.check.interval.seconds");
inline constexpr auto metadata_log_max_record_bytes_between_snapshots =
    declare<int64_t>("metadata.log.max.record.bytes.between.snapshots");
inline constexpr auto metadata_log_max_snapshot_interval_ms =
    declare<int64_t>("metadata.log.max.snapshot.interval.ms");
inline constexpr auto metadata_max_retention_bytes =
    declare<int64_t>("metadata.max.retention.bytes");
inline constexpr auto metadata_max_retention_ms = declare<int64_t>("metadata.max.retention.ms");
inline constexpr auto metadata_log_segment_bytes = declare<int32_t>("metadata.log.segment.bytes");
inline constexpr auto log_dir = declare<std::string>("log.dir");
inline constexpr auto log_dirs = declare<optional<string_list>>("log.dirs");
inline constexpr auto num_partitions = declare<int32_t>("num.partitions");
inline constexpr auto default_replication_factor = declare<int32_t>("default.replication.factor");
inline constexpr auto auto_create_topics_enable = declare<bool>("auto.create.topics.enable");
inline constexpr auto delete_topic_enable = declare<bool>("delete.topic.enable");
inline constexpr auto log_roll_ms = declare<optional<int64_t>>("log.roll.ms");
inline constexpr auto log_roll_hours = declare<int32_t>("log.roll.hours");
inline constexpr auto log_retention_ms = declare<optional<int64_t>>("log.retention.ms");
inline constexpr auto log_retention_minutes = declare<optional<int32_t>>("log.retention.minutes");
inline constexpr auto log_retention_hours = declare<int32_t>("log.retention.hours");
inline constexpr auto log_flush_interval_ms = declare<optional<int64_t>>("log.flush.interval.ms");
inline constexpr auto log_cleaner_enable = declare<bool>("log.cleaner.enable");
inline constexpr auto log_cleaner_threads = declare<int32_t>("log.cleaner.threads");
inline constexpr auto log_cleaner_backoff_ms = declare<int64_t>("log.cleaner.backoff.ms");
// Network limits.
inline constexpr auto socket_request_max_bytes = declare<int32_t>("socket.request.max.bytes");
inline constexpr auto queued_max_request_bytes = declare<int64_t>("queued.max.request.bytes");
inline constexpr auto socket_send_buffer_bytes = declare<int32_t>("socket.send.buffer.bytes");
inline constexpr auto socket_receive_buffer_bytes = declare<int32_t>("socket.receive.buffer.bytes");
inline constexpr auto connections_max_idle_ms = declare<int64_t>("connections.max.idle.ms");
inline constexpr auto max_connections = declare<int32_t>("max.connections");
inline constexpr auto quota_window_num = declare<int32_t>("quota.window.num");
inline constexpr auto quota_window_size_seconds = declare<int32_t>("quota.window.size.seconds");
// Security (each may be overridden per listener: listener_config()).
inline constexpr auto ssl_keystore_type = declare<std::string>("ssl.keystore.type");
inline constexpr auto ssl_keystore_location =
    declare<optional<std::string>>("ssl.keystore.location");
inline constexpr auto ssl_keystore_certificate_chain =
    declare<optional<std::string>>("ssl.keystore.certificate.chain");
inline constexpr auto ssl_keystore_key = declare<optional<std::string>>("ssl.keystore.key");
inline constexpr auto ssl_key_password = declare<optional<std::string>>("ssl.key.password");
inline constexpr auto ssl_truststore_type = declare<std::string>("ssl.truststore.type");
inline constexpr auto ssl_truststore_location =
    declare<optional<std::string>>("ssl.truststore.location");
inline constexpr auto ssl_truststore_certificates =
    declare<optional<std::string>>("ssl.truststore.certificates");
inline constexpr auto ssl_client_auth = declare<std::string>("ssl.client.auth");
inline constexpr auto ssl_enabled_protocols = declare<string_list>("ssl.enabled.protocols");
inline constexpr auto ssl_cipher_suites = declare<string_list>("ssl.cipher.suites");
inline constexpr auto ssl_principal_mapping_rules =
    declare<std::string>("ssl.principal.mapping.rules");
inline constexpr auto sasl_enabled_mechanisms = declare<string_list>("sasl.enabled.mechanisms");
inline constexpr auto sasl_server_max_receive_size =
    declare<int32_t>("sasl.server.max.receive.size");
inline constexpr auto authorizer_class_name = declare<std::string>("authorizer.class.name");
inline constexpr auto super_users = declare<optional<std::string>>("super.users");
inline constexpr auto allow_everyone_if_no_acl_found =
    declare<bool>("allow.everyone.if.no.acl.found");
// Consumer groups.
inline constexpr auto offsets_topic_num_partitions =
    declare<int32_t>("offsets.topic.num.partitions");
inline constexpr auto offsets_topic_segment_bytes = declare<int32_t>("offsets.topic.segment.bytes");
inline constexpr auto offsets_topic_replication_factor =
    declare<int32_t>("offsets.topic.replication.factor");
inline constexpr auto offsets_retention_minutes = declare<int32_t>("offsets.retention.minutes");
inline constexpr auto offsets_retention_check_interval_ms =
    declare<int64_t>("offsets.retention.check.interval.ms");
inline constexpr auto offset_metadata_max_bytes = declare<int32_t>("offset.metadata.max.bytes");
inline constexpr auto group_initial_rebalance_delay_ms =
    declare<int32_t>("group.initial.rebalance.delay.ms");
inline constexpr auto group_min_session_timeout_ms =
    declare<int32_t>("group.min.session.timeout.ms");
inline constexpr auto group_max_session_timeout_ms =
    declare<int32_t>("group.max.session.timeout.ms");
inline constexpr auto group_max_size = declare<int32_t>("group.max.size");
inline constexpr auto group_consumer_session_timeout_ms =
    declare<int32_t>("group.consumer.session.timeout.ms");
inline constexpr auto group_consumer_heartbeat_interval_ms =
    declare<int32_t>("group.consumer.heartbeat.interval.ms");
inline constexpr auto group_consumer_max_size = declare<int32_t>("group.consumer.max.size");
inline constexpr auto group_consumer_assignors = declare<string_list>("group.consumer.assignors");
// Transactions and idempotence.
inline constexpr auto transaction_state_log_num_partitions =
    declare<int32_t>("transaction.state.log.num.partitions");
inline constexpr auto transaction_state_log_segment_bytes =
    declare<int32_t>("transaction.state.log.segment.bytes");
inline constexpr auto transaction_state_log_replication_factor =
    declare<int32_t>("transaction.state.log.replication.factor");
inline constexpr auto transaction_state_log_min_isr =
    declare<int32_t>("transaction.state.log.min.isr");
inline constexpr auto transaction_max_timeout_ms = declare<int32_t>("transaction.max.timeout.ms");
inline constexpr auto transactional_id_expiration_ms =
    declare<int32_t>("transactional.id.expiration.ms");
inline constexpr auto transaction_abort_timed_out_transaction_cleanup_interval_ms =
    declare<int32_t>("transaction.abort.timed.out.transaction.cleanup.interval.ms");
inline constexpr auto transaction_remove_expired_transaction_cleanup_interval_ms =
    declare<int32_t>("transaction.remove.expired.transaction.cleanup.interval.ms");
inline constexpr auto producer_id_expiration_ms = declare<int32_t>("producer.id.expiration.ms");
inline constexpr auto replica_lag_time_max_ms = declare<int64_t>("replica.lag.time.max.ms");
inline constexpr auto replica_fetch_wait_max_ms = declare<int32_t>("replica.fetch.wait.max.ms");
inline constexpr auto replica_fetch_max_bytes = declare<int32_t>("replica.fetch.max.bytes");
inline constexpr auto replica_fetch_response_max_bytes =
    declare<int32_t>("replica.fetch.response.max.bytes");
inline constexpr auto replica_fetch_backoff_ms = declare<int32_t>("replica.fetch.backoff.ms");
inline constexpr auto transaction_partition_verification_enable =
    declare<bool>("transaction.partition.verification.enable");
}  // namespace broker_keys

// Builds the broker configuration from a .properties file's text (empty for none) and
// `--set key=value` overrides, in that order. Unknown keys and invalid values are errors
// that say which key, file line or override is wrong. Keys Kafka has but Vltava does not need
// are accepted; each adds a line to `notices`.
//
// Kafka's per-listener overrides, `listener.name.<name>.<config>` for the security configs
// (and `listener.name.<name>.<mechanism>.sasl.jaas.config`), are kept apart by their full key,
// with the listener name lower-cased; listener_config() applies them.
struct loaded_broker_config {
  config_set values;
  std::vector<std::string> notices;
  std::map<std::string, std::string, std::less<>> listener_overrides;
};
result<loaded_broker_config, std::string> load_broker_config(
    std::string_view properties_text, std::string_view properties_name,
    std::span<const std::string> overrides);

// The broker configs as a listener sees them: `values` with that listener's
// listener.name.<name>.* overrides applied.
config_set listener_config(const loaded_broker_config& cfg, std::string_view listener_name);
// The value of `listener.name.<name>.<suffix>` for a name-only override (the JAAS config of a
// mechanism: suffix "plain.sasl.jaas.config"); nullopt when not set.
std::optional<std::string> listener_override(const loaded_broker_config& cfg,
                                             std::string_view listener_name,
                                             std::string_view suffix);

// Kafka derives some values from several keys (log.retention.ms over .minutes over .hours).
// The unit steps are constexpr so the topic table derives its defaults with the same rule.
inline constexpr int64_t minute_ms = 60'000;
inline constexpr int64_t hour_ms = 60 * minute_ms;
// A negative retention (-1) means forever, whatever the unit.
constexpr int64_t retention_in_ms(int64_t amount, int64_t unit_ms) {
  return amount < 0 ? -1 : amount * unit_ms;
}
// log.flush.interval.ms unset: no flush by time.
inline constexpr int64_t flush_ms_unset = std::numeric_limits<int64_t>::max();

int64_t effective_retention_ms(const config_set& broker);
int64_t effective_segment_ms(const config_set& broker);
int64_t effective_flush_ms(const config_set& broker);
std::vector<std::string> effective_log_dirs(const config_set& broker);

}  // namespace vltava::config
