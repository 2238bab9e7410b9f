/**
 * The `network2` command line: one effect/cli root command with the subcommands of `./commands/`.
 * Importing this module starts the CLI only when it is the program's entry (the bin, or this file run
 * directly); tests import it without running anything.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as Command from "effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { createRequire } from "node:module"
import process from "node:process"
import { command as decode } from "./commands/Decode.ts"
import { command as demo } from "./commands/DemoCommand.ts"
import { fetch, follow, handshake } from "./commands/PeerCommands.ts"
import { command as relay } from "./commands/Relay.ts"
import { command as serve } from "./commands/ServeCommand.ts"
import { mempool, query, submitTx } from "./commands/LocalCommands.ts"
import * as Runner from "./Runner.ts"

/**
 * The version of `@pallas-network2/cli`, read from its package.json at run time (the same relative
 * path from `src/` and from `dist/`).
 *
 * @category constants
 * @since 0.1.0
 */
export const version: string = (createRequire(import.meta.url)("../package.json") as { readonly version: string }).version

const subcommands = [demo, serve, relay, handshake, follow, fetch, query, submitTx, mempool, decode] as const

/**
 * The root command, `network2`, with its subcommands in help order.
 *
 * @category commands
 * @since 0.1.0
 */
export const cli = Command.make("network2").pipe(
  Command.withDescription(
    "The Cardano Ouroboros network for Effect: serve a chain, sync it, talk to peers and to your own node over its socket, decode messages."
  ),
  Command.withSubcommands(subcommands)
)

const names = new Set<string>(subcommands.map((c) => c.name))

/**
 * Runs the command line `argv` (without node and the script) and resolves to the exit code: 0
 * success, 1 a command that did not succeed, 2 a bad command line, 70 an internal error. Every
 * failure is one readable line on stderr.
 *
 * @category running
 * @since 0.1.0
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, Command.Environment> => {
  const sub = argv.find((a) => names.has(a))
  return Runner.toExitCode(Command.runWith(cli, { version })(argv), sub === undefined ? "network2" : `network2 ${sub}`)
}

/**
 * `run` with the Node services, as a promise of the exit code.
 *
 * @category running
 * @since 0.1.0
 */
export const main = (argv: ReadonlyArray<string>): Promise<number> =>
  Effect.runPromise(run(argv).pipe(Effect.provide(NodeServices.layer)))

const isEntry = process.argv[1] !== undefined && /network2(\.js)?$|main\.(ts|js)$/.test(process.argv[1])
if (isEntry) {
  // a closed pipe (`network2 decode ... | head`) ends the output quietly
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
  })
  NodeRuntime.runMain(run(process.argv.slice(2)).pipe(Effect.provide(NodeServices.layer)), {
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? (exit.value as number) : Cause.hasInterruptsOnly(exit.cause) ? 0 : 70)
  })
}
