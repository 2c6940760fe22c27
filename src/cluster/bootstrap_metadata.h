#pragma once

// Bootstrap metadata, as Kafka's `kafka-storage format` writes it (KIP-900): records the first
// active controller of a new cluster commits before anything else, kept until then in
// `<log.dir>/bootstrap.checkpoint` (a checkpoint file, quorum/io/checkpoint.h, with id 0-0).
// Vltava's carry the SCRAM credentials of `--add-scram`, so a cluster whose listeners all
// demand SASL/SCRAM has a user to log in with from its first start.
//
// The controller writes them when it takes office over a metadata log that has no record yet
// (no metadata batch and no snapshot): every controller of a new cluster is formatted alike,
// whichever is elected first bootstraps it, and a restart never bootstraps again.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cluster/metadata_records.h"
#include "storage/file_io.h"

namespace vltava::cluster {

inline constexpr std::string_view bootstrap_file_name = "bootstrap.checkpoint";

result<void, std::string> write_bootstrap_metadata(storage::file_io& io, const std::string& dir,
                                                   std::span<const metadata_record> records,
                                                   int64_t now_ms);
// The records of `dir`'s bootstrap file; none when there is no file. A file that does not read
// whole (torn, corrupt) is an error.
result<std::vector<metadata_record>, std::string> read_bootstrap_metadata(storage::file_io& io,
                                                                          const std::string& dir);

// One `--add-scram` argument in Kafka's syntax:
//   SCRAM-SHA-256=[name=alice,password=alice-secret]
//   SCRAM-SHA-512=[name=alice,iterations=8192,salt="N3E=",saltedpassword="YCE="]
// Values may be double-quoted (quotes are dropped, and an '=' inside them is kept); salt and
// saltedpassword are base64. Without a salt one is made (32 random bytes); iterations default
// to 4096 and must be within [4096, 16384]; exactly one of password and saltedpassword, and
// saltedpassword only with salt. (Kafka reads iterations only beside a salt; Vltava always.)
result<protocol::metadata_user_scram_credential_record, std::string> parse_add_scram(
    std::string_view arg);

}  // namespace vltava::cluster
