// `vltava perf produce|consume`: load generators in the manner of Kafka's
// kafka-producer-perf-test and kafka-consumer-perf-test, with a progress line every second.

#include "cli/perf.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include "cli/commands.h"

namespace vltava::cli {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr uint64_t latency_sample_every = 8;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}

struct perf_state {
  latency_histogram total;
  latency_histogram window;
  uint64_t records = 0;  // delivered (produce) or received (consume)
  uint64_t bytes = 0;
  uint64_t failed = 0;
  uint64_t window_records = 0;
  uint64_t window_bytes = 0;
  int64_t last_done_ns = 0;
  std::string first_error;
};

// Prints a progress line once a second has passed since the last one.
class progress {
 public:
  progress(perf_state& s, bool quiet) : _s(s), _quiet(quiet), _start(now_ns()), _last(_start) {}
  void maybe_print(int64_t now) {
    if (now - _last < 1'000'000'000) return;
    if (!_quiet) {
      std::fprintf(stderr, "%s\n",
                   progress_line((now - _start) / 1e9, _s.window_records, _s.window_bytes,
                                 (now - _last) / 1e9, _s.window)
                       .c_str());
    }
    _s.window.reset();
    _s.window_records = 0;
    _s.window_bytes = 0;
    _last = now;
  }
  int64_t start() const { return _start; }

 private:
  perf_state& _s;
  bool _quiet;
  int64_t _start;
  int64_t _last;
};

void on_perf_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* s = static_cast<perf_state*>(opaque);
  int64_t now = now_ns();
  if (m->err) {
    if (s->failed++ == 0) s->first_error = rd_kafka_err2str(m->err);
    return;
  }
  if (auto sent = reinterpret_cast<int64_t>(m->_private); sent != 0) {
    uint64_t us = static_cast<uint64_t>(std::max<int64_t>(0, now - sent) / 1000);
    s->total.record(us);
    s->window.record(us);
  }
  ++s->records;
  ++s->window_records;
  s->bytes += m->len;
  s->window_bytes += m->len;
  s->last_done_ns = now;
}

