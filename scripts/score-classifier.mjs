#!/usr/bin/env node
// Scores the classifier on the public corpus (__test__/fixtures/classification/corpus/*.jsonl,
// see its README): types %, tricky %, first-choice %, for the tune part and the held-out part.
// Tune misses are listed one by one; the holdout is printed only in aggregate, so that tuning
// never looks at its individual messages.
//
//   node scripts/score-classifier.mjs            # needs a built addon (npm run build:debug)
//
// The split rule is fixed in the corpus README: a case is held out when the 32-bit FNV-1a hash
// of its message text (errors joined with "; " when non-empty, else result) is 0 mod 3.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '__test__', 'fixtures', 'classification', 'corpus')

/** Every case of the corpus, in file order. */
export function loadCorpus(dir = CORPUS_DIR) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .flatMap((name) =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line)),
    )
}

/** The message text the split rule hashes. */
export function messageText(result) {
  const errors = Array.isArray(result.errors) ? result.errors.filter((e) => typeof e === 'string') : []
  return errors.length > 0 ? errors.join('; ') : typeof result.result === 'string' ? result.result : ''
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`. */
export function fnv1a(text) {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

export function isHoldout(testCase) {
  return fnv1a(messageText(testCase.result)) % 3 === 0
}

/** The type the classifier gives a case: an error type, or 'none' when it returns null. */
function answer(classify, testCase) {
  return classify(testCase.result)?.errorType ?? 'none'
}

/**
 * Scores `cases` with `classify` (classifySessionError). Returns counts, percentages and the
 * misses (a miss: the type is neither `expected` nor `second`; a second choice: only `second`).
 */
export function score(cases, classify) {
  const figures = { total: 0, types: 0, tricky: 0, trickyTypes: 0, first: 0, misses: [], secondChoices: [] }
  for (const testCase of cases) {
    const got = answer(classify, testCase)
    const firstOk = got === testCase.expected
    const typeOk = firstOk || (testCase.second !== undefined && got === testCase.second)
    figures.total += 1
    if (typeOk) figures.types += 1
    if (firstOk) figures.first += 1
    if (testCase.tricky) {
      figures.tricky += 1
      if (typeOk) figures.trickyTypes += 1
    }
    if (!typeOk) figures.misses.push({ testCase, got })
    else if (!firstOk) figures.secondChoices.push({ testCase, got })
  }
  const pct = (n, d) => (d === 0 ? 100 : (100 * n) / d)
  figures.typesPct = pct(figures.types, figures.total)
  figures.trickyPct = pct(figures.trickyTypes, figures.tricky)
  figures.firstPct = pct(figures.first, figures.total)
  return figures
}

/** Tune and holdout figures of the whole corpus. */
export function scoreCorpus(classify, cases = loadCorpus()) {
  return {
    tune: score(cases.filter((c) => !isHoldout(c)), classify),
    holdout: score(cases.filter(isHoldout), classify),
  }
}

function line(name, f) {
  const fmt = (x) => x.toFixed(1).padStart(5)
  return `${name.padEnd(8)} ${String(f.total).padStart(4)} cases  types ${fmt(f.typesPct)}%  tricky ${fmt(f.trickyPct)}% (${f.tricky})  first choice ${fmt(f.firstPct)}%`
}

async function main() {
  const { classifySessionError } = await import('cyrus-telemetry')
  const { tune, holdout } = scoreCorpus(classifySessionError)
  const show = ({ testCase, got }, tag) => {
    const text = messageText(testCase.result).replace(/\s+/g, ' ').slice(0, 160)
    const want = testCase.second ? `${testCase.expected}|${testCase.second}` : testCase.expected
    return `  ${tag} ${testCase.id}: want ${want}, got ${got}${testCase.tricky ? ' (tricky)' : ''}\n      ${text}`
  }
  if (tune.misses.length > 0) console.log(`tune misses:\n${tune.misses.map((m) => show(m, 'x')).join('\n')}`)
  if (tune.secondChoices.length > 0) console.log(`tune second choices:\n${tune.secondChoices.map((m) => show(m, '~')).join('\n')}`)
  console.log(line('tune', tune))
  console.log(line('holdout', holdout))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main()
}
