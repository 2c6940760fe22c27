#!/usr/bin/env bash
# Cluster benchmark (issue 15): builds an optimized vltava (no sanitizers) exactly as
# bench/broker/run.sh does, then runs cluster_bench.py against real processes on 127.0.0.2..
# (needs root for those addresses, as the cluster tests do). Run on a quiet machine.
#   bench/cluster/run.sh [--creates N] [--kills N] [--partitions N]
# Environment: BUILD_DIR (default build/release, shared with scripts/serve).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTAVA_SANITIZE=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target vltava
echo "vltava $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+dirty'), " \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/python3 bench/cluster/cluster_bench.py --binary "$build/src/broker/vltava" "$@"
