#!/usr/bin/env node
// `npx cyrus-telemetry <command>`: the operator's commands. Each has --help; exit codes are 0
// (done), 1 (the command ran and failed) and 2 (a command line to fix).
import { parseArgs } from 'node:util'
import * as classify from '../cli/classify.mjs'
import { EXIT, Failure, UsageError } from '../cli/errors.mjs'
import * as sendTest from '../cli/send-test.mjs'
import * as spool from '../cli/spool.mjs'

const COMMANDS = { classify, 'send-test': sendTest, spool }

const USAGE = `usage: cyrus-telemetry <command> [options]   (--help after a command for its options)

  classify [file]                          classify Claude Code result messages (stream-json or
                                           json output) as the edge worker would report them
  send-test --url <u> --token <t> --team <id>
                                           send one test event to a callback endpoint
  spool [dir]                              list the events waiting in a spool folder

Exit codes: 0 done, 1 the command failed, 2 a wrong command line.`

async function main(argv) {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === undefined) {
      console.error(USAGE)
      return EXIT.usage
    }
    console.log(USAGE)
    return EXIT.ok
  }
  const command = COMMANDS[name]
  if (!command) {
    console.error(`cyrus-telemetry: unknown command ${JSON.stringify(name)}\n\n${USAGE}`)
    return EXIT.usage
  }
  try {
    let parsed
    try {
      parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true, strict: true })
    } catch (error) {
      throw new UsageError(error.message)
    }
    if (parsed.values.help) {
      console.log(command.usage)
      return EXIT.ok
    }
    await command.run(parsed)
    return EXIT.ok
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`cyrus-telemetry ${name}: ${error.message}\n\n${command.usage}`)
      return EXIT.usage
    }
    if (error instanceof Failure) {
      console.error(`cyrus-telemetry ${name}: ${error.message}`)
      return EXIT.failure
    }
    console.error(`cyrus-telemetry ${name}: unexpected error (please report it):`, error)
    return EXIT.failure
  }
}

process.exitCode = await main(process.argv.slice(2))
