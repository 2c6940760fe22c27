#!/usr/bin/env bash
# Consumer-group benchmark (issue 6): builds an optimized vltava (build/release, shared with
# scripts/serve) and runs groups_bench.py against it: 10 members joining a 100-partition topic
# (with Kafka's default initial rebalance delay and with none), then one synchronous committer.
#   bench/groups/run.sh [--members 10] [--partitions 100] [--commit-seconds 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target vltava
exec /usr/bin/python3 bench/groups/groups_bench.py --vltava build/release/src/broker/vltava "$@"
