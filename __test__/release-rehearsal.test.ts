// A release, rehearsed end to end on this machine: `npm publish` as the release job runs it
// (prepublishOnly = napi prepublish) sends the six platform packages and the main package to a
// real npm registry (verdaccio) on 127.0.0.1; linux-x64-gnu carries the built binary. Then a fresh pnpm workspace shaped like cyrus
// (packages/edge-worker, "type": "module") runs `pnpm add cyrus-telemetry` against that registry
// only, with no Rust toolchain on PATH, and the edge worker imports it (ESM), requires it (CJS)
// and delivers one event to a loopback receiver. The registry has no uplinks, so nothing can come
// from the public registry, and it is stopped whatever happens.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { explicitContext } from './helpers/headers'
import { copyPackage, isBinary, readJson, root, rootPackage } from './helpers/package-files'
import { type Receiver, startReceiver } from './helpers/receiver'

const PLATFORM = 'linux-x64-gnu' // the package this machine can load, and the one CI builds here
const pkg = rootPackage()
const binary = `${pkg.napi.binaryName}.${PLATFORM}.node`
const platformPackage = `${pkg.name}-${PLATFORM}`

const glibc = process.platform === 'linux' && Boolean((process.report?.getReport() as any)?.header?.glibcVersionRuntime)
const canRehearse = process.platform === 'linux' && process.arch === 'x64' && glibc
if (!canRehearse) {
  console.warn(`skipping the release rehearsal: it publishes ${platformPackage}, which this platform cannot load`)
}

/** The child environment: no npm_config_* from `npm test`, no override, no Rust on PATH. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|NAPI_RS_|CARGO|RUSTUP)/i.test(key)) continue
    env[key] = value
  }
  const rust = (dir: string) => ['cargo', 'rustc', 'rustup'].some((tool) => existsSync(join(dir, tool)))
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !rust(dir)).join(delimiter)
  env.HOME = home // no user-level .npmrc: the workspace's is the only registry setting
  env.XDG_CONFIG_HOME = join(home, '.config')
  env.CI = 'true' // pnpm: no interactive prompts
  return env
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 })
  const output = `${command} ${args.join(' ')} (in ${cwd})\n${result.stdout}\n${result.stderr}`
  expect(result.error, output).toBeUndefined()
  expect(result.status, output).toBe(0)
  return result.stdout
}

/**
 * The built binary into its platform package. The debug build carries tens of megabytes of
 * debug info that a release binary (strip = "symbols") does not: without it, packing and
 * publishing take seconds instead of tens. A copy as it is when binutils' strip is missing.
 */
function shipBinary(built: string, artifact: string) {
  const strip = spawnSync('strip', ['--strip-debug', '-o', artifact, built])
  if (strip.error || strip.status !== 0) copyFileSync(built, artifact)
}

/** As `run`, without blocking this process (whose loopback receiver the child talks to). */
function runAsync(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} (in ${cwd}): ${error.message}\n${stdout}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/** Starts the registry child; resolves with its port once it listens. */
function startRegistry(home: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(root, '__test__', 'fixtures', 'registry.cjs'), home], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`registry did not start in 20 s: ${err}`)), 20_000)
    child.stderr!.on('data', (chunk) => (err += chunk))
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const line = out.split('\n').find((entry) => entry.startsWith('{"port"'))
      if (line) {
        clearTimeout(timer)
        resolve({ child, port: JSON.parse(line).port })
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`registry exited (${code}): ${err}`))
    })
  })
}

