#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, the Rust core without Node, a debug
# build of the addon (which must not change the committed index.js / index.d.ts), then vitest
# over the real bindings.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --all-targets -- -D warnings

echo "== napi build (debug)"
snapshot=target/generated-before
rm -rf "$snapshot" && mkdir -p "$snapshot"
cp index.js index.d.ts "$snapshot/"
npx napi build --platform

echo "== cargo test"
cargo test

echo "== typecheck (cyrus wiring example)"
npm run --silent typecheck

echo "== vitest"
npx vitest run
