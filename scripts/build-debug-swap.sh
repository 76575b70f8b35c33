#!/usr/bin/env bash
# Debug build that replaces the loaded addon atomically (rename), so test processes that
# already mapped the old file keep running while it is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
npx napi build --platform --features test-hooks --output-dir "$out" >/dev/null
mv -f "$out"/cyrus-telemetry.*.node ./
cp "$out"/index.js "$out"/index.d.ts ./
rm -rf "$out"
