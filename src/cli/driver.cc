// `vltava-cli`: the CLI alone, without the broker linked in. The `vltava` binary is the one users
// run; this one builds in seconds (no generated protocol code), for the benchmark and for
// working on the CLI.

#include "cli/cli.h"

int main(int argc, char** argv) {
  return vltava::cli::cli_main(argc, argv);
}
