#pragma once

// The broker's config table: Kafka's names, kinds, defaults and bounds, and a one-line doc per
// config. It is the only place a broker default is written: code reads values and defaults
// through the typed keys of broker_configs.h, which are checked against this table at compile
// time (hence constexpr, in a header).

#include <array>
#include <string_view>

#include "config/config_def.h"

namespace vltava::config::broker_table {

inline constexpr std::array<std::string_view, 2> roles = {"broker", "controller"};
inline constexpr std::array<std::string_view, 2> cleanup_policies = {"delete", "compact"};
inline constexpr std::array<std::string_view, 2> timestamp_types = {"CreateTime", "LogAppendTime"};
inline constexpr std::array<std::string_view, 6> compressions = {
    "uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"};

inline constexpr std::array<std::string_view, 3> ssl_client_auths = {"none", "requested",
                                                                     "required"};
inline constexpr std::array<std::string_view, 2> tls_versions = {"TLSv1.2", "TLSv1.3"};
inline constexpr std::array<std::string_view, 2> authorizers = {
    "", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"};
inline constexpr std::array<std::string_view, 3> store_types = {"JKS", "PKCS12", "PEM"};

inline constexpr std::string_view shard_per_core =
    "Vltava runs one event loop per core instead of network and I/O thread pools";

using enum value_kind;

// Sorted by area; names, kinds, defaults and bounds follow Kafka's broker configs. One row per
// config reads as a table, so clang-format leaves it alone.
// clang-format off
inline constexpr config_def defs[] = {
    // Node identity and listeners.
    {.name = "node.id", .kind = int32, .default_value = "1", .min = 0,
     .doc = "The id of this node, unique in the cluster; it must match the one in "
            "meta.properties."},
    {.name = "process.roles", .kind = list, .default_value = "broker,controller",
     .choices = roles,
     .doc = "The roles of this node: broker (serves clients), controller (votes in the metadata "
            "quorum), or both."},
    {.name = "listeners", .kind = list, .default_value = "PLAINTEXT://127.0.0.1:9092",
     .doc = "The addresses to listen on, as NAME://host:port, comma-separated."},
    {.name = "advertised.listeners", .kind = list, .default_value = std::nullopt,
     .doc = "The addresses clients are told to use, when they differ from the listeners."},
    {.name = "broker.rack", .kind = string, .default_value = std::nullopt,
     .doc = "The rack of this broker, for rack-aware replica placement and fetching."},
    {.name = "listener.security.protocol.map", .kind = list,
     .default_value = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,"
                      "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
     .doc = "The security protocol of each listener name, as NAME:PROTOCOL, comma-separated."},
    {.name = "inter.broker.listener.name", .kind = string, .default_value = std::nullopt,
     .doc = "The listener brokers use to reach each other; the first non-controller listener "
            "when unset."},
    // The KRaft controller quorum (KIP-595, KIP-853).
    {.name = "controller.listener.names", .kind = list, .default_value = "CONTROLLER",
     .doc = "The listener names the controller quorum uses; a controller listens on them, "
            "other nodes connect to controllers through the first."},
    {.name = "controller.quorum.voters", .kind = list, .default_value = "",
     .doc = "The static voter set, as id@host:port, comma-separated. With neither this nor "
            "controller.quorum.bootstrap.servers, a controller is a quorum of one: itself."},
    {.name = "controller.quorum.bootstrap.servers", .kind = list, .default_value = "",
     .doc = "Controllers to ask for the dynamic voter set (KIP-853), as host:port, "
            "comma-separated; used when controller.quorum.voters is empty."},
    {.name = "controller.quorum.election.timeout.ms", .kind = int32, .default_value = "1000",
     .min = 1,
     .doc = "How long a voter waits without a leader before it starts an election (randomized "
            "up to twice this)."},
    {.name = "controller.quorum.election.backoff.max.ms", .kind = int32,
     .default_value = "1000", .min = 0,
     .doc = "The longest a candidate waits after a failed election before the next one."},
    {.name = "controller.quorum.fetch.timeout.ms", .kind = int32, .default_value = "2000",
     .min = 1,
     .doc = "How long a follower waits for a successful fetch from the leader before it looks "
            "for a new one; a leader resigns when a majority has not fetched for this long."},
    {.name = "controller.quorum.request.timeout.ms", .kind = int32, .default_value = "2000",
     .min = 1, .doc = "How long a quorum request waits for its answer before it is retried."},
    {.name = "controller.quorum.retry.backoff.ms", .kind = int32, .default_value = "20",
     .min = 0, .doc = "The wait before a failed quorum request is sent again."},
    {.name = "broker.session.timeout.ms", .kind = int32, .default_value = "9000", .min = 1,
     .doc = "How long a broker stays unfenced without a heartbeat reaching the controller."},
    {.name = "broker.heartbeat.interval.ms", .kind = int32, .default_value = "2000", .min = 1,
     .doc = "How often a broker sends its heartbeat to the active controller."},
    {.name = "auto.leader.rebalance.enable", .kind = boolean, .default_value = "true",
     .doc = "Whether the active controller moves each partition's leadership back to its "
            "preferred replica (the first) once that replica is in sync again."},
    {.name = "leader.imbalance.check.interval.seconds", .kind = int64, .default_value = "300",
     .min = 1, .doc = "How often the active controller looks for partitions not led by their "
                      "preferred replica."},
    {.name = "leader.imbalance.per.broker.percentage", .kind = int32, .default_value = "10",
     .min = 0, .max = 100,
     .doc = "Accepted for Kafka's server.properties; as in Kafka's KRaft controller, every "
            "imbalanced partition is rebalanced whatever the ratio."},
    {.name = "metadata.log.max.record.bytes.between.snapshots", .kind = int64,
     .default_value = "20971520", .min = 1,
     .doc = "The bytes of metadata records after which a new metadata snapshot is written."},
    {.name = "metadata.log.max.snapshot.interval.ms", .kind = int64,
     .default_value = "3600000", .min = 0,
     .doc = "The longest time between metadata snapshots while records arrive (0: by size "
            "only)."},
    {.name = "metadata.max.retention.bytes", .kind = int64, .default_value = "104857600",
     .min = -1,
     .doc = "The most bytes the metadata log and its snapshots keep together before the oldest "
            "snapshot and the log before the next one are deleted; the newest snapshot always "
            "stays (-1: no limit)."},
    {.name = "metadata.max.retention.ms", .kind = int64, .default_value = "604800000", .min = -1,
     .doc = "How long a metadata snapshot (and the log after it) is kept once a newer one exists "
            "(-1: no limit)."},
    // Kafka's default is 1 GiB; 64 MiB (Vltava's metadata log segment size before snapshots)
    // because the log before a snapshot is deleted only in whole segments.
    {.name = "metadata.log.segment.bytes", .kind = int32, .default_value = "67108864", .min = 12,
     .doc = "The size at which a metadata log segment is closed and a new one started."},
    // Log storage.
    {.name = "log.dir", .kind = string, .default_value = "./vltava-data",
     .doc = "The directory of the partition logs, used when log.dirs is not set."},
    {.name = "log.dirs", .kind = list, .default_value = std::nullopt,
     .doc = "The directories of the partition logs, comma-separated; log.dir when unset."},
    {.name = "num.partitions", .kind = int32, .default_value = "1", .min = 1,
     .doc = "The number of partitions of a topic created without a partition count."},
    {.name = "default.replication.factor", .kind = int32, .default_value = "1", .min = 1,
     .doc = "The replication factor of a topic created without one."},
    {.name = "auto.create.topics.enable", .kind = boolean, .default_value = "true",
     .doc = "Whether a Metadata request for an unknown topic creates it."},
    {.name = "delete.topic.enable", .kind = boolean, .default_value = "true",
     .doc = "Whether DeleteTopics may delete topics."},
    {.name = "message.max.bytes", .kind = int32, .default_value = "1048588", .min = 0,
     .doc = "The largest record batch the broker accepts, in bytes (max.message.bytes per topic)."},
    {.name = "log.segment.bytes", .kind = int32, .default_value = "1073741824", .min = 14,
     .doc = "The size at which a log segment is closed and a new one started, in bytes."},
    {.name = "log.roll.ms", .kind = int64, .default_value = std::nullopt, .min = 1,
     .doc = "The age at which a log segment is rolled, in ms; log.roll.hours when unset."},
    {.name = "log.roll.hours", .kind = int32, .default_value = "168", .min = 1,
     .doc = "The age at which a log segment is rolled, in hours."},
    {.name = "log.retention.ms", .kind = int64, .default_value = std::nullopt, .min = -1,
     .doc = "How long a log keeps a segment, in ms (-1: forever); log.retention.minutes when "
            "unset."},
    {.name = "log.retention.minutes", .kind = int32, .default_value = std::nullopt, .min = -1,
     .doc = "How long a log keeps a segment, in minutes; log.retention.hours when unset."},
    {.name = "log.retention.hours", .kind = int32, .default_value = "168", .min = -1,
     .doc = "How long a log keeps a segment, in hours (-1: forever)."},
    {.name = "log.retention.bytes", .kind = int64, .default_value = "-1", .min = -1,
     .doc = "The size a partition's log may reach before old segments are deleted (-1: no limit)."},
    {.name = "log.retention.check.interval.ms", .kind = int64, .default_value = "300000",
     .min = 1,
     .doc = "How often logs are checked for segments to delete, in ms."},
    {.name = "log.index.interval.bytes", .kind = int32, .default_value = "4096", .min = 0,
     .doc = "The bytes of batches between two entries of the offset index."},
    {.name = "log.index.size.max.bytes", .kind = int32, .default_value = "10485760", .min = 4,
     .doc = "The largest size of a segment's offset or time index, in bytes."},
    {.name = "log.segment.delete.delay.ms", .kind = int64, .default_value = "60000", .min = 0,
     .doc = "How long a deleted segment's files stay (renamed .deleted) before removal, in ms."},
    {.name = "log.flush.interval.messages", .kind = int64,
     .default_value = "9223372036854775807", .min = 1,
     .doc = "The records appended to a partition before its log is flushed to disk."},
    {.name = "log.flush.interval.ms", .kind = int64, .default_value = std::nullopt, .min = 0,
     .doc = "The longest a record stays in memory before its log is flushed, in ms."},
    {.name = "log.preallocate", .kind = boolean, .default_value = "false",
     .doc = "Whether a new segment's file is preallocated."},
    {.name = "log.cleanup.policy", .kind = list, .default_value = "delete",
     .choices = cleanup_policies,
     .doc = "What happens to old segments: delete, compact, or both, comma-separated."},
    {.name = "log.cleaner.enable", .kind = boolean, .default_value = "true",
     .doc = "Whether the log cleaner runs (compaction of topics with cleanup.policy=compact)."},
    {.name = "log.cleaner.threads", .kind = int32, .default_value = "1", .min = 0,
     .doc = "The number of threads that compact logs (0 turns compaction off)."},
    {.name = "log.cleaner.backoff.ms", .kind = int64, .default_value = "15000", .min = 0,
     .doc = "How long the cleaner sleeps when no log needs cleaning, in ms."},
    {.name = "log.cleaner.delete.retention.ms", .kind = int64, .default_value = "86400000",
     .min = 0,
     .doc = "How long tombstones and transaction markers are kept in compacted logs, in ms."},
    {.name = "log.cleaner.min.cleanable.ratio", .kind = float64, .default_value = "0.5",
     .min_f = 0, .max_f = 1,
     .doc = "The share of dirty bytes in a log above which the cleaner compacts it."},
    {.name = "log.cleaner.min.compaction.lag.ms", .kind = int64, .default_value = "0", .min = 0,
     .doc = "The least time a record stays uncompacted, in ms."},
    {.name = "log.cleaner.max.compaction.lag.ms", .kind = int64,
     .default_value = "9223372036854775807", .min = 1,
     .doc = "The most time a record may stay uncompacted, in ms."},
    {.name = "log.message.timestamp.type", .kind = string, .default_value = "CreateTime",
     .choices = timestamp_types,
     .doc = "Whether a batch's timestamp is the producer's (CreateTime) or the broker's "
            "(LogAppendTime)."},
    {.name = "log.message.timestamp.before.max.ms", .kind = int64,
     .default_value = "9223372036854775807", .min = 0,
     .doc = "How far a CreateTime timestamp may lie in the past of the broker's clock, in ms."},
    {.name = "log.message.timestamp.after.max.ms", .kind = int64, .default_value = "3600000",
     .min = 0,
     .doc = "How far a CreateTime timestamp may lie in the future of the broker's clock, in ms."},
    {.name = "compression.type", .kind = string, .default_value = "producer",
     .choices = compressions,
     .doc = "The compression of stored batches; producer keeps the producer's."},
    // Replication.
    {.name = "min.insync.replicas", .kind = int32, .default_value = "1", .min = 1,
     .doc = "The in-sync replicas an acks=all produce needs to succeed."},
    {.name = "unclean.leader.election.enable", .kind = boolean, .default_value = "false",
     .doc = "Whether a replica that is not in sync may become leader, losing data."},
    {.name = "replica.lag.time.max.ms", .kind = int64, .default_value = "30000", .min = 1,
     .doc = "How long a follower may go without catching up before it leaves the ISR, in ms."},
    {.name = "replica.fetch.wait.max.ms", .kind = int32, .default_value = "500", .min = 0,
     .doc = "How long a follower's fetch waits at the leader for new data, in ms."},
    {.name = "replica.fetch.max.bytes", .kind = int32, .default_value = "1048576", .min = 1,
     .doc = "The bytes a follower asks for per partition in one fetch."},
    {.name = "replica.fetch.response.max.bytes", .kind = int32, .default_value = "10485760",
     .min = 1, .doc = "The bytes a follower asks for in one fetch, over all partitions."},
    {.name = "replica.fetch.backoff.ms", .kind = int32, .default_value = "1000", .min = 0,
     .doc = "How long a follower waits after a failed fetch before the next, in ms."},
    // Network limits.
    {.name = "socket.request.max.bytes", .kind = int32, .default_value = "104857600", .min = 1,
     .doc = "The largest request the broker reads, in bytes."},
    {.name = "queued.max.request.bytes", .kind = int64, .default_value = "-1", .min = -1,
     .doc = "The bytes of requests read but not yet answered, over all connections (-1: no "
            "limit)."},
    {.name = "queued.max.requests", .kind = int32, .default_value = "500", .min = 1,
     .doc = "The requests read but not yet answered before the broker stops reading."},
    {.name = "socket.send.buffer.bytes", .kind = int32, .default_value = "102400", .min = -1,
     .doc = "The SO_SNDBUF of client connections, in bytes (-1: the OS default)."},
    // Kafka's default is 102400; -1 (the OS's, which on Linux grows the window with the
    // traffic) is Vltava's: with a fixed 100 KiB window a 1 MB produce request arrives in ~10
    // wake-ups of client and broker, and 1 KiB produce ran at 0.74x of the OS default
    // (bench/README.md, "Broker"). The send side keeps Kafka's value, which serves fetches best.
    {.name = "socket.receive.buffer.bytes", .kind = int32, .default_value = "-1", .min = -1,
     .doc = "The SO_RCVBUF of client connections, in bytes (-1: the OS default)."},
    {.name = "connections.max.idle.ms", .kind = int64, .default_value = "600000", .min = -1,
     .doc = "How long a connection may stay idle before the broker closes it, in ms."},
    {.name = "max.connections", .kind = int32, .default_value = "2147483647", .min = 0,
     .doc = "The most client connections the broker accepts at once."},
    {.name = "max.connections.per.ip", .kind = int32, .default_value = "2147483647", .min = 0,
     .doc = "The most client connections the broker accepts from one address."},
    // Client quotas (the values live in the metadata log: AlterClientQuotas).
    {.name = "quota.window.num", .kind = int32, .default_value = "11", .min = 1,
     .doc = "The number of samples kept to measure a client's byte rate against its quota."},
    {.name = "quota.window.size.seconds", .kind = int32, .default_value = "1", .min = 1,
     .doc = "The time span of each sample a client's byte rate is measured over, in seconds."},
    // Security: TLS (KIP-651 PEM stores) and SASL. Each may be set per listener as
    // listener.name.<name>.<config> (sasl.jaas.config only that way, with the mechanism:
    // listener.name.<name>.<mechanism>.sasl.jaas.config).
    {.name = "ssl.keystore.type", .kind = string, .default_value = "JKS", .choices = store_types,
     .doc = "The format of the key store; Vltava reads PEM only (KIP-651)."},
    {.name = "ssl.keystore.location", .kind = string, .default_value = std::nullopt,
     .doc = "A PEM file holding the broker's private key and its certificate chain."},
    {.name = "ssl.keystore.certificate.chain", .kind = string, .default_value = std::nullopt,
     .doc = "The broker's certificate chain in PEM, inline (instead of ssl.keystore.location)."},
    {.name = "ssl.keystore.key", .kind = string, .default_value = std::nullopt,
     .doc = "The broker's private key in PEM, inline (instead of ssl.keystore.location)."},
    {.name = "ssl.key.password", .kind = string, .default_value = std::nullopt,
     .doc = "The password of an encrypted private key."},
    {.name = "ssl.truststore.type", .kind = string, .default_value = "JKS",
     .choices = store_types,
     .doc = "The format of the trust store; Vltava reads PEM only (KIP-651)."},
    {.name = "ssl.truststore.location", .kind = string, .default_value = std::nullopt,
     .doc = "A PEM file of the CA certificates client certificates are checked against."},
    {.name = "ssl.truststore.certificates", .kind = string, .default_value = std::nullopt,
     .doc = "The trusted CA certificates in PEM, inline (instead of ssl.truststore.location)."},
    {.name = "ssl.client.auth", .kind = string, .default_value = "none",
     .choices = ssl_client_auths,
     .doc = "Whether clients must (required), may (requested) or do not (none) present a "
            "certificate."},
    {.name = "ssl.enabled.protocols", .kind = list, .default_value = "TLSv1.2,TLSv1.3",
     .choices = tls_versions, .doc = "The TLS versions the broker accepts."},
    {.name = "ssl.cipher.suites", .kind = list, .default_value = "",
     .doc = "The cipher suites the broker accepts (OpenSSL or IANA names); empty: OpenSSL's "
            "defaults."},
    {.name = "ssl.principal.mapping.rules", .kind = string, .default_value = "DEFAULT",
     .doc = "Rules from a client certificate's subject to a principal name: "
            "RULE:pattern/replacement/[LU], ..., DEFAULT (the whole subject)."},
    {.name = "ssl.protocol", .kind = string, .default_value = "TLSv1.3",
     .ignored_because = "OpenSSL negotiates the highest of ssl.enabled.protocols",
     .doc = "Kafka's TLS protocol of the SSL context; ignored by Vltava."},
    {.name = "ssl.endpoint.identification.algorithm", .kind = string, .default_value = "https",
     .ignored_because = "brokers do not connect to each other over TLS yet",
     .doc = "How a broker checks the host name of a broker it connects to; ignored for now."},
    {.name = "ssl.keystore.password", .kind = string, .default_value = std::nullopt,
     .ignored_because = "a PEM store has no store password (ssl.key.password protects the key)",
     .doc = "The password of a JKS or PKCS12 key store; ignored by Vltava (PEM only)."},
    {.name = "ssl.truststore.password", .kind = string, .default_value = std::nullopt,
     .ignored_because = "a PEM trust store has no password",
     .doc = "The password of a JKS or PKCS12 trust store; ignored by Vltava (PEM only)."},
    {.name = "sasl.enabled.mechanisms", .kind = list, .default_value = "GSSAPI",
     .doc = "The SASL mechanisms SASL listeners offer; Vltava serves PLAIN, SCRAM-SHA-256 and "
            "SCRAM-SHA-512."},
    {.name = "sasl.server.max.receive.size", .kind = int32, .default_value = "524288", .min = 1,
     .doc = "The largest request a connection may send before it is authenticated, in bytes."},
    // Authorization (Kafka's StandardAuthorizer; ACLs live in the metadata log).
    {.name = "authorizer.class.name", .kind = string, .default_value = "",
     .choices = authorizers,
     .doc = "The authorizer; empty: none (every request allowed, the ACL APIs answer "
            "SECURITY_DISABLED). Vltava has Kafka's StandardAuthorizer."},
    {.name = "super.users", .kind = string, .default_value = std::nullopt,
     .doc = "Principals allowed everything, semicolon-separated (User:admin;User:ops)."},
    {.name = "allow.everyone.if.no.acl.found", .kind = boolean, .default_value = "false",
     .doc = "Whether a resource without any ACL is open to everyone (otherwise only to super "
            "users)."},
    // Consumer groups.
    {.name = "offsets.topic.num.partitions", .kind = int32, .default_value = "50", .min = 1,
     .doc = "The number of partitions of __consumer_offsets."},
    {.name = "offsets.topic.replication.factor", .kind = int32, .default_value = "3", .min = 1,
     .doc = "The replication factor of __consumer_offsets."},
    {.name = "offsets.retention.minutes", .kind = int32, .default_value = "10080", .min = 1,
     .doc = "How long the committed offsets of a group without members are kept, in minutes."},
    {.name = "group.initial.rebalance.delay.ms", .kind = int32, .default_value = "3000",
     .min = 0,
     .doc = "How long a new group waits for more members before its first rebalance, in ms."},
    {.name = "group.min.session.timeout.ms", .kind = int32, .default_value = "6000", .min = 0,
     .doc = "The shortest session timeout a consumer may ask for, in ms."},
    {.name = "group.max.session.timeout.ms", .kind = int32, .default_value = "1800000",
     .min = 0,
     .doc = "The longest session timeout a consumer may ask for, in ms."},
    {.name = "group.max.size", .kind = int32, .default_value = "2147483647", .min = 1,
     .doc = "The most members a consumer group may have."},
    // KIP-848 consumer groups (ConsumerGroupHeartbeat).
    {.name = "group.consumer.session.timeout.ms", .kind = int32, .default_value = "45000",
     .min = 1,
     .doc = "How long a consumer-protocol member may go without a heartbeat, in ms."},
    {.name = "group.consumer.heartbeat.interval.ms", .kind = int32, .default_value = "5000",
     .min = 1,
     .doc = "How often consumer-protocol members are told to heartbeat, in ms."},
    {.name = "group.consumer.max.size", .kind = int32, .default_value = "2147483647", .min = 1,
     .doc = "The most members a consumer-protocol group may have."},
    {.name = "group.consumer.assignors", .kind = list, .default_value = "uniform,range",
     .doc = "The server-side assignors consumer-protocol members may name (uniform, range; "
            "Kafka's class names are accepted for them); the first is the default."},
    {.name = "offsets.topic.segment.bytes", .kind = int32, .default_value = "104857600",
     .min = 1,
     .doc = "The segment size of __consumer_offsets, in bytes."},
    {.name = "offset.metadata.max.bytes", .kind = int32, .default_value = "4096", .min = 0,
     .doc = "The largest metadata string a committed offset may carry, in bytes."},
    {.name = "offsets.retention.check.interval.ms", .kind = int64, .default_value = "600000",
     .min = 1,
     .doc = "How often expired offsets are looked for, in ms."},
    {.name = "offsets.commit.timeout.ms", .kind = int32, .default_value = "5000", .min = 1,
     .doc = "How long an offset commit waits for its write to be replicated, in ms."},
    // Transactions and idempotence.
    {.name = "transaction.state.log.num.partitions", .kind = int32, .default_value = "50",
     .min = 1,
     .doc = "The number of partitions of __transaction_state."},
    {.name = "transaction.state.log.replication.factor", .kind = int32, .default_value = "3",
     .min = 1,
     .doc = "The replication factor of __transaction_state."},
    {.name = "transaction.state.log.min.isr", .kind = int32, .default_value = "2", .min = 1,
     .doc = "min.insync.replicas of __transaction_state."},
    {.name = "transaction.max.timeout.ms", .kind = int32, .default_value = "900000", .min = 1,
     .doc = "The longest transaction timeout a producer may ask for, in ms."},
    {.name = "transactional.id.expiration.ms", .kind = int32, .default_value = "604800000",
     .min = 1,
     .doc = "How long a transactional id without activity is kept, in ms."},
    {.name = "producer.id.expiration.ms", .kind = int32, .default_value = "86400000", .min = 1,
     .doc = "How long a partition remembers an idle producer's sequence numbers, in ms."},
    {.name = "transaction.state.log.segment.bytes", .kind = int32, .default_value = "104857600",
     .min = 1,
     .doc = "The segment size of __transaction_state, in bytes."},
    {.name = "transaction.abort.timed.out.transaction.cleanup.interval.ms", .kind = int32,
     .default_value = "10000", .min = 1,
     .doc = "How often transactions past their timeout are looked for and aborted, in ms."},
    {.name = "transaction.remove.expired.transaction.cleanup.interval.ms", .kind = int32,
     .default_value = "3600000", .min = 1,
     .doc = "How often expired transactional ids are looked for, in ms."},
    {.name = "transaction.partition.verification.enable", .kind = boolean,
     .default_value = "true",
     .doc = "Whether a partition asks the transaction coordinator before a transactional batch "
            "starts a transaction on it (KIP-890)."},
    // Kafka thread pools: accepted so existing server.properties files load.
    {.name = "num.network.threads", .kind = int32, .default_value = "3", .min = 1,
     .ignored_because = shard_per_core,
     .doc = "Kafka's network thread count; ignored by Vltava."},
    {.name = "num.io.threads", .kind = int32, .default_value = "8", .min = 1,
     .ignored_because = shard_per_core,
     .doc = "Kafka's I/O thread count; ignored by Vltava."},
    {.name = "num.recovery.threads.per.data.dir", .kind = int32, .default_value = "2", .min = 1,
     .ignored_because = "recovery runs on every shard at start",
     .doc = "Kafka's recovery thread count per log directory; ignored by Vltava."},
};
// clang-format on

}  // namespace vltava::config::broker_table
