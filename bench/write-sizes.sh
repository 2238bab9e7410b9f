#!/usr/bin/env bash
# The responder's socket writes during `npm run bench -- --quick --only 1` (scenario 1, all four
# sides), counted with strace: how many, and their bytes on average. Environment variables pass
# through to the responder process (e.g. BF_WINDOW=16, its block-fetch window in blocks).
# Usage: bench/write-sizes.sh   (needs strace; writes bench/results.quick.json like the bench does)
set -euo pipefail
cd "$(dirname "$0")/.."
trace=$(mktemp)
node_modules/.bin/node --conditions=@pallas-network2/source bench/run.ts --quick --only 1 > /dev/null 2>&1 &
bench=$!
pid=""
for _ in $(seq 1 200); do pid=$(pgrep -f "responder-process.ts mux" | head -1 || true); [ -n "$pid" ] && break; sleep 0.1; done
[ -n "$pid" ] || { echo "the responder process did not start"; exit 1; }
strace -f -e trace=write,writev -o "$trace" -p "$pid" 2> /dev/null || true
wait "$bench"
# every write but those to stdout (the port, the cpu answers); the byte count is each call's result
grep -v "write(1," "$trace" | grep -E "writev?\(" | awk -F'= ' '{ n++; b += $NF } END { printf "%d writes, %.0f bytes, %.1f kB a write\n", n, b, b / n / 1000 }'
rm -f "$trace"
