// `vltava produce TOPIC`: records from stdin or a file, one per line.

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "cli/format.h"

namespace vltava::cli {

namespace {

// Reads lines of at most `max_bytes` from a FILE; a longer line is reported and skipped, so
// memory stays bounded whatever the input.
class line_reader {
 public:
  line_reader(std::FILE* f, size_t max_bytes) : _f(f), _max(max_bytes) {}
  enum class status { line, too_long, end };
  status next(std::string& line) {
    line.clear();
    bool too_long = false;
    int c;
    while ((c = getc_unlocked(_f)) != EOF) {
      if (c == '\n') return too_long ? status::too_long : status::line;
      if (line.size() < _max) {
        line += static_cast<char>(c);
      } else {
        too_long = true;
      }
    }
    if (too_long) return status::too_long;
    return line.empty() ? status::end : status::line;
  }

 private:
  std::FILE* _f;
  size_t _max;
};

struct delivery_state {
  uint64_t delivered = 0;
  uint64_t failed = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* state = static_cast<delivery_state*>(opaque);
  if (m->err) {
    ++state->failed;
    std::fprintf(stderr, "vltava: line %zu not delivered: %s\n",
                 reinterpret_cast<size_t>(m->_private), rd_kafka_err2str(m->err));
  } else {
    ++state->delivered;
  }
}

}  // namespace

int produce(const args_t& args) {
  command_line cl({"produce", "TOPIC [options]",
                   "Send one record per input line (stdin, or --file). Exits 1 when any record "
                   "was not delivered; each failure is reported with its line number.",
                   "printf 'k1:hello\\nk2:world\\n' | vltava produce orders -k : -H source=cli"});
  cl.options().add_options()                                                              //
      ("file,f", po::value<std::string>(), "read lines from this file instead of stdin")  //
      ("key-separator,k", po::value<std::string>(), "split each line into KEY SEP VALUE")(
          "format,F", po::value<std::string>(),
          "input format of a line: %k key, %v value, %p partition, %h headers k=v,k=v "
          "(e.g. '%k\\t%v')")("header,H", po::value<args_t>(),
                              "header key=value on every record (repeatable)")(
          "partition,p", po::value<int>(), "send every record to this partition")(
          "compression,z", po::value<std::string>()->default_value("none"),
          "none, gzip, snappy, lz4 or zstd")("acks", po::value<std::string>()->default_value("all"),
                                             "0, 1 or all")("idempotent", po::bool_switch(),
                                                            "enable the idempotent producer")(
          "linger-ms", po::value<int>(), "how long to wait to fill a batch")(
          "max-line-bytes", po::value<size_t>()->default_value(1 << 20),
          "longest input line accepted")("topic", po::value<std::string>(), "topic");
  cl.positional("topic", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  if (!vm->count("topic")) cl.usage_error("name the topic to produce to");
  if (vm->count("key-separator") && vm->count("format")) {
    cl.usage_error("give --key-separator or --format, not both");
  }
  std::string topic = (*vm)["topic"].as<std::string>();
  std::optional<input_format> format;
  if (vm->count("key-separator")) {
    auto sep = unescape((*vm)["key-separator"].as<std::string>());
    if (sep.empty()) cl.usage_error("--key-separator cannot be empty");
    format = input_format::key_separated(sep);
  } else if (vm->count("format")) {
    auto parsed = input_format::parse((*vm)["format"].as<std::string>());
    if (!parsed) cl.usage_error("--format: " + parsed.error());
    format = std::move(parsed.value());
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& kv : vm->count("header") ? (*vm)["header"].as<args_t>() : args_t{}) {
    auto parsed = parse_key_value(kv);
    if (!parsed) cl.usage_error("--header " + parsed.error());
    headers.push_back(std::move(parsed.value()));
  }
  std::string acks = (*vm)["acks"].as<std::string>();
  if (acks != "0" && acks != "1" && acks != "all" && acks != "-1") {
    cl.usage_error("--acks must be 0, 1 or all");
  }
  size_t max_line = (*vm)["max-line-bytes"].as<size_t>();
  if (max_line == 0 || max_line > (size_t{1} << 30)) {
    cl.usage_error("--max-line-bytes must be between 1 and 1 GiB");
  }
  std::FILE* in = stdin;
  if (vm->count("file")) {
    auto path = (*vm)["file"].as<std::string>();
    in = std::fopen(path.c_str(), "rb");
    if (in == nullptr) {
      throw cli_error(exit_code::usage,
                      fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    }
  }
  struct file_guard {
    std::FILE* f;
    ~file_guard() {
      if (f != stdin) std::fclose(f);
    }
  } fg{in};

  delivery_state state;
  config_builder conf(cl.common());
  conf.set("compression.codec", (*vm)["compression"].as<std::string>());
  conf.set("acks", acks);
  conf.set("message.timeout.ms", std::to_string(cl.common().timeout_ms));
  if ((*vm)["idempotent"].as<bool>()) conf.set("enable.idempotence", "true");
  if (vm->count("linger-ms")) conf.set("linger.ms", std::to_string((*vm)["linger-ms"].as<int>()));
  rd_kafka_conf_set_dr_msg_cb(conf.conf(), on_delivery);
  rd_kafka_conf_set_opaque(conf.conf(), &state);
  client c(cl.common(), conf.create(RD_KAFKA_PRODUCER));
  auto md = c.metadata();
  const auto& t = find_topic(*md, topic);
  std::optional<int32_t> fixed_partition;
  if (vm->count("partition")) {
    int p = (*vm)["partition"].as<int>();
    if (p < 0 || p >= t.partition_cnt) {
      throw cli_error(exit_code::not_found, fmt::format("topic {} has partitions 0-{}, not {}",
                                                        topic, t.partition_cnt - 1, p));
    }
    fixed_partition = p;
  }
  install_interrupt_handler();

  line_reader reader(in, max_line);
  std::string line;
  size_t line_no = 0;
  uint64_t rejected = 0;
  auto reject = [&](const std::string& why) {
    ++rejected;
    std::fprintf(stderr, "vltava: line %zu not sent: %s\n", line_no, why.c_str());
  };
  for (auto st = reader.next(line); st != line_reader::status::end && !interrupted.load();
       st = reader.next(line)) {
    ++line_no;
    if (st == line_reader::status::too_long) {
      reject(fmt::format("longer than --max-line-bytes {}", max_line));
      continue;
    }
    produce_record rec;
    if (format) {
      auto split = format->split(line);
      if (!split) {
        reject(split.error());
        continue;
      }
      rec = std::move(split.value());
    } else {
      rec.value = std::move(line);
    }
    int32_t partition = fixed_partition.value_or(rec.partition.value_or(RD_KAFKA_PARTITION_UA));
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty() || !rec.headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size() + rec.headers.size());
      for (const auto* list : {&headers, &rec.headers}) {
        for (const auto& [k, v] : *list) {
          rd_kafka_header_add(hdrs, k.data(), k.size(), v.data(), v.size());
        }
      }
    }
    // librdkafka's argument macros cast their text, so the key goes in as plain variables.
    const void* key_data = rec.key ? rec.key->data() : nullptr;
    size_t key_size = rec.key ? rec.key->size() : 0;
    while (true) {
      auto err = rd_kafka_producev(
          c.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(rec.value.data(), rec.value.size()), RD_KAFKA_V_KEY(key_data, key_size),
          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(line_no)),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(c.get(), 100);
        continue;
      }
      if (err) {
        if (hdrs) rd_kafka_headers_destroy(hdrs);  // not taken over on failure
        reject(rd_kafka_err2str(err));
      }
      break;
    }
    rd_kafka_poll(c.get(), 0);
  }
  if (std::ferror(in)) reject(fmt::format("read error: {}", std::strerror(errno)));
  // Every queued record ends with a delivery report: delivered or failed at message.timeout.ms.
  rd_kafka_flush(c.get(), cl.common().timeout_ms + 5'000);
  uint64_t unreported = static_cast<uint64_t>(rd_kafka_outq_len(c.get()));
  uint64_t failed = state.failed + rejected + unreported;
  std::fprintf(stderr, "vltava: %lu records produced to %s, %lu failed\n",
               static_cast<unsigned long>(state.delivered), topic.c_str(),
               static_cast<unsigned long>(failed));
  if (failed) return to_int(exit_code::failed);
  return interrupted.load() ? to_int(exit_code::interrupted) : 0;
}

}  // namespace vltava::cli
