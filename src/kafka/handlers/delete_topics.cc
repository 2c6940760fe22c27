#include "kafka/handlers/delete_topics.h"

#include <set>

#include "cluster/metadata_store.h"
#include "kafka/handlers/metadata.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using topic_result = protocol::delete_topics_response::deletable_topic_result;

}  // namespace

net::awaitable<std::optional<protocol::delete_topics_response>> serve_delete_topics(
    request_context& ctx, const protocol::delete_topics_request& request) {
  const int16_t version = ctx.version();
  cluster::image_ptr image = ctx.services.metadata.image();
  std::vector<topic_result> results;
  std::vector<std::string> names;
  std::vector<size_t> where;
  std::set<std::string, std::less<>> seen;
  // Kafka: DELETE on each topic (checked before its existence).
  request_authz authz(ctx);
  auto add = [&](const std::string& name, const protocol::uuid& id) {
    topic_result r;
    r.name = name;
    r.topic_id = id;
    r.error_code = error_code::none;
    r.error_message = std::nullopt;
    if (!seen.insert(name).second) {
      r.error_code = error_code::invalid_request;
      r.error_message = "Duplicate topic name.";
    } else if (!authz.allowed(acl_operation::del, resource_type::topic, name)) {
      r.error_code = error_code::topic_authorization_failed;
      r.error_message = "Authorization failed.";
      r.topic_id = protocol::uuid{};
    } else {
      names.push_back(name);
      where.push_back(results.size());
    }
    results.push_back(std::move(r));
  };
  if (version >= 6) {
    for (const auto& t : request.topics) {
      if (t.topic_id != protocol::uuid{}) {
        const cluster::topic_info* info = image->find_topic(t.topic_id);
        if (!info) {
          topic_result r;
          r.name = std::nullopt;
          r.topic_id = t.topic_id;
          r.error_code = error_code::unknown_topic_id;
          r.error_message = "This server does not host this topic ID.";
          results.push_back(std::move(r));
          continue;
        }
        add(info->name, info->id);
      } else if (t.name) {
        const cluster::topic_info* info = image->find_topic(*t.name);
        add(*t.name, info ? info->id : protocol::uuid{});
      } else {
        topic_result r;
        r.name = std::nullopt;
        r.error_code = error_code::invalid_request;
        r.error_message = "Neither topic name nor id were specified.";
        results.push_back(std::move(r));
      }
    }
  } else {
    for (const auto& name : request.topic_names) {
      const cluster::topic_info* info = image->find_topic(name);
      add(name, info ? info->id : protocol::uuid{});
    }
  }
  bool changed = false;
  if (!names.empty()) {
    auto task = ctx.services.metadata.delete_topics(std::move(names));
    auto deleted = co_await std::move(task);
    for (size_t k = 0; k < deleted.size(); ++k) {
      topic_result& r = results[where[k]];
      changed |= deleted[k].ok();
      r.error_code = deleted[k].error;
      r.error_message = deleted[k].message;
      if (!deleted[k].ok()) r.topic_id = protocol::uuid{};
    }
  }
  if (changed) co_await sync_partitions(ctx);
  protocol::delete_topics_response response;
  response.responses = std::move(results);
  co_return response;
}

}  // namespace vltava::kafka