void print_summary(const perf_totals& t, bool json) {
  std::string text = json ? summary_json(t) : summary_text(t);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int perf_produce(const args_t& args) {
  command_line cl({"perf produce", "TOPIC [options]",
                   "Send records as fast as allowed and measure throughput and latency (send "
                   "to acknowledgement). Prints a progress line every second on stderr and a "
                   "summary (avg/p50/p95/p99/p99.9/max) on stdout.",
                   "vltava perf produce bench -n 1000000 -s 100 --acks 1 --json"});
  cl.options().add_options()                                                             //
      ("records,n", po::value<uint64_t>()->default_value(1'000'000), "records to send")  //
      ("record-size,s", po::value<size_t>()->default_value(100), "value bytes per record")(
          "rate", po::value<uint64_t>()->default_value(0), "records per second (0: no limit)")(
          "acks", po::value<std::string>()->default_value("all"), "0, 1 or all")(
          "compression,z", po::value<std::string>()->default_value("none"),
          "none, gzip, snappy, lz4 or zstd")("linger-ms", po::value<int>()->default_value(5),
                                             "linger.ms")(
          "batch-size", po::value<int>()->default_value(1'000'000), "batch.size in bytes")(
          "json", po::bool_switch(), "print the summary as JSON")(
          "quiet,q", po::bool_switch(), "no progress lines")("topic", po::value<std::string>(),
                                                             "topic");
  cl.positional("topic", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  if (!vm->count("topic")) cl.usage_error("name the topic");
  std::string topic = (*vm)["topic"].as<std::string>();
  uint64_t n = (*vm)["records"].as<uint64_t>();
  size_t size = (*vm)["record-size"].as<size_t>();
  uint64_t rate = (*vm)["rate"].as<uint64_t>();
  if (size > (64u << 20)) cl.usage_error("--record-size is limited to 64 MiB");
  auto state = std::make_unique<perf_state>();
  config_builder conf(cl.common());
  conf.set("acks", (*vm)["acks"].as<std::string>());
  conf.set("compression.codec", (*vm)["compression"].as<std::string>());
  conf.set("linger.ms", std::to_string((*vm)["linger-ms"].as<int>()));
  conf.set("batch.size", std::to_string((*vm)["batch-size"].as<int>()));
  conf.set("queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf.conf(), on_perf_delivery);
  rd_kafka_conf_set_opaque(conf.conf(), state.get());
  client c(cl.common(), conf.create(RD_KAFKA_PRODUCER));
  auto md = c.metadata();
  find_topic(*md, topic);
  install_interrupt_handler();

  // Random letters, as Kafka's perf tool sends, so compression has realistic work.
  std::string payload(size, 'x');
  std::mt19937 rng(42);
  for (auto& ch : payload) ch = static_cast<char>('A' + rng() % 26);

  progress prog(*state, (*vm)["quiet"].as<bool>());
  int64_t start = prog.start();
  uint64_t sent = 0;
  int64_t now = start;
  while (sent < n && !interrupted.load()) {
    // Reading the clock for every record costs ~7% at 2M records/s, so one record in
    // latency_sample_every carries its send time (Kafka's perf tool samples too); the rest
    // carry 0 and only count.
    bool sample = sent % latency_sample_every == 0;
    if (sample || rate) now = now_ns();
    if (rate) {
      int64_t due = start + static_cast<int64_t>(static_cast<double>(sent) * 1e9 / rate);
      if (now < due) {
        rd_kafka_poll(c.get(), static_cast<int>(std::min<int64_t>((due - now) / 1'000'000, 100)));
        prog.maybe_print(now_ns());
        if (now_ns() < due) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now_ns()));
        now = now_ns();
      }
    }
    // The payload is not copied: it outlives every message (flush below) and is never freed by
    // librdkafka (no F_FREE).
    auto err = rd_kafka_producev(
        c.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_VALUE(payload.data(), payload.size()),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(sample ? now : 0)), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(c.get(), 1);
      prog.maybe_print(now_ns());
      continue;
    }
    if (err) throw_kafka_error(err, "produce", {}, cl.common().brokers);
    ++sent;
    if ((sent & 1023) == 0) {
      rd_kafka_poll(c.get(), 0);
      prog.maybe_print(now_ns());
    }
  }
  int64_t flush_deadline = now_ns() + int64_t{cl.common().timeout_ms} * 1'000'000 * 3;
  while (rd_kafka_outq_len(c.get()) > 0 && now_ns() < flush_deadline) {
    rd_kafka_poll(c.get(), 100);
    prog.maybe_print(now_ns());
  }
  uint64_t lost = sent - state->records - state->failed;
  perf_totals totals;
  totals.mode = "produce";
  totals.records = state->records;
  totals.bytes = state->bytes;
  totals.failed = state->failed + lost;
  totals.seconds = std::max<int64_t>(state->last_done_ns - start, 1) / 1e9;
  totals.latency_us = &state->total;
  print_summary(totals, (*vm)["json"].as<bool>());
  if (totals.failed) {
    std::fprintf(stderr, "vltava: %lu records failed (first error: %s)\n",
                 static_cast<unsigned long>(totals.failed),
                 state->first_error.empty() ? "not delivered in time" : state->first_error.c_str());
    return to_int(exit_code::failed);
  }
  return interrupted.load() ? to_int(exit_code::interrupted) : 0;
}

