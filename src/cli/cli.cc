#include "cli/cli.h"

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <string_view>

#include "cli/commands.h"

namespace vltava::cli {

namespace {

struct verb_entry {
  std::string_view noun;
  std::string_view verb;  // empty: the noun is the command
  int (*run)(const args_t&);
  std::string_view summary;
};

constexpr verb_entry commands[] = {
    {"topic", "create", topic_create, "create topics"},
    {"topic", "list", topic_list, "list topics"},
    {"topic", "describe", topic_describe, "partitions, leaders, replicas, ISR, configs"},
    {"topic", "delete", topic_delete, "delete topics"},
    {"topic", "alter-config", topic_alter_config, "change a topic's configs"},
    {"topic", "add-partitions", topic_add_partitions, "add partitions to a topic"},
    {"produce", "", produce, "send lines from stdin or a file as records"},
    {"consume", "", consume, "print records (format string or JSON)"},
    {"group", "list", group_list, "list consumer groups"},
    {"group", "describe", group_describe, "members, assignments, committed offsets, lag"},
    {"group", "reset-offsets", group_reset_offsets, "move committed offsets (dry run default)"},
    {"group", "delete", group_delete, "delete consumer groups"},
    {"cluster", "info", cluster_info, "cluster id, controller, brokers (rack, fenced)"},
    {"cluster", "quorum", cluster_quorum, "KRaft quorum: leader, epoch, each voter's lag"},
    {"cluster", "elect-leaders", cluster_elect_leaders,
     "preferred (or unclean) leader elections by the controller"},
    {"acl", "create", acl_create, "create an ACL binding"},
    {"acl", "list", acl_list, "list ACL bindings matching a filter"},
    {"acl", "delete", acl_delete, "delete the ACL bindings matching a filter"},
    {"user", "create", user_create, "create or replace a user's SCRAM credential"},
    {"user", "list", user_list, "users' SCRAM mechanisms and iterations"},
    {"user", "delete", user_delete, "delete a user's SCRAM credentials"},
    {"quota", "set", quota_set, "set or remove client quotas of a user/client-id/ip"},
    {"quota", "describe", quota_describe, "client quotas of the entities matching a filter"},
    {"config", "get", config_get, "show topic or broker configs"},
    {"config", "set", config_set, "change topic or broker configs"},
    {"perf", "produce", perf_produce, "producer load test with latency percentiles"},
    {"perf", "consume", perf_consume, "consumer load test"},
};

void usage(std::FILE* out, std::string_view only_noun = {}) {
  std::fprintf(out,
               "usage: vltava <command> [options]   (`vltava <command> --help` tells more)\n"
               "\ncommands:\n");
  for (const auto& c : commands) {
    if (!only_noun.empty() && c.noun != only_noun) continue;
    // Appended piecewise: g++ 12 at -O3 reports a false -Wrestrict for `" " + string`
    // (GCC bug 105329).
    std::string name(c.noun);
    if (!c.verb.empty()) {
      name.push_back(' ');
      name.append(c.verb);
    }
    std::fprintf(out, "  %-22s %.*s\n", name.c_str(), static_cast<int>(c.summary.size()),
                 c.summary.data());
  }
  if (only_noun.empty()) {
    std::fprintf(out,
                 "  %-22s run a node\n\n"
                 "Every command takes -b/--brokers (default $VLTAVA_BROKERS, else "
                 "127.0.0.1:9092).\n",
                 "serve");
  }
}

}  // namespace

void print_commands(std::FILE* out) {
  for (const auto& c : commands) {
    // Appended piecewise: g++ 12 at -O3 reports a false -Wrestrict for `" " + string`
    // (GCC bug 105329).
    std::string name(c.noun);
    if (!c.verb.empty()) {
      name.push_back(' ');
      name.append(c.verb);
    }
    std::fprintf(out, "  %-22s %.*s\n", name.c_str(), static_cast<int>(c.summary.size()),
                 c.summary.data());
  }
}

bool is_cli_command(const char* noun) {
  for (const auto& c : commands) {
    if (c.noun == noun) return true;
  }
  return false;
}

int cli_main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return to_int(exit_code::usage);
  }
  std::string_view noun = argv[1];
  const verb_entry* found = nullptr;
  int first_arg = 2;
  for (const auto& c : commands) {
    if (c.noun != noun) continue;
    if (c.verb.empty()) {
      found = &c;
      break;
    }
    if (argc > 2 && c.verb == argv[2]) {
      found = &c;
      first_arg = 3;
      break;
    }
  }
  if (found == nullptr) {
    bool known_noun = is_cli_command(argv[1]);
    bool wants_help =
        argc > 2 && (std::string_view(argv[2]) == "--help" || std::string_view(argv[2]) == "-h");
    if (known_noun && (argc == 2 || wants_help)) {
      usage(wants_help ? stdout : stderr, noun);
      return wants_help ? 0 : to_int(exit_code::usage);
    }
    if (known_noun) {
      std::fprintf(stderr, "vltava: '%s' is not a verb of %s\n\n", argv[2], argv[1]);
    } else {
      std::fprintf(stderr, "vltava: unknown command '%s'\n\n", argv[1]);
    }
    usage(stderr, known_noun ? noun : std::string_view{});
    return to_int(exit_code::usage);
  }
  args_t args(argv + first_arg, argv + argc);
  try {
    return found->run(args);
  } catch (const cli_error& e) {
    std::fprintf(stderr, "vltava: %s\n", e.what());
    return to_int(e.code());
  }
}

}  // namespace vltava::cli
