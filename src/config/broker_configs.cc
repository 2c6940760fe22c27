#include "config/broker_configs.h"

#include <array>
#include <limits>

#include "config/properties.h"

namespace vltava::config {
namespace {

constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();

constexpr std::array<std::string_view, 2> roles = {"broker", "controller"};
constexpr std::array<std::string_view, 2> cleanup_policies = {"delete", "compact"};
constexpr std::array<std::string_view, 2> timestamp_types = {"CreateTime", "LogAppendTime"};
constexpr std::array<std::string_view, 6> broker_compressions = {
    "uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"};

constexpr std::string_view shard_per_core =
    "Vltava runs one event loop per core instead of network and I/O thread pools";

using enum value_kind;

// Sorted by area; names, kinds, defaults and bounds follow Kafka's broker configs.
const config_def defs[] = {
    // Node identity and listeners.
    {.name = "node.id", .kind = int32, .default_value = "1", .min = 0},
    {.name = "process.roles", .kind = list, .default_value = "broker,controller",
     .choices = roles},
    {.name = "listeners", .kind = list, .default_value = "PLAINTEXT://127.0.0.1:9092"},
    {.name = "advertised.listeners", .kind = list, .default_value = std::nullopt},
    {.name = "broker.rack", .kind = string, .default_value = std::nullopt},
    // Log storage.
    {.name = "log.dir", .kind = string, .default_value = "./vltava-data"},
    {.name = "log.dirs", .kind = list, .default_value = std::nullopt},
    {.name = "num.partitions", .kind = int32, .default_value = "1", .min = 1},
    {.name = "default.replication.factor", .kind = int32, .default_value = "1", .min = 1},
    {.name = "auto.create.topics.enable", .kind = boolean, .default_value = "true"},
    {.name = "delete.topic.enable", .kind = boolean, .default_value = "true"},
    {.name = "message.max.bytes", .kind = int32, .default_value = "1048588", .min = 0},
    {.name = "log.segment.bytes", .kind = int32, .default_value = "1073741824", .min = 14},
    {.name = "log.roll.ms", .kind = int64, .default_value = std::nullopt, .min = 1},
    {.name = "log.roll.hours", .kind = int32, .default_value = "168", .min = 1},
    {.name = "log.retention.ms", .kind = int64, .default_value = std::nullopt, .min = -1},
    {.name = "log.retention.minutes", .kind = int32, .default_value = std::nullopt, .min = -1},
    {.name = "log.retention.hours", .kind = int32, .default_value = "168", .min = -1},
    {.name = "log.retention.bytes", .kind = int64, .default_value = "-1", .min = -1},
    {.name = "log.retention.check.interval.ms", .kind = int64, .default_value = "300000",
     .min = 1},
    {.name = "log.index.interval.bytes", .kind = int32, .default_value = "4096", .min = 0},
    {.name = "log.index.size.max.bytes", .kind = int32, .default_value = "10485760", .min = 4},
    {.name = "log.segment.delete.delay.ms", .kind = int64, .default_value = "60000", .min = 0},
    {.name = "log.flush.interval.messages", .kind = int64,
     .default_value = "9223372036854775807", .min = 1},
    {.name = "log.flush.interval.ms", .kind = int64, .default_value = std::nullopt, .min = 0},
    {.name = "log.preallocate", .kind = boolean, .default_value = "false"},
    {.name = "log.cleanup.policy", .kind = list, .default_value = "delete",
     .choices = cleanup_policies},
    {.name = "log.cleaner.enable", .kind = boolean, .default_value = "true"},
    {.name = "log.cleaner.threads", .kind = int32, .default_value = "1", .min = 0},
    {.name = "log.cleaner.backoff.ms", .kind = int64, .default_value = "15000", .min = 0},
    {.name = "log.cleaner.delete.retention.ms", .kind = int64, .default_value = "86400000",
     .min = 0},
    {.name = "log.cleaner.min.cleanable.ratio", .kind = float64, .default_value = "0.5",
     .min_f = 0, .max_f = 1},
    {.name = "log.cleaner.min.compaction.lag.ms", .kind = int64, .default_value = "0", .min = 0},
    {.name = "log.cleaner.max.compaction.lag.ms", .kind = int64,
     .default_value = "9223372036854775807", .min = 1},
    {.name = "log.message.timestamp.type", .kind = string, .default_value = "CreateTime",
     .choices = timestamp_types},
    {.name = "log.message.timestamp.before.max.ms", .kind = int64,
     .default_value = "9223372036854775807", .min = 0},
    {.name = "log.message.timestamp.after.max.ms", .kind = int64, .default_value = "3600000",
     .min = 0},
    {.name = "compression.type", .kind = string, .default_value = "producer",
     .choices = broker_compressions},
    // Replication.
    {.name = "min.insync.replicas", .kind = int32, .default_value = "1", .min = 1},
    {.name = "unclean.leader.election.enable", .kind = boolean, .default_value = "false"},
    // Network limits.
    {.name = "socket.request.max.bytes", .kind = int32, .default_value = "104857600", .min = 1},
    {.name = "queued.max.request.bytes", .kind = int64, .default_value = "-1", .min = -1},
    {.name = "queued.max.requests", .kind = int32, .default_value = "500", .min = 1},
    {.name = "socket.send.buffer.bytes", .kind = int32, .default_value = "102400", .min = -1},
    // Kafka's default is 102400; -1 (the OS's, which on Linux grows the window with the
    // traffic) is Vltava's: with a fixed 100 KiB window a 1 MB produce request arrives in ~10
    // wake-ups of client and broker, and 1 KiB produce ran at 0.74x of the OS default
    // (bench/README.md, "Broker"). The send side keeps Kafka's value, which serves fetches best.
    {.name = "socket.receive.buffer.bytes", .kind = int32, .default_value = "-1", .min = -1},
    {.name = "connections.max.idle.ms", .kind = int64, .default_value = "600000", .min = -1},
    {.name = "max.connections", .kind = int32, .default_value = "2147483647", .min = 0},
    {.name = "max.connections.per.ip", .kind = int32, .default_value = "2147483647", .min = 0},
    // Consumer groups.
    {.name = "offsets.topic.num.partitions", .kind = int32, .default_value = "50", .min = 1},
    {.name = "offsets.topic.replication.factor", .kind = int32, .default_value = "3", .min = 1},
    {.name = "offsets.retention.minutes", .kind = int32, .default_value = "10080", .min = 1},
    {.name = "group.initial.rebalance.delay.ms", .kind = int32, .default_value = "3000",
     .min = 0},
    {.name = "group.min.session.timeout.ms", .kind = int32, .default_value = "6000", .min = 0},
    {.name = "group.max.session.timeout.ms", .kind = int32, .default_value = "1800000",
     .min = 0},
    {.name = "group.max.size", .kind = int32, .default_value = "2147483647", .min = 1},
    {.name = "offsets.topic.segment.bytes", .kind = int32, .default_value = "104857600",
     .min = 1},
    {.name = "offset.metadata.max.bytes", .kind = int32, .default_value = "4096", .min = 0},
    {.name = "offsets.retention.check.interval.ms", .kind = int64, .default_value = "600000",
     .min = 1},
    {.name = "offsets.commit.timeout.ms", .kind = int32, .default_value = "5000", .min = 1},
    // Transactions and idempotence.
    {.name = "transaction.state.log.num.partitions", .kind = int32, .default_value = "50",
     .min = 1},
    {.name = "transaction.state.log.replication.factor", .kind = int32, .default_value = "3",
     .min = 1},
    {.name = "transaction.max.timeout.ms", .kind = int32, .default_value = "900000", .min = 1},
    {.name = "transactional.id.expiration.ms", .kind = int32, .default_value = "604800000",
     .min = 1},
    {.name = "producer.id.expiration.ms", .kind = int32, .default_value = "86400000", .min = 1},
    {.name = "transaction.state.log.segment.bytes", .kind = int32, .default_value = "104857600",
     .min = 1},
    {.name = "transaction.abort.timed.out.transaction.cleanup.interval.ms", .kind = int32,
     .default_value = "10000", .min = 1},
    {.name = "transaction.remove.expired.transaction.cleanup.interval.ms", .kind = int32,
     .default_value = "3600000", .min = 1},
    {.name = "transaction.partition.verification.enable", .kind = boolean,
     .default_value = "true"},
    // Kafka thread pools: accepted so existing server.properties files load.
    {.name = "num.network.threads", .kind = int32, .default_value = "3", .min = 1,
     .ignored_because = shard_per_core},
    {.name = "num.io.threads", .kind = int32, .default_value = "8", .min = 1,
     .ignored_because = shard_per_core},
    {.name = "num.recovery.threads.per.data.dir", .kind = int32, .default_value = "2", .min = 1,
     .ignored_because = "recovery runs on every shard at start"},
};

result<void, std::string> apply(loaded_broker_config& cfg, std::string_view key,
                                std::string_view value, std::string_view where) {
  auto r = cfg.values.set(key, value, config_source::static_broker_config);
  if (!r) return fail(std::string(where) + ": " + r.error());
  const config_def* def = cfg.values.find(key);
  if (!def->ignored_because.empty()) {
    cfg.notices.push_back(std::string(where) + ": " + std::string(key) + " is ignored: " +
                          std::string(def->ignored_because));
  }
  return {};
}

}  // namespace

std::span<const config_def> broker_config_defs() { return defs; }

result<loaded_broker_config, std::string> load_broker_config(
    std::string_view properties_text, std::string_view properties_name,
    std::span<const std::string> overrides) {
  loaded_broker_config cfg{config_set(defs), {}};
  auto props = parse_properties(properties_text);
  if (!props) {
    return fail(std::string(properties_name) + ":" + std::to_string(props.error().line) + ": " +
                props.error().message);
  }
  for (const auto& p : *props) {
    std::string where = std::string(properties_name) + ":" + std::to_string(p.line);
    if (p.key == "zookeeper.connect") {
      return fail(where + ": zookeeper.connect is not supported: Vltava keeps metadata in its "
                          "own Raft quorum (see process.roles)");
    }
    if (auto r = apply(cfg, p.key, p.value, where); !r) return fail(r.error());
  }
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("--set " + o + ": expected key=value");
    }
    if (auto r = apply(cfg, std::string_view(o).substr(0, eq), std::string_view(o).substr(eq + 1),
                       "--set " + o);
        !r) {
      return fail(r.error());
    }
  }
  return cfg;
}

int64_t effective_retention_ms(const config_set& b) {
  if (!b.is_null("log.retention.ms")) return b.get_int("log.retention.ms");
  if (!b.is_null("log.retention.minutes")) {
    int64_t m = b.get_int("log.retention.minutes");
    return m < 0 ? -1 : m * 60'000;
  }
  int64_t h = b.get_int("log.retention.hours");
  return h < 0 ? -1 : h * 3'600'000;
}

int64_t effective_segment_ms(const config_set& b) {
  if (!b.is_null("log.roll.ms")) return b.get_int("log.roll.ms");
  return b.get_int("log.roll.hours") * 3'600'000;
}

int64_t effective_flush_ms(const config_set& b) {
  if (!b.is_null("log.flush.interval.ms")) return b.get_int("log.flush.interval.ms");
  return i64_max;
}

std::vector<std::string> effective_log_dirs(const config_set& b) {
  if (!b.is_null("log.dirs") && !b.get_list("log.dirs").empty()) return b.get_list("log.dirs");
  return {b.get_string("log.dir")};
}

}  // namespace vltava::config
