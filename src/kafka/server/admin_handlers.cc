// The metadata and admin handlers, with the versions each really serves (ApiVersions is
// computed from this list).

#include <array>

#include "kafka/handlers/acl_apis.h"
#include "kafka/handlers/alter_configs.h"
#include "kafka/handlers/client_quota_apis.h"
#include "kafka/handlers/create_partitions.h"
#include "kafka/handlers/create_topics.h"
#include "kafka/handlers/delete_topics.h"
#include "kafka/handlers/describe_cluster.h"
#include "kafka/handlers/describe_configs.h"
#include "kafka/handlers/describe_topic_partitions.h"
#include "kafka/handlers/elect_leaders.h"
#include "kafka/handlers/incremental_alter_configs.h"
#include "kafka/handlers/metadata.h"
#include "kafka/handlers/scram_apis.h"
#include "kafka/server/handler.h"

namespace vltava::kafka {

std::span<const handler> admin_handlers() {
  // Every version the codec parses: each handler implements the behaviour of all of them.
  static const std::array<handler, 17> handlers = {
      make_handler<protocol::metadata_api, &serve_metadata>(),
      make_handler<protocol::create_topics_api, &serve_create_topics>(),
      make_handler<protocol::delete_topics_api, &serve_delete_topics>(),
      make_handler<protocol::describe_configs_api, &serve_describe_configs>(),
      make_handler<protocol::alter_configs_api, &serve_alter_configs>(),
      make_handler<protocol::create_partitions_api, &serve_create_partitions>(),
      make_handler<protocol::incremental_alter_configs_api, &serve_incremental_alter_configs>(),
      make_handler<protocol::describe_cluster_api, &serve_describe_cluster>(),
      make_handler<protocol::describe_topic_partitions_api, &serve_describe_topic_partitions>(),
      // v0 was removed by Kafka 4.0 (KIP-896); v1 brought PREFIXED patterns.
      make_handler<protocol::describe_acls_api, &serve_describe_acls>(1, 3),
      make_handler<protocol::create_acls_api, &serve_create_acls>(1, 3),
      make_handler<protocol::delete_acls_api, &serve_delete_acls>(1, 3),
      make_handler<protocol::describe_user_scram_credentials_api,
                   &serve_describe_user_scram_credentials>(),
      make_handler<protocol::alter_user_scram_credentials_api,
                   &serve_alter_user_scram_credentials>(),
      make_handler<protocol::elect_leaders_api, &serve_elect_leaders>(),
      make_handler<protocol::describe_client_quotas_api, &serve_describe_client_quotas>(),
      make_handler<protocol::alter_client_quotas_api, &serve_alter_client_quotas>(),
  };
  return handlers;
}

}  // namespace vltava::kafka
