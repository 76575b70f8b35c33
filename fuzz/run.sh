#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) one after the other, each in one libFuzzer process,
# and prints what each did.
#
#   fuzz/run.sh                 1,000,000 executions per target (the recorded run)
#   fuzz/run.sh 200000          that many executions per target
#   fuzz/run.sh 60s             60 seconds per target
#   fuzz/run.sh 1000000 scrub   only the named targets
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Builds with
# AddressSanitizer and debug assertions (overflow checks). Seeds come from seed.sh; inputs that
# add coverage are kept in corpus/<target>/ and failures in artifacts/<target>/ (both gitignored).
# Exits non-zero when a target finds a crash, a timeout (10 s per input) or an out-of-memory.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

budget="${1:-1000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(context classify scrub retry_after)

case "$budget" in
  *s) limit=(-max_total_time="${budget%s}") ;;
  *[!0-9]* | '') echo "usage: $0 [runs | <seconds>s] [target…]" >&2; exit 2 ;;
  *) limit=(-runs="$budget") ;;
esac

# Longest input per target: past the 500-code-point message cut and the 4096-byte token/URL
# limits, short enough to keep executions fast.
max_len() {
  case "$1" in
    context) echo 12000 ;;
    classify | scrub) echo 16384 ;;
    retry_after) echo 256 ;;
  esac
}

./seed.sh >/dev/null
build_log="$(mktemp)"
cargo +nightly fuzz build --debug-assertions >"$build_log" 2>&1 || { cat "$build_log" >&2; exit 1; }
rm -f "$build_log"

declare -a summary
status=0
for target in "${targets[@]}"; do
  log="target/fuzz-$target.log"
  mkdir -p target
  echo "== $target (${limit[*]})"
  started=$(date +%s)
  if cargo +nightly fuzz run --debug-assertions "$target" "corpus/$target" -- \
    "${limit[@]}" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 \
    -use_value_profile=1 -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see fuzz/$log and fuzz/artifacts/$target/)"
    status=1
  fi
  elapsed=$(($(date +%s) - started))
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  peak=$(grep -oE 'stat::peak_rss_mb: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  corpus=$(ls "corpus/$target" | wc -l)
  grep -E '^(==[0-9]+==ERROR|thread .* panicked|SUMMARY)' "$log" || true
  line=$(printf '%-12s %10s execs %6ss  peak %5s MB  corpus %5s  %s' \
    "$target" "$runs" "$elapsed" "$peak" "$corpus" "$result")
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
