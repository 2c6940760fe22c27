#pragma once

// From a request frame to its handler: reads the header, finds the handler, checks the
// version, and answers what no handler can (ApiVersions' fallback for a version it lacks).

#include <cstddef>
#include <vector>

#include "kafka/server/broker_services.h"
#include "net/asio.h"
#include "net/response.h"
#include "net/server.h"

namespace vltava::kafka {

net::awaitable<net::handler_result> dispatch(broker_services& services,
                                             const net::connection_info& connection,
                                             net::frame_bytes frame);

}  // namespace vltava::kafka
