#!/usr/bin/env bash
# Transactions benchmark (issue 7): builds an optimized vltava (no sanitizers) exactly as
# bench/broker/run.sh does, compiles txnbench, starts `vltava serve` on a free port with a
# temporary data dir and runs txnbench against it: plain acks=all, idempotent, and transactions
# of 100 and 1,000 messages, 1 KiB each, in the same run; prints the ratios.
#   bench/txn/run.sh [txnbench options, e.g. -n 100000 -r 3]
# Environment: BUILD_DIR (default build/release, shared with scripts/serve).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTAVA_SANITIZE=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target vltava
mkdir -p "$build/bench/txn"
cc -O2 -Wall -Wextra -Werror -o "$build/bench/txn/txnbench" bench/txn/txnbench.c -lrdkafka

dir=$(mktemp -d /tmp/vltava-txnbench-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/src/broker/vltava" serve --set "listeners=PLAINTEXT://127.0.0.1:$port" \
  --set "log.dir=$dir/data" >"$dir/broker.log" 2>&1 &
broker=$!
stop() {
  kill -TERM "$broker" 2>/dev/null && wait "$broker" || true
  rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$broker" 2>/dev/null || { cat "$dir/broker.log"; exit 1; }
  sleep 0.1
done
echo "vltava $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+dirty'), " \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench/txn/txnbench" -b "127.0.0.1:$port" "$@"
