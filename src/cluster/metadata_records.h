#pragma once

// The records of the metadata log (docs/formats/metadata-log.md): their encoding as record
// values (a MetadataRecordHeader, then the body, both generated from
// src/protocol/schema/metadata_*.api), the record batches that carry them, and how each
// record changes a metadata_image. Shared by the writer (metadata_store) and replay.

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "cluster/metadata_image.h"
#include "protocol/generated/metadata_access_control_entry_record.h"
#include "protocol/generated/metadata_broker_registration_change_record.h"
#include "protocol/generated/metadata_client_quota_record.h"
#include "protocol/generated/metadata_config_record.h"
#include "protocol/generated/metadata_partition_change_record.h"
#include "protocol/generated/metadata_partition_record.h"
#include "protocol/generated/metadata_producer_ids_record.h"
#include "protocol/generated/metadata_register_broker_record.h"
#include "protocol/generated/metadata_remove_access_control_entry_record.h"
#include "protocol/generated/metadata_remove_topic_record.h"
#include "protocol/generated/metadata_remove_user_scram_credential_record.h"
#include "protocol/generated/metadata_topic_record.h"
#include "protocol/generated/metadata_unregister_broker_record.h"
#include "protocol/generated/metadata_user_scram_credential_record.h"
#include "protocol/wire.h"
#include "security/acl.h"

namespace vltava::cluster {

// Config resource types as Kafka numbers them (DescribeConfigs, ConfigRecord).
inline constexpr int8_t resource_type_topic = 2;
inline constexpr int8_t resource_type_broker = 4;

// A metadata batch, compressed or not, is never larger (one operation is bounded by
// metadata_store::records_per_op_max records of a few hundred bytes).
inline constexpr size_t metadata_batch_bytes_max = 64 << 20;

// Record type codes (MetadataRecordHeader.record_type); never reuse a retired one.
enum class metadata_record_type : int16_t {
  topic = 1,
  partition = 2,
  config = 3,
  remove_topic = 4,
  producer_ids = 5,
  register_broker = 6,
  broker_registration_change = 7,
  unregister_broker = 8,
  partition_change = 9,
  // SCRAM credentials take Kafka's codes (UserScramCredentialRecord,
  // RemoveUserScramCredentialRecord).
  user_scram_credential = 11,
  remove_user_scram_credential = 12,
  // Client quotas take Kafka's code (ClientQuotaRecord).
  client_quota = 14,
  // ACLs take Kafka's record codes (AccessControlEntryRecord, RemoveAccessControlEntryRecord).
  access_control_entry = 22,
  remove_access_control_entry = 23,
};

using metadata_record = std::variant<
    protocol::metadata_topic_record, protocol::metadata_partition_record,
    protocol::metadata_config_record, protocol::metadata_remove_topic_record,
    protocol::metadata_producer_ids_record, protocol::metadata_register_broker_record,
    protocol::metadata_broker_registration_change_record,
    protocol::metadata_unregister_broker_record, protocol::metadata_partition_change_record,
    protocol::metadata_access_control_entry_record,
    protocol::metadata_remove_access_control_entry_record,
    protocol::metadata_user_scram_credential_record,
    protocol::metadata_remove_user_scram_credential_record, protocol::metadata_client_quota_record>;

std::vector<std::byte> encode_record_value(const metadata_record& r);
// Refuses unknown record types and versions (a newer Vltava wrote them) and trailing bytes.
result<metadata_record, std::string> decode_record_value(std::span<const std::byte> value);

// One uncompressed record batch holding `records` in order, key null, stamped `now_ms`.
std::vector<std::byte> build_metadata_batch(std::span<const metadata_record> records,
                                            int64_t now_ms);
// Every record of one whole batch (validated: CRC, lengths), in order.
result<std::vector<metadata_record>, std::string> read_metadata_batch(
    std::span<const std::byte> batch);

struct uuid_less {
  bool operator()(const protocol::uuid& a, const protocol::uuid& b) const {
    return a.bytes < b.bytes;
  }
};
using topic_id_index = std::map<protocol::uuid, std::string, uuid_less>;

// Applies one record to `image` (and `ids`, topic id → name). A record that contradicts the
// image (a second topic with one name, a partition of an unknown topic, a gap in partition
// ids) is an error: the log is corrupt or was written by a buggy writer.
result<void, std::string> apply_record(metadata_image& image, topic_id_index& ids,
                                       const metadata_record& r);

// The ACL binding an AccessControlEntryRecord carries, and the record for a binding.
security::acl_binding acl_of(const protocol::metadata_access_control_entry_record& r);
protocol::metadata_access_control_entry_record acl_record(const protocol::uuid& id,
                                                          const security::acl_binding& b);

// The record of a user's credential for one mechanism.
protocol::metadata_user_scram_credential_record scram_record(const std::string& user,
                                                             security::scram_mechanism m,
                                                             const security::scram_credential& c);

// The record setting (or, with `remove`, removing) one quota value of `entity`; its entity
// components in the entity's order (by type).
protocol::metadata_client_quota_record client_quota_record(const security::quota_entity& entity,
                                                           const std::string& key, double value,
                                                           bool remove);

// A random version 4 UUID, never the zero uuid, and never one whose text form starts with
// '-' (command lines would take it for an option), as Kafka's Uuid.randomUuid does.
protocol::uuid random_uuid();
// Kafka's text form of a uuid: URL-safe base64 of the 16 bytes, without padding (22 chars).
std::string uuid_to_string(const protocol::uuid& id);

}  // namespace vltava::cluster
