// ESM entry of cyrus-telemetry/testing: the CommonJS module with named exports.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const testing = require('./index.cjs')

export const { startCollector, startCounter, respond, hang, stallBody, reset, redirect, after, refusedPort, ERROR_TYPES, eventProblems } = testing
export default testing
