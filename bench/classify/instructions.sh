#!/usr/bin/env bash
# Instructions per classify call for each message of classify-bench (see src/main.rs):
# callgrind's total with N iterations minus the total with 0, divided by N, so the one-time
# table construction and the process start are not counted. Needs valgrind.
#   bash bench/classify/instructions.sh [iterations] [message…]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
iterations="${1:-2000}"
shift || true
messages=("$@")
[ ${#messages[@]} -gt 0 ] || messages=(token prose stack gemini chinese)
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
binary="$here/target/release/classify-bench"
total() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$1" "$2" 2>&1 >/dev/null |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for message in "${messages[@]}"; do
  loop="$(total "$iterations" "$message")"
  setup="$(total 0 "$message")"
  result="$("$binary" 1 "$message")"
  echo "$message: $(( (loop - setup) / iterations )) instructions per call; $result"
done
