// `vltava topic create|list|describe|delete|alter-config|add-partitions`.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/table.h"
#include "cli/wire_requests.h"

namespace vltava::cli {

namespace {

args_t words_of(const po::variables_map& vm, const char* name = "topics") {
  return vm.count(name) ? vm[name].as<args_t>() : args_t{};
}

// Prints each topic's result of Create/DeleteTopics; returns the worst exit code.
int report_topic_results(const rd_kafka_topic_result_t** results, size_t count,
                         std::string_view verb) {
  exit_code worst = exit_code::ok;
  for (size_t i = 0; i < count; ++i) {
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (auto err = rd_kafka_topic_result_error(results[i])) {
      const char* detail = rd_kafka_topic_result_error_string(results[i]);
      std::string msg = fmt::format("cannot {} topic '{}': {}", verb, name, rd_kafka_err2str(err));
      if (detail && std::string_view(detail) != rd_kafka_err2str(err)) {
        msg += fmt::format(" ({})", detail);
      }
      if (auto hint = hint_for(err, {}); !hint.empty()) {
        fmt::format_to(std::back_inserter(msg), "\n{}", hint);
      }
      std::fprintf(stderr, "vltava: %s\n", msg.c_str());
      auto code = exit_code_for(err);
      if (worst == exit_code::ok || code == exit_code::failed) worst = code;
    } else {
      std::printf("%s topic %s\n", verb == "create" ? "created" : "deleted", name);
    }
  }
  return to_int(worst);
}

std::string join_ints(const std::vector<int32_t>& v) {
  return v.empty() ? "-" : fmt::format("{}", fmt::join(v, ","));
}

// One partition as `topic describe` prints it (kafka-topics.sh --describe's fields).
struct partition_row {
  int32_t id = 0;
  int32_t leader = -1;
  std::optional<int32_t> leader_epoch;  // nullopt: librdkafka's metadata does not carry it
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::optional<std::vector<int32_t>> offline;  // nullopt: not carried either
};

std::vector<partition_row> rows_of(const rd_kafka_metadata_topic_t& t) {
  std::vector<partition_row> rows;
  for (int i = 0; i < t.partition_cnt; ++i) {
    const auto& p = t.partitions[i];
    rows.push_back({p.id, p.leader, std::nullopt,
                    std::vector<int32_t>(p.replicas, p.replicas + p.replica_cnt),
                    std::vector<int32_t>(p.isrs, p.isrs + p.isr_cnt), std::nullopt});
  }
  return rows;
}

std::vector<int32_t> ids_of(const std::vector<model::node_id>& nodes) {
  std::vector<int32_t> out;
  for (auto n : nodes) out.push_back(n.value());
  return out;
}

// Partitions of `topics` from Metadata v7+ sent directly (leader epochs and offline replicas,
// which librdkafka 2.0 drops); nullopt when the connection must be secured or the broker's
// Metadata is older than v7, and the caller falls back to librdkafka's metadata.
std::optional<std::map<std::string, std::vector<partition_row>>> rows_from_wire(
    const common_options& common, const args_t& topics) {
  if (wants_security(common)) return std::nullopt;
  wire_client c = wire_client::open_any(common);
  auto md = wire_metadata(c, topics);
  if (!md) return std::nullopt;
  std::map<std::string, std::vector<partition_row>> out;
  for (const auto& t : md->body.topics) {
    if (t.error_code != protocol::error_code::none || !t.name) continue;
    auto& rows = out[*t.name];
    for (const auto& p : t.partitions) {
      rows.push_back({p.partition_index.value(), p.leader_id.value(), p.leader_epoch.value(),
                      ids_of(p.replica_nodes), ids_of(p.isr_nodes), ids_of(p.offline_replicas)});
    }
  }
  return out;
}

}  // namespace

int topic_create(const args_t& args) {
  command_line cl({"topic create", "TOPIC... [options]",
                   "Create topics; without -p and -r the broker's defaults apply.",
                   "vltava topic create orders -p 6 -c retention.ms=86400000"});
  cl.options().add_options()                                                         //
      ("partitions,p", po::value<int>()->default_value(-1), "number of partitions")  //
      ("replication-factor,r", po::value<int>()->default_value(-1), "replicas per partition")(
          "config,c", po::value<args_t>(), "topic config key=value (repeatable)")(
          "topics", po::value<args_t>(), "topic names");
  cl.positional("topics", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto topics = words_of(*vm);
  if (topics.empty()) cl.usage_error("name at least one topic");
  int partitions = (*vm)["partitions"].as<int>();
  int replicas = (*vm)["replication-factor"].as<int>();
  if (partitions == 0 || partitions < -1) cl.usage_error("--partitions must be at least 1");
  if (replicas == 0 || replicas < -1) cl.usage_error("--replication-factor must be at least 1");
  std::vector<std::pair<std::string, std::string>> configs;
  for (const auto& kv : words_of(*vm, "config")) {
    auto parsed = parse_key_value(kv);
    if (!parsed) cl.usage_error("--config " + parsed.error());
    configs.push_back(std::move(parsed.value()));
  }
  client c(cl.common());
  c.metadata();
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  for (const auto& t : topics) {
    char errstr[512];
    auto* nt = rd_kafka_NewTopic_new(t.c_str(), partitions, replicas, errstr, sizeof(errstr));
    if (nt == nullptr) {
      rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
      cl.usage_error(errstr);
    }
    new_topics.push_back(nt);
    for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
  }
  struct guard {
    std::vector<rd_kafka_NewTopic_t*>& v;
    ~guard() { rd_kafka_NewTopic_destroy_array(v.data(), v.size()); }
  } g{new_topics};
  auto ev = c.admin(
      [&](auto* options, auto* queue) {
        rd_kafka_CreateTopics(c.get(), new_topics.data(), new_topics.size(), options, queue);
      },
      "create topics");
  size_t count = 0;
  auto* results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &count);
  return report_topic_results(results, count, "create");
}

int topic_delete(const args_t& args) {
  command_line cl({"topic delete", "TOPIC... [options]", "Delete topics and all their records.",
                   "vltava topic delete orders"});
  cl.options().add_options()("topics", po::value<args_t>(), "topic names");
  cl.positional("topics", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto topics = words_of(*vm);
  if (topics.empty()) cl.usage_error("name at least one topic");
  client c(cl.common());
  c.metadata();
  std::vector<rd_kafka_DeleteTopic_t*> dels;
  for (const auto& t : topics) dels.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  struct guard {
    std::vector<rd_kafka_DeleteTopic_t*>& v;
    ~guard() { rd_kafka_DeleteTopic_destroy_array(v.data(), v.size()); }
  } g{dels};
  auto ev = c.admin(
      [&](auto* options, auto* queue) {
        rd_kafka_DeleteTopics(c.get(), dels.data(), dels.size(), options, queue);
      },
      "delete topics");
  size_t count = 0;
  auto* results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &count);
  return report_topic_results(results, count, "delete");
}

int topic_list(const args_t& args) {
  command_line cl({"topic list", "[options]", "List topics with their partition counts.",
                   "vltava topic list --json"});
  cl.options().add_options()("internal,i", po::bool_switch(), "include internal topics (__*)")(
      "json", po::bool_switch(), "print JSON");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  client c(cl.common());
  auto md = c.metadata();
  std::vector<const rd_kafka_metadata_topic_t*> topics;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (!(*vm)["internal"].as<bool>() && std::string_view(t.topic).starts_with("__")) continue;
    topics.push_back(&t);
  }
  std::sort(topics.begin(), topics.end(),
            [](auto* a, auto* b) { return std::string_view(a->topic) < b->topic; });
  if ((*vm)["json"].as<bool>()) {
    std::string out = "[";
    for (size_t i = 0; i < topics.size(); ++i) {
      if (i) out += ',';
      out += "{\"name\":";
      append_json_string(topics[i]->topic, out);
      out += fmt::format(",\"partitions\":{},\"replicas\":{}}}", topics[i]->partition_cnt,
                         topics[i]->partition_cnt ? topics[i]->partitions[0].replica_cnt : 0);
    }
    std::printf("%s]\n", out.c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "PARTITIONS", "REPLICAS"}};
  for (auto* t : topics) {
    rows.push_back({t->topic, std::to_string(t->partition_cnt),
                    std::to_string(t->partition_cnt ? t->partitions[0].replica_cnt : 0)});
  }
  print_table(rows);
  return 0;
}

