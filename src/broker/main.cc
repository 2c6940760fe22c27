// The vltava binary: `vltava serve` runs a node; `vltava <noun> <verb>` is the operator's CLI
// (src/cli, a Kafka client that never reaches into the broker).

#include <cstdio>
#include <cstring>
#include <string_view>

#include "broker/serve.h"
#include "broker/storage_command.h"
#include "broker/version.h"
#include "cli/cli.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: vltava <command> [options]\n"
               "\n"
               "commands:\n"
               "  serve      run a node (broker and controller) on embedded defaults:\n"
               "             Kafka listener 127.0.0.1:9092, data in ./vltava-data\n"
               "  storage    random-uuid | format: a cluster's shared id in each data directory\n"
               "  version    print the version\n"
               "  topic, produce, consume, group, cluster, config, perf\n"
               "             the operator's CLI (`vltava help` lists every command)\n"
               "\n"
               "`vltava <command> --help` tells more.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string_view command = argv[1];
  if (command == "serve") return vltava::broker::serve(argc - 1, argv + 1);
  if (command == "storage") return vltava::broker::storage_command(argc - 1, argv + 1);
  if (command == "version" || command == "--version") {
    std::printf("vltava %s\n", vltava::broker::version);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    usage(stdout);
    std::printf("\nCLI commands (a Kafka client; each takes -b host:port):\n");
    vltava::cli::print_commands(stdout);
    return 0;
  }
  if (vltava::cli::is_cli_command(argv[1])) return vltava::cli::cli_main(argc, argv);
  std::fprintf(stderr, "vltava: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
