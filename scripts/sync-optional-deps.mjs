// Part of `npm version` (the package's "version" script, after `napi version` has set the new
// version in every npm/*/package.json): the main package's optionalDependencies name each
// platform package at that same version, in package.json and in package-lock.json's entry for
// the package itself, so the commit npm makes is consistent and a fresh clone's `npm install`
// leaves the lock file as it is. (npm has already set the lock file's own version fields.)
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package.json', import.meta.url)
const pkg = JSON.parse(readFileSync(path, 'utf8'))
for (const name of Object.keys(pkg.optionalDependencies)) pkg.optionalDependencies[name] = pkg.version
writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`)

const lockPath = new URL('../package-lock.json', import.meta.url)
if (existsSync(lockPath)) {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
  const self = lock.packages?.['']
  if (self) {
    self.optionalDependencies = { ...pkg.optionalDependencies }
    writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
  }
}
