#pragma once

// `vltava storage random-uuid | format`: Kafka's kafka-storage.sh for Vltava. The nodes of a
// cluster share one cluster id, written into each data directory's meta.properties before the
// first start; a single node needs none of this (it makes up its own id).

namespace vltava::broker {

int storage_command(int argc, char** argv);

}  // namespace vltava::broker
