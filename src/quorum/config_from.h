#pragma once

// The quorum's settings from the node's parsed KRaft configs (config/kraft_config.h), the one
// place the config table's values reach the quorum.

#include <string>

#include "config/kraft_config.h"
#include "quorum/config.h"

namespace vltava::quorum {

// The voters are the configured ones (a standalone node: itself). In bootstrap mode (KIP-853)
// the voter set comes from the log, which is not read yet: the list is empty, and a raft_node
// refuses an empty voter set.
quorum_config quorum_config_from(const config::kraft_config& kraft, std::string cluster_id);

}  // namespace vltava::quorum