int topic_describe(const args_t& args) {
  command_line cl({"topic describe", "TOPIC... [options]",
                   "Show partitions (leader, leader epoch, replicas, in-sync replicas, offline "
                   "replicas, offsets) and the topic's configs with their source.",
                   "vltava topic describe orders --all-configs"});
  cl.options().add_options()                                            //
      ("all-configs,a", po::bool_switch(), "show default configs too")  //
      ("no-configs", po::bool_switch(), "skip the configs")             //
      ("topics", po::value<args_t>(), "topic names");
  cl.positional("topics", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto topics = words_of(*vm);
  if (topics.empty()) cl.usage_error("name at least one topic");
  client c(cl.common());
  auto md = c.metadata();
  for (const auto& name : topics) find_topic(*md, name);  // exit 4 before any output
  auto wire = rows_from_wire(cl.common(), topics);
  for (size_t n = 0; n < topics.size(); ++n) {
    const auto& t = find_topic(*md, topics[n]);
    auto parts = wire && wire->contains(t.topic) ? (*wire)[t.topic] : rows_of(t);
    std::sort(parts.begin(), parts.end(), [](auto& a, auto& b) { return a.id < b.id; });
    if (n) std::printf("\n");
    std::printf("topic %s: %zu partitions\n\n", t.topic, parts.size());
    std::vector<std::vector<std::string>> rows{
        {"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "OFFLINE", "LOW", "HIGH"}};
    for (const auto& p : parts) {
      auto [low, high] = c.watermarks(t.topic, p.id);
      rows.push_back({std::to_string(p.id), p.leader >= 0 ? std::to_string(p.leader) : "none",
                      p.leader_epoch ? std::to_string(*p.leader_epoch) : "?", join_ints(p.replicas),
                      join_ints(p.isr), p.offline ? join_ints(*p.offline) : "?",
                      std::to_string(low), std::to_string(high)});
    }
    print_table(rows);
    if (!(*vm)["no-configs"].as<bool>()) {
      std::printf("\n");
      print_configs(describe_configs(c, RD_KAFKA_RESOURCE_TOPIC, t.topic),
                    (*vm)["all-configs"].as<bool>(), {}, RD_KAFKA_RESOURCE_TOPIC);
    }
  }
  return 0;
}

int topic_alter_config(const args_t& args) {
  command_line cl({"topic alter-config", "TOPIC [--set KEY=VALUE]... [--delete KEY]... [options]",
                   "Change a topic's configs; --delete returns a key to its default.",
                   "vltava topic alter-config orders --set retention.ms=3600000 --delete "
                   "cleanup.policy"});
  cl.options().add_options()                                           //
      ("set,s", po::value<args_t>(), "KEY=VALUE to set (repeatable)")  //
      ("delete,d", po::value<args_t>(), "KEY to return to its default (repeatable)")(
          "topics", po::value<args_t>(), "topic name");
  cl.positional("topics", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto topics = words_of(*vm);
  if (topics.size() != 1) cl.usage_error("name one topic");
  std::vector<std::pair<std::string, std::string>> sets;
  for (const auto& kv : words_of(*vm, "set")) {
    auto parsed = parse_key_value(kv);
    if (!parsed) cl.usage_error("--set " + parsed.error());
    sets.push_back(std::move(parsed.value()));
  }
  auto deletes = words_of(*vm, "delete");
  if (sets.empty() && deletes.empty()) cl.usage_error("give --set KEY=VALUE or --delete KEY");
  client c(cl.common());
  auto md = c.metadata();
  find_topic(*md, topics[0]);
  alter_configs(c, RD_KAFKA_RESOURCE_TOPIC, topics[0], sets, deletes);
  std::printf("updated topic %s\n", topics[0].c_str());
  return 0;
}

int topic_add_partitions(const args_t& args) {
  command_line cl({"topic add-partitions", "TOPIC (--count N | --total N) [options]",
                   "Add partitions to a topic (partitions can never be removed).",
                   "vltava topic add-partitions orders --count 3"});
  cl.options().add_options()                                              //
      ("count,n", po::value<int>(), "how many partitions to add")         //
      ("total,t", po::value<int>(), "the partition count wanted in all")  //
      ("topics", po::value<args_t>(), "topic name");
  cl.positional("topics", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto topics = words_of(*vm);
  if (topics.size() != 1) cl.usage_error("name one topic");
  if (vm->count("count") == vm->count("total")) cl.usage_error("give one of --count or --total");
  client c(cl.common());
  auto md = c.metadata();
  const auto& t = find_topic(*md, topics[0]);
  int total =
      vm->count("total") ? (*vm)["total"].as<int>() : t.partition_cnt + (*vm)["count"].as<int>();
  if (total <= t.partition_cnt) {
    cl.usage_error(fmt::format("topic {} has {} partitions already; the total must be larger",
                               topics[0], t.partition_cnt));
  }
  char errstr[512];
  auto* np = rd_kafka_NewPartitions_new(topics[0].c_str(), total, errstr, sizeof(errstr));
  if (np == nullptr) cl.usage_error(errstr);
  struct guard {
    rd_kafka_NewPartitions_t* p;
    ~guard() { rd_kafka_NewPartitions_destroy(p); }
  } g{np};
  auto ev =
      c.admin([&](auto* options,
                  auto* queue) { rd_kafka_CreatePartitions(c.get(), &np, 1, options, queue); },
              fmt::format("add partitions to '{}'", topics[0]));
  size_t count = 0;
  auto* results = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(ev.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    if (auto err = rd_kafka_topic_result_error(results[i])) {
      const char* detail = rd_kafka_topic_result_error_string(results[i]);
      throw_kafka_error(err, fmt::format("add partitions to '{}'", topics[0]),
                        detail ? detail : "");
    }
  }
  std::printf("topic %s now has %d partitions\n", topics[0].c_str(), total);
  return 0;
}

}  // namespace vltava::cli
