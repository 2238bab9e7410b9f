/**
 * The shape every `network2` subcommand exports as `command`.
 *
 * @since 0.1.0
 */

/**
 * A subcommand: its name, a one-line summary for the help text, and `run`, which receives the
 * arguments after the subcommand name and resolves to the process exit code.
 *
 * @category models
 * @since 0.1.0
 */
export interface CliCommand {
  readonly name: string
  readonly summary: string
  readonly run: (argv: ReadonlyArray<string>) => Promise<number>
}

/**
 * An error caused by the user (bad arguments, bad input): main prints its message only, never a
 * stack trace, and exits with `exitCode` (default 2).
 *
 * @category errors
 * @since 0.1.0
 */
export class UsageError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode = 2) {
    super(message)
    this.name = "UsageError"
    this.exitCode = exitCode
  }
}

/**
 * The result of `parseArgs`: positional arguments and `--flag` / `--flag value` / `--flag=value`
 * options (flags without a value are `true`).
 *
 * @category models
 * @since 0.1.0
 */
export interface ParsedArgs {
  readonly positional: ReadonlyArray<string>
  readonly flags: ReadonlyMap<string, string | true>
}

/**
 * A small argument parser. `valued` names the flags that take a value; any other `--flag` is a
 * boolean. `--` ends flag parsing. Unknown flags (not in `valued` or `booleans`) are a UsageError.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseArgs = (
  argv: ReadonlyArray<string>,
  spec: { readonly valued?: ReadonlyArray<string>; readonly booleans?: ReadonlyArray<string> } = {}
): ParsedArgs => {
  const valued = new Set(spec.valued ?? [])
  const booleans = new Set(spec.booleans ?? [])
  const positional: Array<string> = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=")
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      if (valued.has(name)) {
        if (eq !== -1) flags.set(name, arg.slice(eq + 1))
        else {
          const value = argv[i + 1]
          if (value === undefined) throw new UsageError(`--${name} needs a value`)
          flags.set(name, value)
          i++
        }
      } else if (booleans.has(name) || name === "help") {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`)
        flags.set(name, true)
      } else {
        throw new UsageError(`unknown option --${name}`)
      }
    } else {
      positional.push(arg)
    }
  }
  return { positional, flags }
}
