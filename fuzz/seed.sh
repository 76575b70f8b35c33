#!/usr/bin/env bash
# Writes the seed corpora (fuzz/corpus/<target>/, gitignored) in the input layouts documented at
# the top of each fuzz target: message texts from __test__/fixtures/classification/fixtures.jsonl for
# `classify` and `scrub`, hand-written header sets for `context`, Retry-After values for
# `retry_after`; and the inputs of fuzz/regressions/<target>/ (failures found earlier, kept in git).
# Existing corpus files (what earlier runs found) are kept.
set -euo pipefail
cd "$(dirname "$0")"
fixtures="${CYRUS_FIXTURES:-../__test__/fixtures/classification/fixtures.jsonl}"
[ -f "$fixtures" ] || { echo "seed.sh: no fixtures at $fixtures" >&2; exit 1; }

node --input-type=module - "$fixtures" <<'EOF'
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'

const SEP = '\u001f'
const write = (target, bytes) => {
  const dir = `corpus/${target}`
  mkdirSync(dir, { recursive: true })
  const name = createHash('sha1').update(bytes).digest('hex')
  writeFileSync(`${dir}/seed-${name}`, bytes)
}
const withControl = (control, text) => Buffer.concat([Buffer.from(control), Buffer.from(text, 'utf8')])

// classify: [flags, result position, errors position, known-secret selector] then
// secret-candidate SEP subtype SEP result SEP errors…
const SUBTYPES = ['success', 'error_max_turns', 'error_during_execution', 'error_max_budget_usd',
  'error_max_structured_output_retries', '']
const fixtures = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map(JSON.parse)
const texts = []
fixtures.forEach((fixture, index) => {
  const r = fixture.result
  const known = SUBTYPES.indexOf(r.subtype)
  const subtypeCode = r.subtype === undefined ? 0 : known >= 0 ? known + 1 : 7
  const noResult = typeof r.result !== 'string'
  const plantMode = (index % 4) << 5
  const flags = (r.is_error === true ? 1 : 0) | (subtypeCode << 1) | (noResult ? 0x10 : 0) | plantMode
  const parts = ['', subtypeCode === 7 ? String(r.subtype) : '', noResult ? '' : r.result,
    ...(Array.isArray(r.errors) ? r.errors : [])]
  write('classify', withControl([flags, (index * 37) & 0xff, (index * 91) & 0xff, index & 3], parts.join(SEP)))
  texts.push(...(Array.isArray(r.errors) ? r.errors : []), ...(noResult ? [] : [r.result]))
})

// scrub: [how many secrets, positions ×2, selector] then secret-candidate SEP text.
const secretShapes = [
  'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln failed',
  'curl https://user:hunter2@api.example.com/v1?token=abc123&key=k-9&secret=s3&api_key=AK&access_token=at',
  'ANTHROPIC_API_KEY=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 OPENAI sk-proj-abcdefghijklmnop',
  'git push failed: ghp_0123456789abcdefghijklmnopqrstuvwxyz gho_x ghs_y github_pat_11ABCDEFG_xyz',
  'glpat-abcdefghijklmnopqrst lin_api_0123456789abcdef lin_oauth_abc xoxb-123-456-abc AKIAIOSFODNN7EXAMPLE',
  'plain text with [REDACTED] already in it, and a URL https://example.com/path?q=1',
]
;[...texts, ...secretShapes].forEach((text, index) => {
  write('scrub', withControl([1 + (index % 2), (index * 53) & 0xff, (index * 29) & 0xff, index & 3], SEP + text))
})

// context: `name: value` lines; U+001E splits an array, U+0000 is unreadable, U+001C is a LF.
const contexts = [
  'x-cyrus-callback-token: tok_abc123\nx-cyrus-callback-url: https://cyhost.example/cb\nx-cyrus-team-id: team-1',
  'X-Cyrus-Callback-Token: tok\nX-CYRUS-CALLBACK-URL: http://127.0.0.1:8080/cb\nx-cyrus-TEAM-id: t\n@allow: 127.0.0.1',
  'x-cyrus-callback-token:  t1 \u001e t1\nx-cyrus-callback-url: https://a.cyrus.app/cb\nx-cyrus-team-id: team, team\n@allow: *.cyrus.app,cyrus.app',
  'x-cyrus-callback-token: tok\nx-cyrus-callback-url: https://user:pw@evil.example/cb\nx-cyrus-team-id: t',
  'x-cyrus-callback-token: tok\nx-cyrus-callback-url: https://evilcyrus.app/cb\nx-cyrus-team-id: t\n@allow: *.cyrus.app',
  'x-cyrus-callback-token: tok\u001cX-Evil: 1\nx-cyrus-callback-url: https://a.b/c\rX: y\nx-cyrus-team-id: t\u0007',
  'x-cyrus-callback-token: \u0000\nx-cyrus-callback-url: \u0001\nx-cyrus-team-id: ',
  'x-cyrus-callback-token: tok\nx-cyrus-callback-url: http://[::1]:9/cb\nx-cyrus-team-id: team-a\n@team: team-b',
  'x-cyrus-callback-token: tok\nx-cyrus-callback-url: http://localhost.evil.com/cb\nx-cyrus-team-id: t\nX-Cyrus-Team-Id: u',
  'x-cyrus-callback-token: tok\nx-cyrus-callback-url: file:///etc/passwd\nx-cyrus-team-id: équipe',
]
contexts.forEach((text) => write('context', Buffer.from(text, 'utf8')))

// retry_after: [clock (u64 LE s), attempt, base ms (u24 BE), cap ms, Retry-After clamp ms,
// jitter (u16 LE)] then the header value.
const u24 = (n) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
const clock = Buffer.alloc(8)
clock.writeBigUInt64LE(1_445_412_480n) // Wed, 21 Oct 2015 07:28:00 GMT
const control = [...clock, 0, ...u24(1000), ...u24(30000), ...u24(60000), 0x00, 0x80]
for (const value of ['120', ' 0 ', '1', '99999999999999999999999', 'Wed, 21 Oct 2015 07:28:30 GMT',
  'Wed, 21 Oct 2015 07:00:00 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994',
  'Fri, 31 Dec 9999 23:59:59 GMT', '-1', '1.5', '', 'soon', '\u00a0 7 \u2003']) {
  write('retry_after', withControl(control, value))
}
EOF
# Inputs that once failed (kept in git) are replayed first on every run.
for dir in regressions/*/; do
  target="$(basename "$dir")"
  mkdir -p "corpus/$target"
  cp "$dir"* "corpus/$target/" 2>/dev/null || true
done

for target in classify scrub context retry_after; do
  echo "seeds: $target $(ls corpus/$target | wc -l) files"
done