describe.runIf(canRehearse)('release rehearsal', () => {
  let work: string
  let registry: { child: ChildProcess; port: number } | undefined
  let receiver: Receiver | undefined
  let started: number

  beforeAll(async () => {
    started = performance.now()
    work = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-release-'))
    registry = await startRegistry(join(work, 'registry'))
    receiver = await startReceiver()
  })

  afterAll(async () => {
    await receiver?.close()
    if (registry) {
      // Closing stdin stops it; the kill is for a child that no longer reads.
      registry.child.stdin!.end()
      const exited = new Promise((resolve) => registry!.child.once('exit', resolve))
      const timer = setTimeout(() => registry!.child.kill('SIGKILL'), 5_000)
      if (registry.child.exitCode === null) await exited
      clearTimeout(timer)
    }
    rmSync(work, { recursive: true, force: true })
    console.log(`release rehearsal: ${((performance.now() - started) / 1000).toFixed(1)} s`)
  })

  it('publishes, installs with pnpm from that registry alone, and delivers an event', { timeout: 120_000 }, async () => {
    expect(existsSync(join(root, binary)), `the suite runs after a build (${binary})`).toBe(true)
    const url = `http://127.0.0.1:${registry!.port}/`
    const home = join(work, 'home')
    mkdirSync(home, { recursive: true })
    const env = cleanEnv(home)
    // No Rust toolchain reachable from the install and the edge worker.
    expect(spawnSync('cargo', ['--version'], { env }).error).toBeDefined()

    // Publishing, as the release job does: the published files (no binary at the top, as in
    // the release checkout), npm/ with a binary in each platform package (`npm run artifacts`),
    // then `npm publish`, whose prepublishOnly (napi prepublish) publishes the six platform
    // packages before the main one. Only linux-x64-gnu holds a real binary; the five others
    // hold stand-ins, which no install on this machine selects. npm wants a token to publish;
    // the registry accepts anyone's.
    const publishrc = join(work, 'publish.npmrc')
    writeFileSync(publishrc, `registry=${url}\n//127.0.0.1:${registry!.port}/:_authToken=rehearsal\n`)
    const release = join(work, 'release')
    const shipped = copyPackage(release, isBinary)
    expect(shipped.filter(isBinary)).toEqual([])
    for (const dir of readdirSync(join(root, 'npm'))) {
      const target = join(release, 'npm', dir)
      mkdirSync(target, { recursive: true })
      for (const file of ['package.json', 'README.md']) copyFileSync(join(root, 'npm', dir, file), join(target, file))
      const artifact = join(target, `${pkg.napi.binaryName}.${dir}.node`)
      if (dir === PLATFORM) shipBinary(join(root, binary), artifact)
      else writeFileSync(artifact, `stand-in for ${dir}`)
    }
    symlinkSync(join(root, 'node_modules'), join(release, 'node_modules'), 'dir') // the napi CLI
    run('npm', ['publish', '--userconfig', publishrc, '--registry', url], release, env)

    // The cyrus workspace: the registry is named only in its .npmrc; a store of its own.
    const cyrus = join(work, 'cyrus')
    const worker = join(cyrus, 'packages', 'edge-worker')
    mkdirSync(worker, { recursive: true })
    writeFileSync(join(cyrus, 'package.json'), JSON.stringify({ name: 'cyrus', private: true }))
    writeFileSync(join(cyrus, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/*'\n")
    writeFileSync(join(cyrus, '.npmrc'), `registry=${url}\nstore-dir=${join(work, 'store')}\ncache-dir=${join(work, 'cache')}\n`)
    writeFileSync(
      join(worker, 'package.json'),
      JSON.stringify({ name: 'cyrus-edge-worker', version: '0.0.0', private: true, type: 'module' }),
    )
    const pnpm = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')
    run(process.execPath, [pnpm, '--filter', 'cyrus-edge-worker', 'add', pkg.name], cyrus, env)

    // Installed from the local registry, the main package without a binary, the platform
    // package beside it with one.
    const manifest = readJson(join(worker, 'package.json')) as unknown as { dependencies: Record<string, string> }
    expect(Object.keys(manifest.dependencies)).toEqual([pkg.name])
    const lock = readFileSync(join(cyrus, 'pnpm-lock.yaml'), 'utf8')
    for (const name of [pkg.name, ...Object.keys(pkg.optionalDependencies)]) {
      // The exact tarballs this registry holds (their integrity), fetched from it alone.
      const served = (await (await fetch(`${url}${name}`)).json()) as any
      const integrity = served.versions[pkg.version].dist.integrity
      expect(lock).toContain(`${name}@${pkg.version}:\n    resolution: {integrity: ${integrity}}`)
    }
    expect(readdirSync(join(work, 'cache', 'metadata-v1.3'))).toEqual([`127.0.0.1+${registry!.port}`])
    // Of the six platform packages, only this machine's was installed.
    const installedPackages = readdirSync(join(cyrus, 'node_modules', '.pnpm')).filter((entry) => entry.startsWith(pkg.name))
    expect(installedPackages.sort()).toEqual([`${platformPackage}@${pkg.version}`, `${pkg.name}@${pkg.version}`])

    // The edge worker: ESM import, CJS require (the same module), one event over loopback.
    writeFileSync(
      join(worker, 'check.js'),
      `import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import * as esm from 'cyrus-telemetry'
const require = createRequire(import.meta.url)
const cjs = require('cyrus-telemetry')
const installed = dirname(require.resolve('cyrus-telemetry/package.json'))
const reporter = new esm.TelemetryReporter({ logger: () => {} })
const context = reporter.setCallbackContext(${JSON.stringify(explicitContext({ url: receiver!.url }))})
const outcome = reporter.reportSessionError(
  { id: 'rehearsal-session' },
  { type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['rehearsal boom'] },
)
await reporter.flush(10_000)
const stats = reporter.stats()
await reporter.shutdown(5_000)
console.log(JSON.stringify({
  sameModule: cjs.TelemetryReporter === esm.TelemetryReporter && cjs.reportSessionError === esm.default.reportSessionError,
  cjsType: typeof cjs.reportSessionError,
  binding: require.resolve('${platformPackage}', { paths: [installed] }),
  installed,
  context: context.status,
  outcome: outcome.outcome,
  sent: stats.sent,
}))
`,
    )
    const out = JSON.parse((await runAsync(process.execPath, ['check.js'], worker, env)).trim().split('\n').pop()!)
    expect(out).toMatchObject({ sameModule: true, cjsType: 'function', context: 'set', outcome: 'queued', sent: 1 })
    expect(out.binding).toContain(join('node_modules', '.pnpm', `${platformPackage}@${pkg.version}`))
    expect(existsSync(join(out.installed, binary))).toBe(false)

    const [request] = await receiver!.waitForRequests(1, 5_000)
    expect(request.method).toBe('POST')
    expect(request.body).toMatchObject({ session_id: 'rehearsal-session' })
    expect(receiver!.requests).toHaveLength(1)

    // What else the package gives a cyrus test suite and an operator: the test collector (ESM
    // and CJS) and the bin, from the installed copy.
    writeFileSync(
      join(worker, 'collect.js'),
      `import { createRequire } from 'node:module'
import { TelemetryReporter } from 'cyrus-telemetry'
import { startCollector } from 'cyrus-telemetry/testing'
const cjs = createRequire(import.meta.url)('cyrus-telemetry/testing')
const collector = await startCollector({ token: 'rehearsal-token', teamId: 'team-rehearsal', strict: true })
const reporter = new TelemetryReporter({ logger: () => {} })
reporter.setCallbackContext({ callbackToken: 'rehearsal-token', callbackUrl: collector.url, teamId: 'team-rehearsal' })
reporter.reportSessionError({ id: 'collected' }, { type: 'result', subtype: 'error_max_turns', is_error: true, errors: [] })
const [event] = await collector.waitForEvents(1, 10_000)
await reporter.shutdown(1_000)
await collector.close()
console.log(JSON.stringify({ sameModule: cjs.startCollector === startCollector, event, problems: collector.problems.length }))
`,
    )
    const collected = JSON.parse((await runAsync(process.execPath, ['collect.js'], worker, env)).trim().split('\n').pop()!)
    expect(collected).toMatchObject({ sameModule: true, problems: 0, event: { session_id: 'collected', error_type: 'max_turns' } })
    writeFileSync(join(worker, 'session.jsonl'), '{"type":"result","subtype":"error_max_turns","is_error":true,"errors":[]}\n')
    const classified = run(process.execPath, [pnpm, 'exec', 'cyrus-telemetry', 'classify', 'session.jsonl'], worker, env)
    expect(classified).toContain('1 result(s): max_turns 1')
  })

  it('installs a built checkout with file:, its binary included', { timeout: 60_000 }, () => {
    // What someone who builds it themselves does: the package's files and the binary they built.
    const checkout = join(work, 'checkout')
    copyPackage(checkout, isBinary)
    shipBinary(join(root, binary), join(checkout, binary))
    const cyrus = join(work, 'cyrus')
    const other = join(cyrus, 'packages', 'from-checkout')
    mkdirSync(other, { recursive: true })
    writeFileSync(join(other, 'package.json'), JSON.stringify({ name: 'from-checkout', private: true, type: 'module' }))
    const env = cleanEnv(join(work, 'home'))
    const pnpm = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')
    run(process.execPath, [pnpm, '--filter', 'from-checkout', 'add', `file:${checkout}`], cyrus, env)
    const script = `import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const t = require('cyrus-telemetry')
console.log(JSON.stringify({ target: t.__napiBindingTarget, binary: require('node:fs').existsSync(require.resolve('cyrus-telemetry/package.json').replace('package.json', '${binary}')) }))`
    writeFileSync(join(other, 'check.js'), script)
    const out = JSON.parse(run(process.execPath, ['check.js'], other, env).trim())
    expect(out).toEqual({ target: 'native', binary: true })
  })
})
