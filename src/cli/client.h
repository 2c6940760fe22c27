#pragma once
// librdkafka handles for the CLI: configuration from the common options, a reachability check
// that fails fast with a useful message, admin calls, and Kafka errors turned into cli_errors.

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/args.h"

namespace vltava::cli {

struct rd_kafka_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using event_ptr = std::unique_ptr<rd_kafka_event_t, rd_kafka_deleter>;
using partition_list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, rd_kafka_deleter>;
using metadata_ptr = std::unique_ptr<const rd_kafka_metadata_t, rd_kafka_deleter>;
using message_ptr = std::unique_ptr<rd_kafka_message_t, rd_kafka_deleter>;

// Set by SIGINT/SIGTERM once install_interrupt_handler() ran; long loops check it.
extern std::atomic<bool> interrupted;
void install_interrupt_handler();

// Builds librdkafka configuration: bootstrap servers, quiet logging unless -v, then the -X
// properties (last, so a user can override anything). A bad property is a usage error.
class config_builder {
 public:
  explicit config_builder(const common_options& common);
  ~config_builder();
  config_builder(const config_builder&) = delete;
  config_builder& operator=(const config_builder&) = delete;

  config_builder& set(std::string_view key, std::string_view value);
  rd_kafka_conf_t* conf() { return _conf; }
  // Gives the configuration to rd_kafka_new (with the -X properties applied last).
  rd_kafka_t* create(rd_kafka_type_t type);

 private:
  const common_options& _common;
  rd_kafka_conf_t* _conf;
};

// One librdkafka handle plus what the CLI needs around it.
class client {
 public:
  // A producer-type handle for admin calls, metadata and watermarks.
  explicit client(const common_options& common);
  client(const common_options& common, rd_kafka_t* rk) : _common(common), _rk(rk) {}
  rd_kafka_t* get() const { return _rk.get(); }
  const common_options& common() const { return _common; }

  // Waits until a broker answers a metadata request; fails with exit code 3 and a hint when
  // none does within --timeout-ms, or as soon as librdkafka reports all brokers down.
  metadata_ptr metadata(const char* topic_or_null = nullptr, bool all_topics = true);

  // Runs an admin call that posts its result to `queue`, waits for the result event, and
  // throws on a request-level error.
  event_ptr admin(const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& call,
                  std::string_view what);

  // Low/high watermark of one partition.
  std::pair<int64_t, int64_t> watermarks(const std::string& topic, int32_t partition);

 private:
  const common_options& _common;
  std::unique_ptr<rd_kafka_t, rd_kafka_deleter> _rk;
};

// The exception for a Kafka error code, with a hint of what to do; `what` names the operation
// ("create topic 'orders'").
[[noreturn]] void throw_kafka_error(rd_kafka_resp_err_t err, std::string_view what,
                                    std::string_view detail = {}, std::string_view brokers = {});
exit_code exit_code_for(rd_kafka_resp_err_t err);
std::string hint_for(rd_kafka_resp_err_t err, std::string_view brokers);

// Finds a topic in metadata; throws not_found with a hint when absent.
const rd_kafka_metadata_topic_t& find_topic(const rd_kafka_metadata_t& md, const std::string& name);

}  // namespace vltava::cli
