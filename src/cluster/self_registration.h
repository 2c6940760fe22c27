#pragma once

// Test support: a node registers with the controller it runs itself and is unfenced, as the
// broker lifecycle (broker_lifecycle.h) does at start-up, without the network and heartbeat
// timers, so a test's image lists the node as a live broker.

#include <future>
#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_records.h"
#include "cluster/metadata_store.h"
#include "net/asio.h"
#include "net/shard_pool.h"

namespace vltava::cluster::testing {

inline net::awaitable<op_result> register_and_unfence_here(metadata_store& store,
                                                           broker_registration_request req) {
  const model::node_id id = req.id;
  auto reg = co_await store.register_broker(std::move(req));
  if (!reg.ok()) co_return reg;
  broker_heartbeat_request hb;
  hb.id = id;
  hb.broker_epoch = reg.broker_epoch;
  hb.metadata_offset = store.image()->offset;
  auto beat = co_await store.broker_heartbeat(hb);
  if (!beat.ok()) co_return beat;
  if (beat.fenced)
    co_return op_result::failure(protocol::error_code::unknown_server_error, "fenced");
  co_return op_result{};
}

// Blocking; not from a shard thread.
inline op_result register_and_unfence(metadata_store& store, net::shard_pool& shards,
                                      model::node_id id, std::vector<broker_endpoint> endpoints,
                                      std::optional<std::string> rack = std::nullopt) {
  broker_registration_request req;
  req.id = id;
  req.cluster_id = store.image()->cluster_id;
  req.incarnation_id = random_uuid();
  req.endpoints = std::move(endpoints);
  req.rack = std::move(rack);
  return asio::co_spawn(shards.shard(0), register_and_unfence_here(store, std::move(req)),
                        asio::use_future)
      .get();
}

}  // namespace vltava::cluster::testing
