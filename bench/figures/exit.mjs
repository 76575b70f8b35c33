// Figure: time from a script's last statement to its process exit while events are pending to
// an endpoint that never answers. README, "Behaviour": a pending send never keeps Node alive. The script
// (exit-script.mjs) prints Date.now() as its last statement; this process notes Date.now()
// when the script's process has exited. A script that is still alive at --limit-ms is killed
// and the figure reads "more than the limit".
//   --impl addon|baseline|empty --events N --limit-ms N
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { emit, figureArgs } from '../lib/child.mjs'
import { startReceiver } from '../lib/receiver.mjs'

const args = figureArgs(['impl', 'events', 'limit-ms'])
const limitMs = Number(args['limit-ms'])
const script = fileURLToPath(new URL('./exit-script.mjs', import.meta.url))

const receiver = await startReceiver('hang')
const spawnedAt = Date.now()
const child = spawn(process.execPath, [script, args.impl, receiver.url, args.events], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let stdout = ''
child.stdout.on('data', (chunk) => (stdout += chunk))
let killed = false
const limit = setTimeout(() => {
  killed = true
  child.kill('SIGKILL')
}, limitMs)
const exitedAt = await new Promise((resolve) => child.on('exit', () => resolve(Date.now())))
clearTimeout(limit)
const arrived = await receiver.count()
receiver.close()
// A script killed before its last statement is timed from its start instead.
const printed = Number(stdout.trim().split('\n').at(-1))
const lastStatementAt = Number.isFinite(printed) && printed > 0 ? printed : spawnedAt
// When killed, exitMs is a lower bound: the script was still alive that long after its end.
emit({ exitMs: exitedAt - lastStatementAt, killed, requestsAtReceiver: arrived.count })
