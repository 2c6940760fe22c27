#pragma once
// Command-line plumbing shared by every command: the common options (-b, --timeout-ms, -X, -v),
// --help with an example, and usage errors that point at the right --help.

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/exit_code.h"

namespace vltava::cli {

namespace po = boost::program_options;

// Ends the running command with a message on stderr and an exit code; caught once, in
// cli_main. A CLI command is one short-lived operation, so unwinding to the top is the simplest
// correct way to stop it from any depth.
class cli_error : public std::runtime_error {
 public:
  cli_error(exit_code code, const std::string& message)
      : std::runtime_error(message), _code(code) {}
  exit_code code() const { return _code; }

 private:
  exit_code _code;
};

inline constexpr std::string_view default_brokers = "127.0.0.1:9092";

// -b wins, then $VLTAVA_BROKERS (when set and not empty), then 127.0.0.1:9092.
std::string resolve_brokers(const std::optional<std::string>& flag, const char* env);

struct common_options {
  std::string brokers;
  int timeout_ms = 10'000;
  std::vector<std::pair<std::string, std::string>> properties;  // -X librdkafka properties
  bool verbose = false;
};

struct command_spec {
  std::string_view name;      // "topic create"
  std::string_view synopsis;  // "TOPIC... [options]"
  std::string_view summary;   // one line
  std::string_view example;   // one or more shell lines
};

class command_line {
 public:
  explicit command_line(command_spec spec);

  // Options of this command (add to it before parse()).
  po::options_description& options() { return _options; }
  // Positional arguments: `count` of them named `name` (-1: any number).
  void positional(const char* name, int count) { _positional.add(name, count); }

  // Parses args (argv after the verb). Returns nullopt after printing --help.
  std::optional<po::variables_map> parse(const std::vector<std::string>& args);
  const common_options& common() const { return _common; }

  // A usage error naming this command's --help.
  [[noreturn]] void usage_error(const std::string& message) const;
  void print_help() const;

 private:
  command_spec _spec;
  po::options_description _options{"options"};
  po::options_description _common_options{"common options"};
  po::positional_options_description _positional;
  common_options _common;
};

// Splits "a,b,c" into parts, dropping empty ones.
std::vector<std::string> split_list(std::string_view text, char separator = ',');

}  // namespace vltava::cli
