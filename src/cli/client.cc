#include "cli/client.h"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

namespace vltava::cli {

std::atomic<bool> interrupted{false};

namespace {

extern "C" void on_signal(int) {
  interrupted.store(true);
}

// Set by librdkafka's error callback (served by rd_kafka_poll) when every broker is down.
std::atomic<bool> all_brokers_down{false};

void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto err_code = static_cast<rd_kafka_resp_err_t>(err);
  if (err_code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err_code == RD_KAFKA_RESP_ERR__RESOLVE) {
    all_brokers_down.store(true);
  }
  if (opaque != nullptr) std::fprintf(stderr, "vltava: %s\n", reason);
}

void quiet_log_cb(const rd_kafka_t*, int, const char*, const char*) {}

}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

config_builder::config_builder(const common_options& common)
    : _common(common), _conf(rd_kafka_conf_new()) {
  set("bootstrap.servers", common.brokers);
  set("client.id", "vltava-cli");
  rd_kafka_conf_set_error_cb(_conf, error_cb);
  if (common.verbose) {
    rd_kafka_conf_set_opaque(_conf, this);  // non-null: error_cb prints
  } else {
    rd_kafka_conf_set_log_cb(_conf, quiet_log_cb);
  }
}

config_builder::~config_builder() {
  if (_conf != nullptr) rd_kafka_conf_destroy(_conf);
}

config_builder& config_builder::set(std::string_view key, std::string_view value) {
  char errstr[512];
  std::string k(key), v(value);
  if (rd_kafka_conf_set(_conf, k.c_str(), v.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    throw cli_error(exit_code::usage, fmt::format("bad client setting {}={}: {}", k, v, errstr));
  }
  return *this;
}

rd_kafka_t* config_builder::create(rd_kafka_type_t type) {
  for (const auto& [k, v] : _common.properties) set(k, v);
  // The opaque was only a flag for error_cb; it must not outlive this builder.
  if (_common.verbose) rd_kafka_conf_set_opaque(_conf, reinterpret_cast<void*>(1));
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, _conf, errstr, sizeof(errstr));
  if (rk == nullptr) throw cli_error(exit_code::usage, fmt::format("librdkafka: {}", errstr));
  _conf = nullptr;  // owned by rk now
  return rk;
}

client::client(const common_options& common)
    : _common(common), _rk(config_builder(common).create(RD_KAFKA_PRODUCER)) {}

metadata_ptr client::metadata(const char* topic_or_null, bool all_topics) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::milliseconds(_common.timeout_ms);
  rd_kafka_topic_t* rkt =
      topic_or_null ? rd_kafka_topic_new(_rk.get(), topic_or_null, nullptr) : nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  while (true) {
    const rd_kafka_metadata_t* md = nullptr;
    err = rd_kafka_metadata(_rk.get(), all_topics ? 1 : 0, rkt, &md, 500);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (rkt) rd_kafka_topic_destroy(rkt);
      return metadata_ptr(md);
    }
    rd_kafka_poll(_rk.get(), 0);  // serves error_cb
    if (all_brokers_down.load() || clock::now() >= deadline || interrupted.load()) break;
    if (err != RD_KAFKA_RESP_ERR__TIMED_OUT && err != RD_KAFKA_RESP_ERR__TRANSPORT) break;
  }
  if (rkt) rd_kafka_topic_destroy(rkt);
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || all_brokers_down.load()) {
    err = RD_KAFKA_RESP_ERR__TRANSPORT;
  }
  throw_kafka_error(err, "read cluster metadata", {}, _common.brokers);
}

event_ptr client::admin(
    const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& call,
    std::string_view what) {
  std::unique_ptr<rd_kafka_queue_t, rd_kafka_deleter> queue(rd_kafka_queue_new(_rk.get()));
  std::unique_ptr<rd_kafka_AdminOptions_t, rd_kafka_deleter> options(
      rd_kafka_AdminOptions_new(_rk.get(), RD_KAFKA_ADMIN_OP_ANY));
  char errstr[512];
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), _common.timeout_ms, errstr,
                                                sizeof(errstr)) ||
      rd_kafka_AdminOptions_set_operation_timeout(options.get(), _common.timeout_ms, errstr,
                                                  sizeof(errstr))) {
    throw cli_error(exit_code::usage, errstr);
  }
  call(options.get(), queue.get());
  // librdkafka enforces the request timeout itself; the extra wait only guards against a lost
  // result so the CLI can never hang.
  event_ptr ev(rd_kafka_queue_poll(queue.get(), _common.timeout_ms + 5'000));
  if (!ev) throw_kafka_error(RD_KAFKA_RESP_ERR__TIMED_OUT, what, {}, _common.brokers);
  if (auto err = rd_kafka_event_error(ev.get())) {
    throw_kafka_error(err, what, rd_kafka_event_error_string(ev.get()), _common.brokers);
  }
  return ev;
}

std::pair<int64_t, int64_t> client::watermarks(const std::string& topic, int32_t partition) {
  int64_t low = 0, high = 0;
  auto err = rd_kafka_query_watermark_offsets(_rk.get(), topic.c_str(), partition, &low, &high,
                                              _common.timeout_ms);
  if (err) {
    throw_kafka_error(err, fmt::format("read the offsets of {}/{}", topic, partition), {},
                      _common.brokers);
  }
  return {low, high};
}

exit_code exit_code_for(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      return exit_code::unreachable;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return exit_code::not_found;
    default:
      return exit_code::failed;
  }
}

std::string hint_for(rd_kafka_resp_err_t err, std::string_view brokers) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
      return fmt::format(
          "cannot reach broker {} — is `vltava serve` running? (set the address with -b or "
          "VLTAVA_BROKERS)",
          brokers);
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      return fmt::format(
          "no answer from broker {} within --timeout-ms — is `vltava serve` running and "
          "healthy?",
          brokers);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return "no such topic — `vltava topic list` shows the topics, `vltava topic create` "
             "makes one";
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return "no such partition — `vltava topic describe` shows the partitions";
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return "the topic already exists — `vltava topic describe` shows it";
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return "no such group — `vltava group list` shows the groups";
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
      return "the group has active members — stop its consumers first";
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
      return "the broker does not support this request";
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
      return "bad partition count";
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
      return "bad replication factor (it cannot exceed the number of brokers: `vltava cluster "
             "info`)";
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
      return "a config name or value was refused";
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
      return "the group coordinator is not available yet — retry in a moment";
    default:
      return {};
  }
}

void throw_kafka_error(rd_kafka_resp_err_t err, std::string_view what, std::string_view detail,
                       std::string_view brokers) {
  std::string message = fmt::format("cannot {}: {}", what, rd_kafka_err2str(err));
  if (!detail.empty() && detail != rd_kafka_err2str(err)) message += fmt::format(" ({})", detail);
  if (auto hint = hint_for(err, brokers); !hint.empty()) {
    fmt::format_to(std::back_inserter(message), "\n{}", hint);
  }
  throw cli_error(exit_code_for(err), message);
}

const rd_kafka_metadata_topic_t& find_topic(const rd_kafka_metadata_t& md,
                                            const std::string& name) {
  for (int i = 0; i < md.topic_cnt; ++i) {
    const auto& t = md.topics[i];
    if (name == t.topic) {
      if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR) return t;
      throw_kafka_error(t.err, fmt::format("use topic '{}'", name));
    }
  }
  throw_kafka_error(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, fmt::format("use topic '{}'", name));
}

}  // namespace vltava::cli
