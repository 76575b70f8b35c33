// Loads the addon under test. CYRUS_TELEMETRY_ADDON (a directory holding a napi loader, or a
// file to require) lets the bench measure a release build kept outside the package, so the
// debug build other work depends on is never overwritten; by default the package root is used,
// which is the release build after `npm run build`.
import { createRequire } from 'node:module'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The directory or file to require. */
export function addonLocation() {
  const override = process.env.CYRUS_TELEMETRY_ADDON
  return override ? resolve(override) : packageRoot
}

export function loadAddon() {
  return require(addonLocation())
}

/** The `.node` binary that `loadAddon()` loads, for its size and build time. */
export function addonBinary() {
  const location = addonLocation()
  if (statSync(location).isFile()) {
    if (location.endsWith('.node')) return location
    return findBinary(dirname(location))
  }
  return findBinary(location)
}

function findBinary(directory) {
  const platform = `${process.platform}-${process.arch}`
  const candidates = readdirSync(directory).filter((name) => name.endsWith('.node'))
  const name = candidates.find((candidate) => candidate.includes(platform)) ?? candidates[0]
  if (!name) throw new Error(`no .node file in ${directory}`)
  return join(directory, name)
}