int perf_consume(const args_t& args) {
  command_line cl({"perf consume", "TOPIC [options]",
                   "Read records as fast as possible from the start of every partition and "
                   "measure throughput, and the age of each record on arrival (now minus its "
                   "timestamp: the end-to-end latency while a producer runs).",
                   "vltava perf consume bench -n 1000000 --json"});
  cl.options().add_options()                                                              //
      ("records,n", po::value<uint64_t>(), "stop after this many (default: at the end)")  //
      ("group,g", po::value<std::string>(), "consume in this group (default: no group)")(
          "json", po::bool_switch(), "print the summary as JSON")(
          "quiet,q", po::bool_switch(), "no progress lines")("topic", po::value<std::string>(),
                                                             "topic");
  cl.positional("topic", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  if (!vm->count("topic")) cl.usage_error("name the topic");
  std::string topic = (*vm)["topic"].as<std::string>();
  std::optional<uint64_t> limit;
  if (vm->count("records")) limit = (*vm)["records"].as<uint64_t>();
  bool grouped = vm->count("group") > 0;
  config_builder conf(cl.common());
  conf.set("enable.partition.eof", limit ? "false" : "true");
  conf.set("auto.offset.reset", "earliest");
  if (grouped) {
    conf.set("group.id", (*vm)["group"].as<std::string>());
  } else {
    conf.set("group.id", "vltava-cli-perf");  // assign() needs one; nothing is committed
    conf.set("enable.auto.commit", "false");
    conf.set("enable.auto.offset.store", "false");
  }
  client c(cl.common(), conf.create(RD_KAFKA_CONSUMER));
  auto md = c.metadata();
  const auto& t = find_topic(*md, topic);
  rd_kafka_poll_set_consumer(c.get());
  partition_list_ptr list(rd_kafka_topic_partition_list_new(t.partition_cnt));
  for (int i = 0; i < t.partition_cnt; ++i) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), t.partitions[i].id)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (grouped) {
    if (auto err = rd_kafka_subscribe(c.get(), list.get())) throw_kafka_error(err, "subscribe");
  } else if (auto err = rd_kafka_assign(c.get(), list.get())) {
    throw_kafka_error(err, "assign");
  }
  install_interrupt_handler();
  auto state = std::make_unique<perf_state>();
  progress prog(*state, (*vm)["quiet"].as<bool>());
  int64_t first_ns = 0;
  int at_end = 0;
  // Without records arriving for --timeout-ms, the run ends (a stalled broker must not hang it).
  int64_t idle_since = now_ns();
  while (!interrupted.load() && (!limit || state->records < *limit)) {
    message_ptr m(rd_kafka_consumer_poll(c.get(), 100));
    int64_t now = now_ns();
    prog.maybe_print(now);
    if (!m) {
      if (now - idle_since > int64_t{cl.common().timeout_ms} * 1'000'000) {
        std::fprintf(stderr, "vltava: no records for %d ms; stopping\n", cl.common().timeout_ms);
        break;
      }
      continue;
    }
    idle_since = now;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (++at_end >= t.partition_cnt) break;
      continue;
    }
    if (m->err) {
      if (exit_code_for(m->err) == exit_code::not_found) throw_kafka_error(m->err, "consume");
      ++state->failed;
      continue;
    }
    if (first_ns == 0) first_ns = now;
    rd_kafka_timestamp_type_t type;
    int64_t ts = rd_kafka_message_timestamp(m.get(), &type);
    if (ts >= 0) {
      int64_t wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
      uint64_t us = static_cast<uint64_t>(std::max<int64_t>(0, wall_ms - ts)) * 1000;
      state->total.record(us);
      state->window.record(us);
    }
    ++state->records;
    ++state->window_records;
    state->bytes += m->len;
    state->window_bytes += m->len;
    state->last_done_ns = now;
  }
  if (grouped) rd_kafka_consumer_close(c.get());
  perf_totals totals;
  totals.mode = "consume";
  totals.records = state->records;
  totals.bytes = state->bytes;
  totals.failed = state->failed;
  totals.seconds = first_ns ? std::max<int64_t>(state->last_done_ns - first_ns, 1) / 1e9 : 0;
  totals.latency_us = &state->total;
  totals.latency_name = "record_age";
  print_summary(totals, (*vm)["json"].as<bool>());
  return interrupted.load() ? to_int(exit_code::interrupted) : 0;
}

}  // namespace vltava::cli
