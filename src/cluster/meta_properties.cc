#include "cluster/meta_properties.h"

#include <algorithm>

#include "cluster/metadata_records.h"
#include "config/properties.h"

namespace vltava::cluster {

namespace {

constexpr size_t meta_properties_bytes_max = 64 * 1024;

std::string storage_message(const storage::storage_error& e) {
  return std::string(storage::describe(e.code)) + ": " + e.message;
}

}  // namespace

std::string random_cluster_id() {
  return uuid_to_string(random_uuid());
}

bool valid_cluster_id(std::string_view id) {
  return id.size() == 22 && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

result<std::optional<meta_properties>, std::string> read_meta_properties(storage::file_io& io,
                                                                         const std::string& dir) {
  const std::string path = dir + "/meta.properties";
  auto exists = io.exists(path);
  if (!exists) return fail(storage_message(exists.error()));
  if (!*exists) return std::optional<meta_properties>{};
  auto bytes = storage::read_small_file(io, path, meta_properties_bytes_max);
  if (!bytes) return fail(storage_message(bytes.error()));
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  auto props = config::parse_properties(text);
  if (!props)
    return fail(path + ":" + std::to_string(props.error().line) + ": " + props.error().message);
  meta_properties m;
  for (const auto& p : *props) {
    if (p.key == "cluster.id") m.cluster_id = p.value;
    if (p.key == "node.id") {
      try {
        m.node_id = std::stoi(p.value);
      } catch (const std::exception&) {
        return fail(path + ": node.id is not a number: " + p.value);
      }
    }
    if (p.key == "version" && p.value != "1") {
      return fail(path + ": unsupported version " + p.value + " (expected 1)");
    }
  }
  if (m.cluster_id.empty() || m.node_id < 0) return fail(path + ": cluster.id or node.id missing");
  return std::optional<meta_properties>(m);
}

result<void, std::string> write_meta_properties(storage::file_io& io, const std::string& dir,
                                                const meta_properties& m) {
  std::string text =
      "#\n# Written by Vltava once (first start or vltava storage format); do not "
      "edit.\nversion=1\n";
  text += "cluster.id=" + m.cluster_id + "\nnode.id=" + std::to_string(m.node_id) + "\n";
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()), text.size());
  if (auto w = storage::write_file_atomic(io, dir, "meta.properties", bytes); !w) {
    return fail(storage_message(w.error()));
  }
  return {};
}

// meta.properties as found, or written on first start with a new cluster id; a node.id other
// than the configured one is refused.
result<meta_properties, std::string> load_or_create_meta_properties(storage::file_io& io,
                                                                    const std::string& dir,
                                                                    model::node_id node,
                                                                    unformatted policy) {
  auto meta = read_meta_properties(io, dir);
  if (!meta) return fail(meta.error());
  if (*meta) {
    if ((*meta)->node_id != node()) {
      return fail(dir + "/meta.properties: stored node.id " + std::to_string((*meta)->node_id) +
                  " does not match the configured node.id " + std::to_string(node()));
    }
    return **meta;
  }
  if (policy == unformatted::refuse) {
    return fail(dir +
                " is not formatted: the nodes of a cluster share one cluster id; format each "
                "node's directory with the same id first: vltava storage format --cluster-id "
                "<id> (same --config/--set as serve); `vltava storage random-uuid` makes an id");
  }
  meta_properties props;
  props.cluster_id = random_cluster_id();
  props.node_id = node();
  if (auto w = write_meta_properties(io, dir, props); !w) return fail(w.error());
  return props;
}

}  // namespace vltava::cluster
