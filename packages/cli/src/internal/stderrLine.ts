/**
 * The runner's log line on stderr, `<ISO time> <LEVEL> <message>`, shared by `Runner.stderrLogger`
 * and the info-level stderr logger `Telemetry` keeps next to an OTLP exporter.
 *
 * @internal
 */
import type * as Logger from "effect/Logger"
import process from "node:process"

/** Writes one log entry as a line on stderr. */
export const write = ({ date, logLevel, message }: Logger.Options<unknown>): void => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  process.stderr.write(`${date.toISOString()} ${logLevel.toUpperCase()} ${text}\n`)
}
