// The script whose exit is timed by figures/exit.mjs: it reports events to an endpoint that
// never answers, waits until requests are really in flight (the hardest case: open sockets
// on the delivery side), and its last statement prints the time. Then it simply ends.
//   node exit-script.mjs <addon|baseline|empty> <url> <events>
import { freshResult, freshSession } from '../lib/fixtures.mjs'
import { createReporter } from '../lib/reporters.mjs'

const [impl, url, events] = process.argv.slice(2)
const IN_FLIGHT_WAIT_MS = 200

if (impl !== 'empty') {
  const { report, reporter } = await createReporter(impl, url)
  for (let index = 0; index < Number(events); index++) report(freshSession(index), freshResult(index))
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS
  // The addon says when its requests are in flight; the baseline's fetches get the same time.
  while (Date.now() < deadline && !(impl === 'addon' && reporter.stats().inFlight > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
process.stdout.write(`${Date.now()}\n`)
