// ESM entry: the CommonJS entry (entry.cjs over the generated loader) with named exports.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const binding = require('./entry.cjs')

export const {
  TelemetryReporter,
  setCallbackContext,
  extractCallbackContext,
  classifySessionError,
  reportSessionError,
  configure,
  flush,
  shutdown,
  stats,
  __napiBindingTarget,
} = binding
export default binding
