// Packaging the napi-rs way: the six platform packages in npm/ agree with the main package, the
// main package's tarball carries a locally built binary, and an install without a binary fails
// with one clear message. Everything runs the real tools (npm, git, node) in child processes.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { copyPackage, isBinary, packedFiles, readJson, root, rootPackage } from './helpers/package-files'

const pkg = rootPackage()
const platformDirs = readdirSync(join(root, 'npm')).sort()

describe('platform packages', () => {
  it('one npm/ folder per napi target', () => {
    expect(platformDirs).toHaveLength(pkg.napi.targets.length)
  })

  for (const dir of platformDirs) {
    it(`npm/${dir} is ${pkg.name}-${dir} at the main version, with its binary, os and cpu`, () => {
      const platform = readJson(join(root, 'npm', dir, 'package.json'))
      const binary = `${pkg.napi.binaryName}.${dir}.node`
      expect(platform.name).toBe(`${pkg.name}-${dir}`)
      expect(platform.version).toBe(pkg.version)
      expect(platform.main).toBe(binary)
      expect(platform.files).toEqual([binary])
      expect(platform.os).toEqual([dir.split('-')[0]])
      expect(platform.cpu).toEqual([dir.split('-')[1]])
      // The libc field is what lets a package manager pick gnu or musl on Linux.
      if (dir.startsWith('linux-')) expect(platform.libc).toEqual([dir.endsWith('-musl') ? 'musl' : 'glibc'])
    })
  }

  it('the main package depends optionally on each of them at its own version', () => {
    const expected = Object.fromEntries(platformDirs.map((dir) => [`${pkg.name}-${dir}`, pkg.version]))
    expect(pkg.optionalDependencies).toEqual(expected)
  })

  it('has the napi release scripts', () => {
    // No GitHub release from prepublish: that would need a token with contents: write.
    expect(pkg.scripts).toMatchObject({ artifacts: 'napi artifacts', prepublishOnly: 'napi prepublish -t npm --no-gh-release' })
    // npm version: the platform packages, then the optionalDependencies, then index.js (which
    // embeds the version) follow the new version, all in npm's commit.
    expect(pkg.scripts.version).toMatch(/^napi version && node scripts\/sync-optional-deps\.mjs && napi build --platform && git add package\.json package-lock\.json npm /)
  })

  it('package-lock.json agrees with package.json (a fresh clone\'s npm install leaves it unchanged)', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const self = lock.packages['']
    expect(lock).toMatchObject({ name: manifest.name, version: manifest.version })
    for (const field of ['name', 'version', 'license', 'bin', 'engines', 'optionalDependencies', 'devDependencies']) {
      expect(self[field], field).toEqual(manifest[field])
    }
  })

  it('npm version: napi version and the sync script move every package and the lock file to the new version', () => {
    // What the "version" script does before it rebuilds index.js, in a copy: npm has already
    // written the new version into package.json and the lock file's own version fields.
    const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-version-'))
    try {
      for (const file of ['package.json', 'package-lock.json', 'scripts/sync-optional-deps.mjs']) cpSync(join(root, file), join(dir, file))
      for (const platform of platformDirs) {
        mkdirSync(join(dir, 'npm', platform), { recursive: true })
        cpSync(join(root, 'npm', platform, 'package.json'), join(dir, 'npm', platform, 'package.json'))
      }
      const next = '9.8.7'
      for (const file of ['package.json', 'package-lock.json']) {
        const json = JSON.parse(readFileSync(join(dir, file), 'utf8'))
        json.version = next
        if (json.packages) json.packages[''].version = next
        writeFileSync(join(dir, file), `${JSON.stringify(json, null, 2)}\n`)
      }
      const [napiVersion, sync] = pkg.scripts.version.split(' && ')
      expect([napiVersion, sync]).toEqual(['napi version', 'node scripts/sync-optional-deps.mjs'])
      execFileSync(process.execPath, [join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js'), 'version'], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
      execFileSync(process.execPath, ['scripts/sync-optional-deps.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 })

      for (const platform of platformDirs) expect(readJson(join(dir, 'npm', platform, 'package.json')).version, platform).toBe(next)
      const expected = Object.fromEntries(platformDirs.map((platform) => [`${pkg.name}-${platform}`, next]))
      expect(readJson(join(dir, 'package.json')).optionalDependencies).toEqual(expected)
      expect(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages[''].optionalDependencies).toEqual(expected)
      // Nothing else in the lock file moved.
      const before = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
      const after = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
      expect(Object.keys(after.packages)).toEqual(Object.keys(before.packages))
      expect({ ...after.packages, '': undefined }).toEqual({ ...before.packages, '': undefined })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('npm pack', () => {
  it('includes the entry files and every locally built binary, nothing from the sources', () => {
    const packed = packedFiles()
    for (const file of ['package.json', 'entry.cjs', 'read.cjs', 'load.cjs', 'index.js', 'index.mjs', 'index.d.ts']) {
      expect(packed).toContain(file)
    }
    const built = readdirSync(root).filter((file) => file.startsWith(`${pkg.napi.binaryName}.`) && isBinary(file))
    for (const binary of built) expect(packed).toContain(binary)
    expect(packed.filter((file) => /^(src|target|__test__|npm|node_modules)\//.test(file))).toEqual([])
  })

  it('includes every file that main, types, bin and exports point to', () => {
    const packed = new Set(packedFiles())
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const targets: string[] = []
    const collect = (entry: unknown) => {
      if (typeof entry === 'string') targets.push(entry)
      else if (entry && typeof entry === 'object') Object.values(entry).forEach(collect)
    }
    collect([manifest.main, manifest.types, manifest.bin, manifest.exports])
    expect(targets.length).toBeGreaterThan(3)
    for (const target of targets) expect(packed, target).toContain(target.replace(/^\.\//, ''))
  })

  it('lists a binary as soon as one is present', () => {
    // In a copy of the package, so the checkout is left alone; a stand-in file is enough, since
    // npm pack decides by name.
    const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-pack-'))
    try {
      copyPackage(dir, isBinary)
      writeFileSync(join(dir, `${pkg.napi.binaryName}.linux-x64-gnu.node`), 'stand-in')
      expect(packedFiles(dir).filter(isBinary)).toEqual([`${pkg.napi.binaryName}.linux-x64-gnu.node`])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('stands alone', () => {
  // A clone without the workspace's shared folder beside it must pass the suite: no tracked
  // file names the folder above the checkout's `shared`, as a path or as join() segments.
  const sharedPath = '..' + '/shared'
  const pattern = String.raw`\.\.(/|\\|['"]\s*,\s*['"])shared`
  it.runIf(existsSync(join(root, '.git')))(`no tracked file reads ${sharedPath}`, () => {
    const found = spawnSync('git', ['grep', '-n', '-E', pattern], { cwd: root, encoding: 'utf8' })
    // git grep exits 1 when nothing matches, 0 with the matches on stdout.
    expect(found.stdout).toBe('')
    expect(found.status).toBe(1)
  })
})

describe('an install without a binary', () => {
  const temps: string[] = []
  afterAll(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true })
  })

  /** The published files minus every binary, as a registry install without its platform package. */
  function installWithoutBinary(): string {
    const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-nobinary-'))
    temps.push(dir)
    copyPackage(dir, isBinary)
    return dir
  }

  function load(dir: string, kind: 'require' | 'import') {
    const env = { ...process.env }
    delete env.NAPI_RS_NATIVE_LIBRARY_PATH
    const args =
      kind === 'require'
        ? ['-e', `require(${JSON.stringify(dir)})`]
        : ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)})`]
    return spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 20_000 })
  }

  const lookedFor = (stderr: string) => /looked for the package (\S+) and for (\S+) /.exec(stderr)

  for (const kind of ['require', 'import'] as const) {
    it(`${kind} fails with one message naming the platform package and how to build`, () => {
      const child = load(installWithoutBinary(), kind)
      expect(child.status).not.toBe(0)
      const [, platformPackage, binary] = lookedFor(child.stderr) ?? []
      expect(platformPackage, child.stderr).toBeDefined()
      // Every runner CI uses is a platform with a prebuilt package.
      expect(Object.keys(pkg.optionalDependencies)).toContain(platformPackage)
      expect(binary).toBe(`${pkg.napi.binaryName}.${platformPackage.slice(pkg.name.length + 1)}.node`)
      expect(child.stderr).toContain('npm run build')
      // One error: not napi's chain of attempts.
      expect(child.stderr.match(/^\w*Error\b/gm)).toEqual(['Error'])
      expect(child.stderr).not.toContain('[cause]')
      expect(child.stderr).not.toContain('Cannot find module')
    })
  }

  /** Loads an install without a binary in a process whose `process.arch` is `arch`. */
  function loadAsArch(arch: string) {
    const dir = installWithoutBinary()
    const preload = join(dir, `as-${arch}.cjs`)
    writeFileSync(preload, `Object.defineProperty(process, 'arch', { value: ${JSON.stringify(arch)} })\n`)
    const env = { ...process.env }
    delete env.NAPI_RS_NATIVE_LIBRARY_PATH
    return spawnSync(process.execPath, ['-r', preload, '-e', `require(${JSON.stringify(dir)})`], { encoding: 'utf8', env, timeout: 20_000 })
  }

  it('on a platform with no prebuilt package: says so, lists the prebuilt ones and how to build', () => {
    // riscv64 Linux, which napi's loader knows and this package does not ship: process.arch is
    // replaced before the package loads.
    const child = loadAsArch('riscv64')
    expect(child.status).not.toBe(0)
    const platform = process.platform === 'linux' ? 'linux-riscv64-gnu' : `${process.platform}-riscv64${process.platform === 'win32' ? '-msvc' : ''}`
    expect(child.stderr).toContain(`no native binary loaded for ${process.platform} riscv64 (looked for the package ${pkg.name}-${platform} and for ${pkg.napi.binaryName}.${platform}.node`)
    expect(child.stderr).toContain(`There is no prebuilt binary for this platform (prebuilt: ${Object.keys(pkg.optionalDependencies).join(', ')})`)
    expect(child.stderr).toContain('npm install && npm run build')
    expect(child.stderr).not.toContain('reinstall without omitting optional dependencies')
    expect(child.stderr.match(/^\w*Error\b/gm)).toEqual(['Error'])
  })

  it('on an architecture the loader has no name for: no prebuilt binary, not a binary that failed to load', () => {
    const child = loadAsArch('mips')
    expect(child.status).not.toBe(0)
    expect(child.stderr).toContain(`no native binary loaded for ${process.platform} mips`)
    expect(child.stderr).toContain('There is no prebuilt binary for this platform')
    expect(child.stderr).not.toContain('did not load')
    expect(child.stderr.match(/^\w*Error\b/gm)).toEqual(['Error'])
  })

  it('says why when a binary is there but does not load', () => {
    const dir = installWithoutBinary()
    const [, platformPackage] = lookedFor(load(dir, 'require').stderr) ?? []
    expect(platformPackage).toBeDefined()
    const binary = `${pkg.napi.binaryName}.${platformPackage.slice(pkg.name.length + 1)}.node`
    writeFileSync(join(dir, binary), 'not a shared library')
    const child = load(dir, 'require')
    expect(child.status).not.toBe(0)
    expect(child.stderr).toMatch(/The binary was found but did not load: .*cyrus-telemetry\..*\.node/)
    expect(child.stderr.match(/^\w*Error\b/gm)).toEqual(['Error'])
  })

  it('still loads with the binary (the copy is faithful)', () => {
    const built = join(root, readdirSync(root).find((file) => file.startsWith(`${pkg.napi.binaryName}.`) && isBinary(file)) ?? '')
    expect(existsSync(built), 'the suite runs after a build').toBe(true)
    const dir = installWithoutBinary()
    const out = execFileSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(dir)}).reportSessionError)`], {
      encoding: 'utf8',
      env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: built },
      timeout: 20_000,
    })
    expect(out.trim()).toBe('function')
  })
})
