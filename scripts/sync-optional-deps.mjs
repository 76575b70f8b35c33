// Part of `npm version` (the package's "version" script, after `napi version` has set the new
// version in every npm/*/package.json): the main package's optionalDependencies name each
// platform package at that same version, so the commit npm makes is consistent.
import { readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package.json', import.meta.url)
const pkg = JSON.parse(readFileSync(path, 'utf8'))
for (const name of Object.keys(pkg.optionalDependencies)) pkg.optionalDependencies[name] = pkg.version
writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`)
