/**
 * The `network2` command line: dispatches to the subcommands of `./commands/`.
 *
 * @since 0.1.0
 */
import process from "node:process"
import { type CliCommand, UsageError } from "./Command.ts"
import { command as decode } from "./commands/Decode.ts"
import { command as demo } from "./commands/DemoCommand.ts"
import { fetch, follow, handshake } from "./commands/PeerCommands.ts"
import { command as serve } from "./commands/ServeCommand.ts"

/**
 * The subcommands, in help order.
 *
 * Awaiting wiring by the lead (their flows exist but need the TCP interface / an adapter to the
 * `CliCommand` shape): `./commands/Demo.ts` (run), `./commands/Serve.ts` (an effect/cli `command`
 * taking the listen layer), `./commands/Follow.ts` (run), `./commands/Fetch.ts` (run),
 * `./commands/Handshake.ts` (run).
 *
 * @since 0.1.0
 */
export const commands: ReadonlyArray<CliCommand> = [demo, serve, handshake, follow, fetch, decode]

/**
 * The top-level help text.
 *
 * @since 0.1.0
 */
export const helpText = (): string => {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    "usage: network2 <command> [arguments]",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `network2 <command> --help` for a command's arguments."
  ].join("\n")
}

/**
 * Runs the command line `argv` (without node and the script) and resolves to the exit code.
 * User errors print their message only; unexpected errors print their message and exit 70.
 *
 * @since 0.1.0
 */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [name, ...rest] = argv
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(helpText() + "\n")
    return name === undefined ? 2 : 0
  }
  const cmd = commands.find((c) => c.name === name)
  if (cmd === undefined) {
    process.stderr.write(`network2: unknown command '${name}'\n\n${helpText()}\n`)
    return 2
  }
  try {
    return await cmd.run(rest)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`network2 ${name}: ${e.message}\n`)
      return e.exitCode
    }
    process.stderr.write(`network2 ${name}: ${e instanceof Error ? e.message : String(e)}\n`)
    if (process.env["NETWORK2_DEBUG"] && e instanceof Error) process.stderr.write(`${e.stack}\n`)
    return 70
  }
}

const isEntry = process.argv[1] !== undefined && /network2(\.js)?$|main\.ts$/.test(process.argv[1])
if (isEntry) {
  // a closed pipe (`network2 decode ... | head`) ends the output quietly
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
  })
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (e) => {
      process.stderr.write(`network2: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exitCode = 70
    }
  )
}
