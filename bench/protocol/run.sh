#!/usr/bin/env bash
# Builds the codec benchmark optimized (no sanitizers) and runs it. It shares build/release with
# scripts/serve: one optimized build of the generated codec serves both.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target protocol_bench
build/release/bench/protocol/protocol_bench
