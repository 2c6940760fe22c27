#!/usr/bin/env bash
# Builds the storage benchmark (optimized, no sanitizers) and runs it on a directory of the
# disk to test. Usage: bench/storage/run.sh [dir] [MiB] [partitions]
# It shares build/release with scripts/serve and the other benchmarks.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target storage_bench
dir=${1:-build/release/storage-data}
build/release/bench/storage/storage_bench "$dir" "${2:-512}" "${3:-10000}"
rm -rf "$dir"
