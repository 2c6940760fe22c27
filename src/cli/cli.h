#pragma once
// The operator's CLI, `vltava <noun> <verb>`: a Kafka client on librdkafka (README.md here).

#include <cstdio>

namespace vltava::cli {

// argv[0] is the program, argv[1] the noun. Returns the exit code (exit_code.h).
int cli_main(int argc, char** argv);

// Whether argv[1] is a CLI noun (the broker's main hands those to cli_main).
bool is_cli_command(const char* noun);

// One line per CLI command.
void print_commands(std::FILE* out);

}  // namespace vltava::cli
