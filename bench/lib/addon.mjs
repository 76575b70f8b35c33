// Loads the addon under test: the package (its entry, which reads the caller's values), with the
// binary of CYRUS_TELEMETRY_ADDON when set — a `.node` file, or a folder holding one (e.g.
// `napi build --release --output-dir DIR`) — so the bench can measure a release build kept
// outside the package and the debug build other work depends on is never overwritten. Unset,
// the package root's binary is used, which is the release build after `npm run build`.
import { createRequire } from 'node:module'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export function loadAddon() {
  if (process.env.CYRUS_TELEMETRY_ADDON) {
    // The generated loader (index.js) loads this binary instead of the one next to it.
    process.env.NAPI_RS_NATIVE_LIBRARY_PATH = addonBinary()
  }
  return require(packageRoot)
}

/** The `.node` binary that `loadAddon()` loads, for its size and build time. */
export function addonBinary() {
  const location = resolve(process.env.CYRUS_TELEMETRY_ADDON ?? packageRoot)
  return statSync(location).isFile() ? location : findBinary(location)
}

function findBinary(directory) {
  const platform = `${process.platform}-${process.arch}`
  const candidates = readdirSync(directory).filter((name) => name.endsWith('.node'))
  const name = candidates.find((candidate) => candidate.includes(platform)) ?? candidates[0]
  if (!name) throw new Error(`no .node file in ${directory}`)
  return join(directory, name)
}
