// The public corpus (__test__/fixtures/classification/corpus, 300+ real messages with their
// sources) through the bindings: its held-out part — split by the fixed hash rule of the corpus
// README, never looked at case by case while tuning — must score ≥ 98% types, ≥ 97% tricky and
// ≥ 95% first choice. (The fixtures and extra cases are held at 100% by classification.test.ts
// and the Rust tests.)
import { describe, expect, it } from 'vitest'
import { classifySessionError } from 'cyrus-telemetry'
import { isHoldout, loadCorpus, scoreCorpus } from '../scripts/score-classifier.mjs'

interface CorpusCase {
  id: string
  agent: string
  result: Record<string, unknown>
  expected: string
  second?: string
  tricky: boolean
  source: string
}

const corpus: CorpusCase[] = loadCorpus()
const labels = ['crash', 'stall', 'rate_limit', 'billing', 'max_turns', 'none']

describe('the public corpus', () => {
  it('has 300+ labelled cases, each with its public source, and a held-out part', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300)
    expect(new Set(corpus.map((c) => c.id)).size).toBe(corpus.length)
    for (const c of corpus) {
      expect(labels, c.id).toContain(c.expected)
      if (c.second !== undefined) expect(labels, c.id).toContain(c.second)
      expect(c.source, c.id).toMatch(/^https:\/\//)
      expect(typeof c.tricky, c.id).toBe('boolean')
      expect(['claude', 'codex', 'gemini', 'cursor', 'provider', 'framework'], c.id).toContain(c.agent)
    }
    const held = corpus.filter(isHoldout).length
    expect(held).toBeGreaterThan(corpus.length / 5)
    expect(held).toBeLessThan(corpus.length / 2)
  })

  it('scores the held-out part at ≥ 98% types, ≥ 97% tricky, ≥ 95% first choice', () => {
    const { holdout } = scoreCorpus(classifySessionError, corpus)
    const summary = `types ${holdout.typesPct.toFixed(1)}%, tricky ${holdout.trickyPct.toFixed(1)}%, first ${holdout.firstPct.toFixed(1)}%`
    expect(holdout.typesPct, summary).toBeGreaterThanOrEqual(98)
    expect(holdout.trickyPct, summary).toBeGreaterThanOrEqual(97)
    expect(holdout.firstPct, summary).toBeGreaterThanOrEqual(95)
  })
})
