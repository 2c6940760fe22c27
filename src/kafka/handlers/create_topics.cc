#include "kafka/handlers/create_topics.h"

#include <map>

#include "cluster/metadata_store.h"
#include "kafka/handlers/describe_configs.h"
#include "kafka/handlers/metadata.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using topic_result = protocol::create_topics_response::creatable_topic_result;

cluster::create_topic_request to_store(const protocol::create_topics_request::creatable_topic& t) {
  cluster::create_topic_request req;
  req.name = t.name;
  req.num_partitions = t.num_partitions;
  req.replication_factor = t.replication_factor;
  for (const auto& a : t.assignments) {
    std::vector<model::node_id> ids;
    for (auto id : a.broker_ids) ids.push_back(model::node_id(id));
    req.assignments.emplace_back(a.partition_index(), std::move(ids));
  }
  for (const auto& c : t.configs) req.configs.emplace_back(c.name, c.value);
  return req;
}

}  // namespace

net::awaitable<std::optional<protocol::create_topics_response>> serve_create_topics(
    request_context& ctx, const protocol::create_topics_request& request) {
  const int16_t version = ctx.version();
  protocol::create_topics_response response;
  std::map<std::string, int, std::less<>> count;
  for (const auto& t : request.topics) ++count[t.name];

  std::vector<topic_result> results(request.topics.size());
  std::vector<cluster::create_topic_request> reqs;
  std::vector<size_t> where;
  // Kafka: CREATE on the cluster, or on each topic; DESCRIBE_CONFIGS to see its configs.
  request_authz authz(ctx);
  const bool may_create_any = authz.allowed_on_cluster(acl_operation::create);
  for (size_t i = 0; i < request.topics.size(); ++i) {
    const auto& t = request.topics[i];
    results[i].name = t.name;
    results[i].error_code = error_code::none;
    if (count[t.name] > 1) {
      results[i].error_code = error_code::invalid_request;
      results[i].error_message = "Duplicate topic name.";
      continue;
    }
    if (!may_create_any && !authz.allowed(acl_operation::create, resource_type::topic, t.name)) {
      results[i].error_code = error_code::topic_authorization_failed;
      results[i].error_message = "Authorization failed.";
      continue;
    }
    reqs.push_back(to_store(t));
    where.push_back(i);
  }
  auto validate = version >= 1 && request.validate_only ? cluster::validate_only::yes
                                                        : cluster::validate_only::no;
  std::vector<cluster::topic_result> created;
  bool changed = false;
  if (!reqs.empty()) {
    auto task = ctx.services.metadata.create_topics(std::move(reqs), validate);
    created = co_await std::move(task);
    for (const auto& c : created) changed |= c.ok() && validate == cluster::validate_only::no;
  }
  if (changed) co_await sync_partitions(ctx);
  cluster::image_ptr image = ctx.services.metadata.image();
  for (size_t k = 0; k < created.size(); ++k) {
    topic_result& out = results[where[k]];
    const cluster::topic_result& r = created[k];
    out.error_code = r.error;
    out.error_message = r.message;
    if (!r.ok()) continue;
    // A validated topic gets no id: it does not exist.
    if (validate == cluster::validate_only::no) out.topic_id = r.topic.id;
    out.num_partitions = r.topic.partition_count;
    out.replication_factor = r.topic.replication_factor;
    out.topic_config_error_code = 0;
    if (!authz.allowed(acl_operation::describe_configs, resource_type::topic, r.topic.name)) {
      out.topic_config_error_code = static_cast<int16_t>(error_code::topic_authorization_failed);
      continue;
    }
    std::vector<topic_result::creatable_topic_configs> configs;
    for (const auto& c :
         describe_topic_configs(ctx.services.broker_config, *image, r.topic.config_overrides)) {
      topic_result::creatable_topic_configs tc;
      tc.name = c.name;
      tc.value = c.value;
      tc.read_only = c.read_only;
      tc.config_source = c.source;
      tc.is_sensitive = c.sensitive;
      configs.push_back(std::move(tc));
    }
    out.configs = std::move(configs);
  }
  response.topics = std::move(results);
  co_return response;
}

}  // namespace vltava::kafka
