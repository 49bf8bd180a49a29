#!/bin/bash
# bench/rtp/run.sh - the issue 3 concurrency steps for the media relay
# alone: relay_bench at N = 250, 500, 1000, 2000 calls (G.711, 20 ms,
# both ways), one JSON line per step in bench/results/rtp-relay-*.jsonl.
#
#   bench/rtp/run.sh [BUILD_DIR]        default: ./build beside the sources
#
# Environment: CALLS ("250 500 1000 2000"), DURATION (s, 10), WARMUP
# (s, 2), THREADS (media threads, 0 = one per core), XCODE=1 for PCMU to
# PCMA bridges. It builds relay_bench first (make -C bench/rtp).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
CALLS=${CALLS:-250 500 1000 2000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-0}
XCODE=${XCODE:-0}

make -s -C "$HERE" BUILD="$BUILD"
BENCH="$BUILD/bench/rtp/relay_bench"
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/rtp-relay-$(date +%Y%m%d-%H%M%S).jsonl"

args=(-d "$DURATION" -w "$WARMUP" -t "$THREADS")
[ "$XCODE" = 1 ] && args+=(-x)
for n in $CALLS; do
	echo "== $n calls" >&2
	"$BENCH" -n "$n" "${args[@]}" | tee -a "$OUT"
done
echo "results: $OUT" >&2
