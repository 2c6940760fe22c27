#pragma once

// The transaction APIs a client sends to its transaction coordinator (coord/txn_coordinator.h)
// and TxnOffsetCommit, which goes to the group coordinator:
//   AddPartitionsToTxn (24) v0-5   v0-3 from clients; v4-5 from brokers, batching
//                                  transactions, verify_only for KIP-890 verification of a
//                                  partition led by another broker than the coordinator
//   WriteTxnMarkers (27) v0-1      from another broker's coordinator (write_txn_markers.h)
//   AddOffsetsToTxn (25) v0-4
//   EndTxn (26) v0-4               v5 belongs to transaction version 2 (a new epoch per
//                                  transaction), which this broker does not finalize
//   TxnOffsetCommit (28) v0-5
//   DescribeTransactions (65) v0
//   ListTransactions (66) v0-1     v2 filters by a Java regular expression; std::regex is
//                                  neither the same dialect nor safe on client input
// PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH to v0-1 of the first three, as Kafka.

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/add_offsets_to_txn.h"
#include "protocol/generated/add_partitions_to_txn.h"
#include "protocol/generated/describe_transactions.h"
#include "protocol/generated/end_txn.h"
#include "protocol/generated/list_transactions.h"
#include "protocol/generated/txn_offset_commit.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::add_partitions_to_txn_response>> serve_add_partitions_to_txn(
    request_context& ctx, const protocol::add_partitions_to_txn_request& request);
net::awaitable<std::optional<protocol::add_offsets_to_txn_response>> serve_add_offsets_to_txn(
    request_context& ctx, const protocol::add_offsets_to_txn_request& request);
net::awaitable<std::optional<protocol::end_txn_response>> serve_end_txn(
    request_context& ctx, const protocol::end_txn_request& request);
net::awaitable<std::optional<protocol::txn_offset_commit_response>> serve_txn_offset_commit(
    request_context& ctx, const protocol::txn_offset_commit_request& request);
net::awaitable<std::optional<protocol::describe_transactions_response>> serve_describe_transactions(
    request_context& ctx, const protocol::describe_transactions_request& request);
net::awaitable<std::optional<protocol::list_transactions_response>> serve_list_transactions(
    request_context& ctx, const protocol::list_transactions_request& request);

}  // namespace vltava::kafka
