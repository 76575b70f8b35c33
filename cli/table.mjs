// A small aligned-column printer: console.table quotes strings and cannot cap a column's width,
// which makes long error messages unreadable.

/** One line, at most `max` code points, an ellipsis marking the cut. */
export function truncate(text, max) {
  const oneLine = String(text ?? '').replace(/\s+/g, ' ').trim()
  const codePoints = [...oneLine]
  return codePoints.length <= max ? oneLine : `${codePoints.slice(0, max - 1).join('')}…`
}

/**
 * Prints `rows` (objects) under `columns` ([key, heading] pairs), each cell on one line and at
 * most `maxWidth` code points.
 */
export function printTable(rows, columns, { maxWidth = 60, indent = '  ' } = {}) {
  const cells = rows.map((row) => columns.map(([key]) => truncate(row[key] ?? '', maxWidth)))
  const widths = columns.map(([, heading], index) =>
    Math.max([...heading].length, ...cells.map((line) => [...line[index]].length)),
  )
  // Padding counts code points, like the widths (padEnd counts UTF-16 units).
  const pad = (value, width) => value + ' '.repeat(width - [...value].length)
  const format = (values) => indent + values.map((value, index) => pad(value, widths[index])).join('  ').trimEnd()
  console.log(format(columns.map(([, heading]) => heading)))
  console.log(format(widths.map((width) => '-'.repeat(width))))
  for (const line of cells) console.log(format(line))
  if (rows.length === 0) console.log(`${indent}(none)`)
}
