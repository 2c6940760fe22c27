#pragma once

// meta.properties, as Kafka writes it for a KRaft node (version 1, cluster.id, node.id): the
// identity of a data directory. Written once, atomically: by the first start of a single node,
// or by `vltava storage format` for the nodes of a cluster, which must share one cluster id.

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "model/fundamental.h"
#include "storage/file_io.h"

namespace vltava::cluster {

struct meta_properties {
  std::string cluster_id;
  int32_t node_id = -1;
};

// nullopt when <dir>/meta.properties does not exist.
result<std::optional<meta_properties>, std::string> read_meta_properties(storage::file_io& io,
                                                                         const std::string& dir);
result<void, std::string> write_meta_properties(storage::file_io& io, const std::string& dir,
                                                const meta_properties& m);

// A new cluster id: 22 characters of URL-safe base64 of a random v4 UUID (Kafka's form).
std::string random_cluster_id();
// Whether a cluster id is one Kafka would accept (22 URL-safe base64 characters).
bool valid_cluster_id(std::string_view id);

// What to do with a directory that has no meta.properties yet.
enum class unformatted : uint8_t { create, refuse };

// The directory's meta.properties; a node.id other than `node` is refused. Without one it is
// created with a new cluster id, or refused with how to format the directory.
result<meta_properties, std::string> load_or_create_meta_properties(storage::file_io& io,
                                                                    const std::string& dir,
                                                                    model::node_id node,
                                                                    unformatted policy);

}  // namespace vltava::cluster
