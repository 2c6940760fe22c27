// Mutations a node that is not the active controller asks of the one that is: topics it must
// create itself (the internal topics of its coordinators, Metadata's auto-creation) go to the
// controller as a CreateTopics request over the controller channel, as Kafka's brokers send
// them (AutoTopicCreationManager). Client requests are forwarded whole instead
// (kafka/server/forwarding.h).

#include "cluster/controller_channel.h"
#include "cluster/metadata_store.h"
#include "protocol/generated/create_topics.h"

namespace vltava::cluster {
namespace {

using error_code = protocol::error_code;

// The controller's patience for one CreateTopics: Kafka's default request timeout.
constexpr int32_t remote_timeout_ms = 30'000;

protocol::create_topics_request to_wire(const std::vector<create_topic_request>& reqs,
                                        validate_only v) {
  protocol::create_topics_request out;
  out.timeout_ms = remote_timeout_ms;
  out.validate_only = v == validate_only::yes;
  for (const auto& r : reqs) {
    protocol::create_topics_request::creatable_topic t;
    t.name = r.name;
    t.num_partitions = r.num_partitions;
    t.replication_factor = r.replication_factor;
    for (const auto& [index, replicas] : r.assignments) {
      protocol::create_topics_request::creatable_topic::creatable_replica_assignment a;
      a.partition_index = model::partition_id(index);
      for (model::node_id id : replicas) a.broker_ids.push_back(id());
      t.assignments.push_back(std::move(a));
    }
    for (const auto& [name, value] : r.configs) {
      protocol::create_topics_request::creatable_topic::creatable_topic_config c;
      c.name = name;
      c.value = value;
      t.configs.push_back(std::move(c));
    }
    out.topics.push_back(std::move(t));
  }
  return out;
}

}  // namespace

bool metadata_store::controller_is_elsewhere() const {
  return _channel != nullptr && image()->controller_id != _node;
}

net::awaitable<std::vector<topic_result>> metadata_store::create_topics_remotely(
    std::vector<create_topic_request> reqs, validate_only v) {
  std::vector<topic_result> out(reqs.size());
  auto r = co_await _channel->call<protocol::create_topics_api>(
      to_wire(reqs, v), protocol::create_topics_api::max_version);
  for (size_t i = 0; i < reqs.size(); ++i) {
    topic_result& t = out[i];
    t.topic.name = reqs[i].name;
    if (!r) {
      static_cast<op_result&>(t) =
          op_result::failure(error_code::not_controller, "The controller did not answer.");
      continue;
    }
    const auto& answers = r->body.topics;
    auto it = std::find_if(answers.begin(), answers.end(),
                           [&](const auto& a) { return a.name == reqs[i].name; });
    if (it == answers.end()) {
      static_cast<op_result&>(t) = op_result::failure(error_code::unknown_server_error,
                                                      "The controller did not answer "
                                                      "for this topic.");
      continue;
    }
    t.error = it->error_code;
    t.message = it->error_message;
    t.topic.id = it->topic_id;
    t.topic.partition_count = it->num_partitions;
    t.topic.replication_factor = it->replication_factor;
  }
  co_return out;
}

}  // namespace vltava::cluster
