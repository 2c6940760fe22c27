#!/usr/bin/env bash
# Broker benchmark (issue 4): builds an optimized vltava (no sanitizers), the kbench load tool
# and the mock-cluster peer, then runs bench.py: iperf3 loopback, then vltava and librdkafka's
# mock cluster back to back on every case. Prints the table for bench/README.md.
#   bench/broker/run.sh [--scale 0.25]   (--scale: fraction of the message counts)
# Environment: BUILD_DIR (default build/release, shared with scripts/serve),
# RESULTS (default $BUILD_DIR/broker.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTAVA_SANITIZE=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target vltava
mkdir -p "$build/bench/broker"
cc -O2 -Wall -Wextra -Werror -o "$build/bench/broker/kbench" bench/broker/kbench.c -lrdkafka
cc -O2 -Wall -Wextra -Werror -o "$build/bench/broker/mock_broker" bench/broker/mock_broker.c \
  -lrdkafka
cc -O2 -Wall -Wextra -Werror -o "$build/bench/broker/fetchbench" bench/broker/fetchbench.c -lpthread
exec python3 bench/broker/bench.py --vltava "$build/src/broker/vltava" \
  --kbench "$build/bench/broker/kbench" --mock "$build/bench/broker/mock_broker" \
  --fetchbench "$build/bench/broker/fetchbench" \
  --out "${RESULTS:-$build/broker.json}" "$@"
