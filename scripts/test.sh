#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, the Rust core without Node, a debug
# build of the addon (which must not change the committed index.js / index.d.ts), vitest over
# the real bindings, then short runs of the benchmark and the soak.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --all-targets -- -D warnings
# The core alone, as bench/classify and fuzz build it: no napi, no binding.
cargo clippy --lib --no-default-features -- -D warnings

echo "== napi build (debug, with the test hooks)"
snapshot=target/generated-before
rm -rf "$snapshot" && mkdir -p "$snapshot"
cp index.js index.d.ts "$snapshot/"
npm run --silent build:debug

echo "== cargo test (the core, without napi)"
cargo test --no-default-features

echo "== typecheck (cyrus wiring example)"
npm run --silent typecheck

echo "== vitest"
# The packaging and release-rehearsal suites pack and publish the 70 MB debug binary; on two cores
# they starve the timing-bound delivery and spool suites of CPU, so they run on their own after.
heavy=(__test__/packaging.test.ts __test__/release-rehearsal.test.ts)
npx vitest run "${heavy[@]/#/--exclude=}"
echo "== vitest (packaging and release rehearsal)"
npx vitest run "${heavy[@]}"

# Smoke runs keep the benchmark and the soak working; their figures come from the full runs
# (npm run bench, npm run soak -- --minutes 1), recorded in BENCHMARKS.md.
echo "== benchmark (smoke)"
node bench/run.mjs --smoke

echo "== soak under faults (10 s)"
node soak/soak.mjs --seconds 10
