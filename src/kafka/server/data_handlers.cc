// The data-path handlers and the versions each really serves (ApiVersions is computed from
// them). Why some versions are left out:
// - Produce 0-2 carry message formats v0/v1, Fetch 0-3 answer in them: Kafka 4 dropped both
//   (KIP-896) and the log holds RecordBatch v2 only, so those versions are not offered.
// - InitProducerId 6 (two-phase commit, KIP-939) waits for the transaction coordinator.
// - DescribeProducers 0 (KIP-664) is served from each partition's producer state.

#include "kafka/handlers/delete_records.h"
#include "kafka/handlers/describe_log_dirs.h"
#include "kafka/handlers/describe_producers.h"
#include "kafka/handlers/fetch.h"
#include "kafka/handlers/init_producer_id.h"
#include "kafka/handlers/list_offsets.h"
#include "kafka/handlers/offset_for_leader_epoch.h"
#include "kafka/handlers/produce.h"
#include "kafka/server/handler.h"

namespace vltava::kafka {

std::span<const handler> data_handlers() {
  static const handler handlers[] = {
      make_handler<protocol::produce_api, &serve_produce>(3, protocol::produce_api::max_version),
      handler{protocol::fetch_api::key, protocol::fetch_api::name, 4,
              protocol::fetch_api::max_version, &handle_fetch},
      make_handler<protocol::list_offsets_api, &serve_list_offsets>(),
      make_handler<protocol::delete_records_api, &serve_delete_records>(),
      make_handler<protocol::offset_for_leader_epoch_api, &serve_offset_for_leader_epoch>(),
      make_handler<protocol::describe_log_dirs_api, &serve_describe_log_dirs>(),
      make_handler<protocol::init_producer_id_api, &serve_init_producer_id>(
          0, init_producer_id_max_version),
      make_handler<protocol::describe_producers_api, &serve_describe_producers>(),
  };
  return handlers;
}

}  // namespace vltava::kafka
