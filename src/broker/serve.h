#pragma once

// `vltava serve`: one node of a Vltava cluster, on its embedded defaults unless configured.

namespace vltava::broker {

// Runs the node until SIGTERM or SIGINT; returns the process exit code (0 after a clean stop,
// 2 for a configuration error, 1 when the node cannot start).
int serve(int argc, char** argv);

}  // namespace vltava::broker
