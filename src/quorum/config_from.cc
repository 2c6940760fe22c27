#include "quorum/config_from.h"

namespace vltava::quorum {

quorum_config quorum_config_from(const config::kraft_config& kraft, std::string cluster_id) {
  quorum_config c;
  c.cluster_id = std::move(cluster_id);
  for (const auto& v : kraft.voters) c.voters.push_back(v.id);
  c.election_timeout = kraft.timeouts.election;
  c.fetch_timeout = kraft.timeouts.fetch;
  c.request_timeout = kraft.timeouts.request;
  c.retry_backoff = kraft.timeouts.retry_backoff;
  return c;
}

}  // namespace vltava::quorum
