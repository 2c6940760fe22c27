#!/usr/bin/env bash
# Builds the storage benchmark (optimized, no sanitizers) and runs it on a directory of the
# disk to test. Usage: bench/storage/run.sh [dir] [MiB] [partitions]
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench --target storage_bench
dir=${1:-build/bench/storage-data}
build/bench/bench/storage/storage_bench "$dir" "${2:-512}" "${3:-10000}"
rm -rf "$dir"
