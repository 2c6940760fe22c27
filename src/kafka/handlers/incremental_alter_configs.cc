#include "kafka/handlers/incremental_alter_configs.h"

#include "kafka/handlers/alter_configs.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::incremental_alter_configs_response>>
serve_incremental_alter_configs(request_context& ctx,
                                const protocol::incremental_alter_configs_request& request) {
  // An unknown operation code is refused by the store (INVALID_REQUEST).
  auto operation = [](const auto& c) {
    return static_cast<cluster::config_op>(c.config_operation);
  };
  auto results = co_await alter_resources(ctx, alterations_of(request.resources, operation),
                                          cluster::alter_mode::incremental,
                                          validate_of(request.validate_only));
  co_return response_of<protocol::incremental_alter_configs_response>(request.resources,
                                                                      std::move(results));
}

}  // namespace vltava::kafka
