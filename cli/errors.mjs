// The CLI's two kinds of failure and their exit codes: 2 for a command line to fix (with the
// usage), 1 for a command that ran and failed. Every message says what to do about it.

export const EXIT = { ok: 0, failure: 1, usage: 2 }

/** The command line is wrong: exit 2, the message and the command's usage on stderr. */
export class UsageError extends Error {}

/** The command ran and failed: exit 1, the message on stderr. */
export class Failure extends Error {}
