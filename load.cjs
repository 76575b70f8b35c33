'use strict'
// The generated loader (index.js), with one clear error when no binary fits this platform.
//
// index.js tries the local `cyrus-telemetry.<platform>.node`, then the platform package the
// package manager installed as an optional dependency, and on failure throws "Cannot find native
// binding" with a chain of every attempt as its cause, which tells a user neither what was
// missing nor what to do. This names the one package it looked for and how to build from source.

const pkg = require('./package.json')

/** The platform suffix napi uses for this process: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
function platformSuffix() {
  const { platform, arch } = process
  if (platform === 'linux') {
    let header
    if (process.report) {
      process.report.excludeNetwork = true // as index.js does: no DNS look-ups for the report
      header = process.report.getReport().header
    }
    return `linux-${arch}-${header && header.glibcVersionRuntime ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** The messages of the loader's chain of attempts (index.js links them through `cause`). */
function attempts(error) {
  const messages = []
  for (let cause = error && error.cause; cause && messages.length < 32; cause = cause.cause) {
    messages.push(String(cause.message))
  }
  return messages
}

function missingBinaryError(loaderError) {
  const suffix = platformSuffix()
  const platformPackage = `${pkg.name}-${suffix}`
  const localBinary = `${pkg.napi.binaryName}.${suffix}.node`
  const supported = Object.keys(pkg.optionalDependencies || {})
  // A binary that exists but cannot be opened (wrong libc, corrupt file) is the one attempt
  // whose reason is not "not found" (nor the loader's "Unsupported architecture" for a platform
  // it has no name for): say it, it is the thing to fix.
  const notFound = /^(Cannot find module|Unsupported )/
  const failures = attempts(loaderError).filter((message) => !notFound.test(message))
  const lines = [
    `${pkg.name}: no native binary loaded for ${process.platform} ${process.arch} (looked for the package ${platformPackage} and for ${localBinary} beside ${__dirname}).`,
    ...failures.map((message) => `The binary was found but did not load: ${message}`),
    supported.includes(platformPackage)
      ? `${platformPackage} is an optional dependency of ${pkg.name}@${pkg.version}: reinstall without omitting optional dependencies (no --omit=optional, --no-optional or --ignore-optional) and with the same version for both.`
      : `There is no prebuilt binary for this platform (prebuilt: ${supported.join(', ')}).`,
    `To build from source: install Rust (rustup), then in a checkout of ${pkg.name} run \`npm install && npm run build\`, and install that checkout (\`npm pack\` includes the built ${localBinary}) or set NAPI_RS_NATIVE_LIBRARY_PATH to the built .node file.`,
  ]
  const error = new Error(lines.join('\n'))
  // Kept for debugging, but not enumerable, so an uncaught error prints this one message and
  // not the loader's chain again.
  Object.defineProperty(error, 'loaderError', { value: loaderError })
  return error
}

try {
  module.exports = require('./index.js')
} catch (error) {
  // Errors index.js throws on purpose (a version mismatch, NAPI_RS_FORCE_WASI) already say
  // what to fix; only "no binding" becomes the message above.
  const noBinding = /^(Cannot find|Failed to load) native binding/
  if (!(error instanceof Error) || !noBinding.test(error.message)) throw error
  throw missingBinaryError(error)
}
