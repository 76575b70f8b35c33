// The addon, loaded only by the commands that use it (classify, send-test): `--help` and `spool`
// work without a binary, and a missing one is a failure with load.cjs's message (which platform
// package was looked for, how to build from source) instead of a stack trace at start-up.
import { Failure } from './errors.mjs'

export async function loadAddon() {
  try {
    return await import('../index.mjs')
  } catch (error) {
    throw new Failure(error instanceof Error ? error.message : String(error))
  }
}
