/**
 * `network2 serve [--host 127.0.0.1] [--port 3001] [--magic 764824073] [--chain PATH] [--blocks N]
 * [--max-body-size BYTES] [--sdu-timeout MS] [--handshake-timeout MS] [--ban-duration MS]`: runs the
 * responder on TCP until interrupted.
 *
 * @since 0.1.0
 */
import { Protocols } from "@pallas-network2/core"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type CliCommand, parseArgs, UsageError } from "../Command.ts"
import { runCommand } from "../Runner.ts"
import * as Serve from "./Serve.ts"

const int = (value: string | true | undefined, name: string, fallback: number | undefined): number | undefined => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (value === true || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a non-negative integer`)
  return n
}

const duration = (value: string | true): Duration.Input => {
  const m = typeof value === "string" ? /^(\d+)(ms|s|m)?$/.exec(value) : null
  if (m === null) throw new UsageError("--block-time: a duration like 20s, 500ms or 1m")
  const n = Number(m[1])
  return m[2] === "ms" ? Duration.millis(n) : m[2] === "m" ? Duration.minutes(n) : Duration.seconds(n)
}

/**
 * The TCP Interface that listens for the responder; `sduTimeout` (ms) bounds a started segment during
 * and after the handshake (default 10 s / 30 s). @category layers @since 0.1.0
 */
export const listen = (host: string, port: number, sduTimeout?: number) =>
  TcpInterface.layer({
    protocols: Protocols.NodeToNode.protocols,
    listen: { host, port },
    duplex: false,
    initiatorOnInbound: true,
    ...(sduTimeout !== undefined ? { sduTimeout: { handshake: sduTimeout, after: sduTimeout } } : {})
  })

/** The `serve` subcommand. @category commands @since 0.1.0 */
export const command: CliCommand = {
  name: "serve",
  summary: "serve a chain (generated, or --chain PATH) to node-to-node peers over TCP until interrupted",
  run: (argv) => {
    const args = parseArgs(argv, {
      valued: ["host", "port", "magic", "chain", "blocks", "max-body-size", "start", "block-time", "rollback-every", "rollback-depth", "sdu-timeout", "handshake-timeout", "ban-duration"],
      booleans: ["live"]
    })
    if (args.flags.has("help")) {
      process.stdout.write(
        "usage: network2 serve [--host 127.0.0.1] [--port 3001] [--magic 764824073] [--chain PATH] [--blocks 2000] [--max-body-size BYTES]\n" +
          "                      [--live [--start N] [--block-time 20s] [--rollback-every K --rollback-depth D]]\n" +
          "                      [--sdu-timeout MS] [--handshake-timeout MS] [--ban-duration MS]\n" +
          "  --sdu-timeout MS        time for a started segment to arrive whole, during and after the handshake (default 10000 / 30000)\n" +
          "  --handshake-timeout MS  close an inbound connection that has not completed its handshake after MS (default 5000)\n" +
          "  --ban-duration MS       how long an IP stays banned after a protocol violation (default 900000, 15 minutes)\n"
      )
      return Promise.resolve(0)
    }
    const options: Serve.ServeOptions = {
      host: (args.flags.get("host") as string | undefined) ?? Serve.defaults.host,
      port: int(args.flags.get("port"), "port", Serve.defaults.port)!,
      magic: int(args.flags.get("magic"), "magic", Serve.defaults.magic)!,
      chain: args.flags.get("chain") as string | undefined,
      blocks: int(args.flags.get("blocks"), "blocks", Serve.defaults.blocks),
      maxBodySize: int(args.flags.get("max-body-size"), "max-body-size", undefined),
      live: args.flags.has("live")
        ? {
          ...(args.flags.has("start") ? { start: int(args.flags.get("start"), "start", undefined)! } : {}),
          blockTime: duration(args.flags.get("block-time") ?? "20s"),
          ...(args.flags.has("rollback-every") ? { rollbackEvery: int(args.flags.get("rollback-every"), "rollback-every", undefined)! } : {}),
          ...(args.flags.has("rollback-depth") ? { rollbackDepth: int(args.flags.get("rollback-depth"), "rollback-depth", undefined)! } : {})
        }
        : undefined,
      sduTimeout: int(args.flags.get("sdu-timeout"), "sdu-timeout", undefined),
      handshakeTimeout: int(args.flags.get("handshake-timeout"), "handshake-timeout", undefined),
      banDuration: int(args.flags.get("ban-duration"), "ban-duration", undefined)
    }
    return runCommand(
      Serve.run(options).pipe(
        Effect.scoped,
        Effect.provide(Serve.layer(options, listen(options.host, options.port, options.sduTimeout)) as Layer.Layer<any, any, never>)
      ) as Effect.Effect<void, unknown>
    )
  }
}
