#pragma once

// AlterUserScramCredentials as Kafka's active controller decides it (ScramControlManager):
// which users' changes are refused and why, and the metadata records of the rest. Pure: the
// metadata store runs it against its working image and commits the records as one batch.
//
// Kafka's rules, kept exactly because clients and operators see them:
// - one change per user per request: a user named twice (two mechanisms, or a deletion and an
//   upsertion) is refused whole with DUPLICATE_RESOURCE, and so are its later mentions;
// - an empty user name is UNACCEPTABLE_CREDENTIAL, a mechanism other than SCRAM-SHA-256/512
//   UNSUPPORTED_SASL_MECHANISM;
// - an upsertion's iterations must be within [4096, 16384] (UNACCEPTABLE_CREDENTIAL);
// - a deletion of a credential the image does not hold is RESOURCE_NOT_FOUND;
// - the client sends the salted password (RFC 5802's Hi(password, salt, i)); the controller
//   derives StoredKey and ServerKey and the record never holds anything a login could replay.

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/metadata_image.h"
#include "cluster/metadata_records.h"
#include "protocol/error_code.h"

namespace vltava::cluster {

struct scram_deletion {
  std::string user;
  int8_t mechanism = 0;  // Kafka's ScramMechanism type
};

struct scram_upsertion {
  std::string user;
  int8_t mechanism = 0;
  int32_t iterations = 0;
  std::vector<uint8_t> salt;
  std::vector<uint8_t> salted_password;
};

struct scram_user_result {
  std::string user;
  protocol::error_code error = protocol::error_code::none;
  std::optional<std::string> message;

  bool ok() const { return error == protocol::error_code::none; }
};

struct scram_plan {
  std::vector<scram_user_result> results;  // one per distinct user, in first-seen order
  std::vector<metadata_record> records;    // deletions first, then upsertions
};

scram_plan plan_scram_alteration(const metadata_image& image,
                                 const std::vector<scram_deletion>& deletions,
                                 const std::vector<scram_upsertion>& upsertions);

}  // namespace vltava::cluster
