// ESM entry: the generated CommonJS loader (index.js) re-exported with named exports.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const binding = require('./index.js')

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
