#pragma once
// Every `vltava <noun> <verb>`: each takes the arguments after the verb and returns an exit code
// (failures throw cli_error, caught in cli_main).

#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

#include "cli/client.h"

namespace vltava::cli {

using args_t = std::vector<std::string>;

int topic_create(const args_t& args);
int topic_list(const args_t& args);
int topic_describe(const args_t& args);
int topic_delete(const args_t& args);
int topic_alter_config(const args_t& args);
int topic_add_partitions(const args_t& args);
int produce(const args_t& args);
int consume(const args_t& args);
int group_list(const args_t& args);
int group_describe(const args_t& args);
int group_reset_offsets(const args_t& args);
int group_delete(const args_t& args);
int cluster_info(const args_t& args);
int cluster_quorum(const args_t& args);
int acl_create(const args_t& args);
int acl_list(const args_t& args);
int acl_delete(const args_t& args);
int user_create(const args_t& args);
int user_list(const args_t& args);
int user_delete(const args_t& args);
int cluster_elect_leaders(const args_t& args);
int quota_set(const args_t& args);
int quota_describe(const args_t& args);
int config_get(const args_t& args);
int config_set(const args_t& args);
int perf_produce(const args_t& args);
int perf_consume(const args_t& args);

// Configs of one resource (topic or broker), shared by `topic` and `config`.
struct config_entry {
  std::string name;
  std::string value;
  bool is_null = false;
  std::string source;  // librdkafka's name for the source, e.g. DYNAMIC_TOPIC_CONFIG
  rd_kafka_ConfigSource_t source_id = RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG;
  bool read_only = false;
  bool sensitive = false;
};
std::vector<config_entry> describe_configs(client& c, rd_kafka_ResourceType_t type,
                                           const std::string& name);
// AlterConfigs replaces a resource's whole dynamic config (the incremental API is newer than
// Debian's librdkafka 2.0), so this reads the current dynamic entries, applies `sets` and
// `deletes`, and writes the result back.
void alter_configs(client& c, rd_kafka_ResourceType_t type, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& sets,
                   const std::vector<std::string>& deletes);
// Whether a config table shows each config's one-line doc (from the config tables this binary
// shares with the broker: librdkafka 2.0 cannot read DescribeConfigs' documentation field).
enum class doc_column : bool { hidden, shown };
void print_configs(const std::vector<config_entry>& entries, bool all,
                   const std::vector<std::string>& only, rd_kafka_ResourceType_t type,
                   doc_column docs = doc_column::hidden);

}  // namespace vltava::cli
