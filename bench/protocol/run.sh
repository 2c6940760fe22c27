#!/usr/bin/env bash
# Builds the codec benchmark optimized (no sanitizers) and runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench -j "$(nproc)" --target protocol_bench
build/bench/bench/protocol/protocol_bench
