#!/usr/bin/env bash
# Instructions the JS thread executes per reportSessionError call (entry.cjs fast path, N-API,
# classify, build, queue): callgrind's main-thread total for N2 calls minus that for N1 calls,
# divided by N2 − N1, so start-up, warm-up and JIT compilation are not counted. Needs valgrind.
# A deterministic figure for before/after comparisons on a loaded machine; it varies by about
# ±1,500 instructions between runs (V8's garbage collector). NAPI_RS_NATIVE_LIBRARY_PATH
# selects another .node file (the name must end in .node).
#   bash bench/call/instructions.sh [N1] [N2]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n1="${1:-2000}"
n2="${2:-12000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
total() {
  rm -f "$out"/cg.*
  valgrind --tool=callgrind --separate-threads=yes --smc-check=all-non-file \
    --callgrind-out-file="$out/cg" node --single-threaded "$here/loop.mjs" "$1" >/dev/null 2>"$out/log"
  # Thread 1 is the JS thread.
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out/cg-01"
}
first="$(total "$n1")"
second="$(total "$n2")"
echo "$(( (second - first) / (n2 - n1) )) instructions per call on the JS thread (${NAPI_RS_NATIVE_LIBRARY_PATH:-package root binary})"
