#include "cli/args.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "cli/format.h"

namespace vltava::cli {

std::string resolve_brokers(const std::optional<std::string>& flag, const char* env) {
  if (flag && !flag->empty()) return *flag;
  if (env != nullptr && *env != '\0') return env;
  return std::string(default_brokers);
}

std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto at = text.find(separator);
    auto part = text.substr(0, at);
    if (!part.empty()) out.emplace_back(part);
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

command_line::command_line(command_spec spec) : _spec(spec) {
  _common_options.add_options()                //
      ("brokers,b", po::value<std::string>(),  //
       "bootstrap brokers host:port[,host:port] (default $VLTAVA_BROKERS, else 127.0.0.1:9092)")(
          "timeout-ms", po::value<int>()->default_value(10'000),
          "how long to wait for the cluster")  //
      ("property,X", po::value<std::vector<std::string>>(),
       "librdkafka property key=value (repeatable)")             //
      ("verbose,v", po::bool_switch(), "show librdkafka's log")  //
      ("help,h", po::bool_switch(), "show this help");
}

void command_line::print_help() const {
  std::cout << fmt::format("usage: vltava {} {}\n\n{}\n\n", _spec.name, _spec.synopsis,
                           _spec.summary);
  if (!_options.options().empty()) std::cout << _options << "\n";
  std::cout << _common_options << "\nexample:\n";
  for (const auto& line : split_list(_spec.example, '\n')) std::cout << "  " << line << "\n";
}

void command_line::usage_error(const std::string& message) const {
  throw cli_error(exit_code::usage,
                  fmt::format("{}\n(see `vltava {} --help`)", message, _spec.name));
}

namespace {

bool is_negative_number(const std::string& s) {
  return s.size() > 1 && s[0] == '-' && s.find_first_not_of("0123456789", 1) == std::string::npos;
}

// program_options reads "-10" as an option; glue a negative number to the option before it
// ("-o -10" -> "-o-10", "--shift-by -5" -> "--shift-by=-5") so `consume -o -10` works.
std::vector<std::string> glue_negative_numbers(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (is_negative_number(a) && !out.empty() && out.back().size() > 1 && out.back()[0] == '-' &&
        out.back().find('=') == std::string::npos && !is_negative_number(out.back())) {
      if (out.back()[1] == '-') out.back().push_back('=');
      out.back().append(a);
    } else {
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace

std::optional<po::variables_map> command_line::parse(const std::vector<std::string>& raw) {
  std::vector<std::string> args = glue_negative_numbers(raw);
  po::options_description all;
  all.add(_options).add(_common_options);
  po::variables_map vm;
  try {
    po::store(
        po::command_line_parser(args)
            .options(all)
            .positional(_positional)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        vm);
    po::notify(vm);
  } catch (const po::error& e) {
    usage_error(e.what());
  }
  if (vm["help"].as<bool>()) {
    print_help();
    return std::nullopt;
  }
  std::optional<std::string> flag;
  if (vm.count("brokers")) flag = vm["brokers"].as<std::string>();
  _common.brokers = resolve_brokers(flag, std::getenv("VLTAVA_BROKERS"));
  _common.timeout_ms = vm["timeout-ms"].as<int>();
  if (_common.timeout_ms <= 0) usage_error("--timeout-ms must be positive");
  _common.verbose = vm["verbose"].as<bool>();
  if (vm.count("property")) {
    for (const auto& kv : vm["property"].as<std::vector<std::string>>()) {
      auto parsed = parse_key_value(kv);
      if (!parsed) usage_error(fmt::format("-X {}", parsed.error()));
      _common.properties.push_back(std::move(parsed.value()));
    }
  }
  return vm;
}

}  // namespace vltava::cli
