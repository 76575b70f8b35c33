// What `npm pack` would publish from this checkout, and copies of it: the files a user's install
// of the main package gets, for the loader and release tests.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const root = join(__dirname, '..', '..')

export interface PackageJson {
  name: string
  version: string
  files: string[]
  optionalDependencies: Record<string, string>
  scripts: Record<string, string>
  napi: { binaryName: string; targets: string[] }
  os?: string[]
  cpu?: string[]
  libc?: string[]
  main?: string
}

export const readJson = (path: string): PackageJson => JSON.parse(readFileSync(path, 'utf8'))
export const rootPackage = (): PackageJson => readJson(join(root, 'package.json'))

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

const listed = new Map<string, string[]>()

/**
 * The paths `npm pack` would put in the tarball of `dir` (relative, `/`-separated). Remembered
 * per folder for the run: packing a checkout with its debug binary takes seconds.
 */
export function packedFiles(dir: string = root): string[] {
  const known = listed.get(dir)
  if (known) return known
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    shell: process.platform === 'win32',
  })
  const [report] = JSON.parse(out) as { files: { path: string }[] }[]
  const paths = report.files.map((file) => file.path)
  listed.set(dir, paths)
  return paths
}

/** Copies the packed files of the checkout into `dest`, minus those `skip` refuses. */
export function copyPackage(dest: string, skip: (path: string) => boolean = () => false): string[] {
  const copied = packedFiles().filter((path) => !skip(path))
  for (const path of copied) {
    mkdirSync(dirname(join(dest, path)), { recursive: true })
    copyFileSync(join(root, path), join(dest, path))
  }
  return copied
}

export const isBinary = (path: string) => path.endsWith('.node')
