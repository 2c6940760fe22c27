#pragma once

// AlterClientQuotas as Kafka's active controller decides it (ClientQuotaControlManager): which
// entries are refused and why, and the ClientQuotaRecords of the rest. Pure: the metadata store
// runs it against its working image and commits the records as one batch (none when
// validate_only).
//
// Kafka's rules, kept exactly because clients and operators see them (all INVALID_REQUEST):
// the entity's checks (security/client_quota.h: known types, each once, no empty name, ip
// alone and an address); each value set must be a key of the entity's kind, positive, and whole
// for the integral keys; one bad value refuses the whole entry. A key named twice in one entry
// takes its last operation. Removing a value the entity does not have is no change; setting one
// to the value it has writes no record.

#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_image.h"
#include "cluster/metadata_records.h"
#include "protocol/error_code.h"
#include "security/client_quota.h"

namespace vltava::cluster {

struct quota_op {
  std::string key;
  double value = 0;
  bool remove = false;
};

struct quota_alteration {
  security::quota_entity_components entity;
  std::vector<quota_op> ops;
};

struct quota_entry_result {
  protocol::error_code error = protocol::error_code::none;
  std::optional<std::string> message;

  bool ok() const { return error == protocol::error_code::none; }
};

struct quota_plan {
  std::vector<quota_entry_result> results;  // one per entry, in request order
  std::vector<metadata_record> records;
};

// Entries are read in order, each against the image as the entries before it left it.
quota_plan plan_quota_alteration(const metadata_image& image,
                                 const std::vector<quota_alteration>& entries);

}  // namespace vltava::cluster
