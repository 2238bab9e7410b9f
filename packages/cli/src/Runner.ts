/**
 * How `network2` runs a command line: effect/cli parses it (help, `--version`, completions, argument
 * validation), the subcommand's handler runs with a logger on stderr, and whatever it ends with
 * becomes one readable line and an exit code.
 *
 * Exit codes: 0 success (or interrupted by SIGINT / SIGTERM, every scope closed); 1 a command that
 * did not succeed ({@link CommandFailed}, or a typed failure such as an unreadable chain); 2 a bad
 * command line (effect/cli's parse errors, {@link UsageError}) or no subcommand; 70 an internal error.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import process from "node:process"
import { CommandFailed, UsageError } from "./Errors.ts"
import * as StderrLine from "./internal/stderrLine.ts"

/**
 * Every log line on stderr as `<ISO time> <LEVEL> <message>`.
 *
 * @category layers
 * @since 0.1.0
 */
export const stderrLogger: Layer.Layer<never> = Logger.layer([Logger.make(StderrLine.write)])

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim()

/**
 * How effect/cli's help, version and parse errors are shown: help on stdout, `network2 <version>`,
 * and a bad command line as ONE line on stderr, `network2 <command>: <what is wrong> (see
 * network2 <command> --help)`.
 *
 * @category layers
 * @since 0.1.0
 */
export const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.sync(() => {
      switch (event._tag) {
        case "Help": {
          const formatter = CliOutput.defaultFormatter({ colors: process.stdout.isTTY === true, globalFlags: "summary" })
          process.stdout.write(formatter.formatHelpDoc(event.helpDoc) + "\n")
          return
        }
        case "Version":
          process.stdout.write(`${event.name} ${event.version}\n`)
          return
        case "InvalidInvocation": {
          const path = event.commandPath.join(" ")
          const what = event.errors.map((e) => oneLine(e.message)).join("; ")
          process.stderr.write(`${path}: ${what} (see ${path} --help)\n`)
          return
        }
      }
    })
}

/**
 * The exit code for how a command line ended, after printing its one line (if any) on stderr.
 * `name` prefixes the line (`network2 fetch`).
 *
 * @category running
 * @since 0.1.0
 */
export const exitCodeOf = (cause: Cause.Cause<unknown>, name: string): number => {
  if (Cause.hasInterruptsOnly(cause)) return 0
  const say = (line: string) => {
    if (line.length > 0) process.stderr.write(`${name}: ${oneLine(line)}\n`)
  }
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") {
    const e = failure.value
    // effect/cli has already shown the help or the one-line parse error
    if (CliError.isCliError(e) && e._tag === "ShowHelp") return 2
    if (e instanceof UsageError || CliError.isCliError(e)) {
      say(e.message)
      return 2
    }
    if (e instanceof CommandFailed) {
      say(e.detail)
      return e.exitCode ?? 1
    }
    say(e instanceof Error || (typeof e === "object" && e !== null && "message" in e) ? String((e as { message: unknown }).message) : String(e))
    return 1
  }
  const defect = Cause.squash(cause)
  say(`internal error: ${defect instanceof Error ? defect.message : String(defect)}`)
  if (process.env["NETWORK2_DEBUG"] && defect instanceof Error) process.stderr.write(`${defect.stack}\n`)
  return 70
}

/**
 * Runs `program` (a parsed command line) with the presenter and the stderr logger, and resolves to
 * its exit code; never fails.
 *
 * @category running
 * @since 0.1.0
 */
export const toExitCode = <E, R>(
  program: Effect.Effect<void, E, R>,
  name: string
): Effect.Effect<number, never, R> =>
  program.pipe(
    Effect.provide(Layer.mergeAll(CliOutput.layerPresenter(presenter), stderrLogger)),
    Effect.as(0),
    Effect.catchCause((cause) => Effect.sync(() => exitCodeOf(cause, name)))
  )
