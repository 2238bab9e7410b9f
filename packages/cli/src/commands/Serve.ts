/**
 * `network2 serve [--host 127.0.0.1] [--port 3001] [--magic 764824073] [--chain PATH] [--blocks N]
 * [--live ...] [--sdu-timeout MS] [--handshake-timeout MS] [--ban-duration MS]`: runs the node-to-node responder on TCP until interrupted
 * (with `--socket-path P`, the node-to-client stand-in on that Unix socket instead). It serves the chunk file or ImmutableDB
 * folder at `--chain`, or else a generated chain (logged as SYNTHETIC: it is not a real chain). It logs
 * each peer's handshake, what it asked for and why it was closed, and on SIGINT closes every
 * connection and exits with code 0.
 *
 * @since 0.1.0
 */
import * as Command from "effect/cli/Command"
import * as Duration from "effect/Duration"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ChainSource, GeneratedChain, type Interface, ReplayChain, Responder } from "@pallas-network2/core"
import type { AnyNodeToNodeMessage } from "@pallas-network2/core/protocol/NodeToNode"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as Params from "../Params.ts"
import * as Telemetry from "../Telemetry.ts"
import * as LocalCommands from "./LocalCommands.ts"
import * as ImmutableDb from "@pallas-network2/node/ImmutableDb"
import type * as ListenError from "@pallas-network2/node/ListenError"

/**
 * The options of `network2 serve`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ServeOptions {
  readonly host: string
  readonly port: number
  readonly magic: number
  /** A chunk file or an ImmutableDB folder; absent: a generated chain. */
  readonly chain?: string | undefined
  /** How many blocks the generated chain has (default 2 000). */
  readonly blocks?: number | undefined
  /** Largest block body of the generated chain, in bytes (default 64 000). */
  readonly maxBodySize?: number | undefined
  /** Serve the chain as a live one: start with a prefix and append a block per block time. */
  readonly live?: ReplayChain.ReplayOptions | undefined
  /** Time for a started segment to arrive whole (ms), during and after the handshake (default 10 s / 30 s). */
  readonly sduTimeout?: number | undefined
  /** An inbound connection without a handshake is closed after this long (ms; default 5 s). */
  readonly handshakeTimeout?: number | undefined
  /** How long an IP stays banned after a protocol violation (ms; default 15 minutes). */
  readonly banDuration?: number | undefined
}

/**
 * The defaults of `network2 serve`.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaults = { host: "127.0.0.1", port: 3001, magic: 764824073, blocks: 2000 } as const

/**
 * Whether the chain served is the generated one.
 *
 * @category utils
 * @since 0.1.0
 */
export const isSynthetic = (options: ServeOptions): boolean => options.chain === undefined

/**
 * The ChainSource of `network2 serve`: the ImmutableDB at `--chain`, or a generated synthetic chain.
 *
 * @category layers
 * @since 0.1.0
 */
export const chainLayer = (options: ServeOptions): Layer.Layer<ChainSource.ChainSource, ImmutableDb.ImmutableDbError> => {
  const generated = () =>
    GeneratedChain.generate({
      blocks: options.blocks ?? defaults.blocks,
      ...(options.maxBodySize !== undefined ? { maxBodySize: options.maxBodySize, minBodySize: Math.min(1000, options.maxBodySize) } : {})
    })
  if (options.live !== undefined) {
    const live = options.live
    return Layer.unwrap(Effect.map(
      options.chain === undefined ? Effect.sync(generated) : ImmutableDb.readBlocks(options.chain),
      (blocks) => ReplayChain.layer(blocks, live)
    ))
  }
  return options.chain === undefined
    ? GeneratedChain.layer({
      blocks: options.blocks ?? defaults.blocks,
      ...(options.maxBodySize !== undefined ? { maxBodySize: options.maxBodySize, minBodySize: Math.min(1000, options.maxBodySize) } : {})
    })
    : ImmutableDb.layer(options.chain)
}

/**
 * The responder's configuration for `network2 serve`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const responderConfig = (options: ServeOptions): Responder.ResponderConfig => ({
  mode: "auto",
  networkMagic: options.magic,
  ...(options.handshakeTimeout !== undefined || options.banDuration !== undefined
    ? {
      limits: {
        ...(options.handshakeTimeout !== undefined ? { idleTimeout: Duration.millis(options.handshakeTimeout) } : {}),
        ...(options.banDuration !== undefined ? { banDuration: Duration.millis(options.banDuration) } : {})
      }
    }
    : {})
})

/**
 * Logs what is served, then every responder event until interrupted; on interruption logs how many
 * connections were open (the Interface's scope closes them).
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(options: ServeOptions) {
  const chain = yield* ChainSource.ChainSource
  const behavior = yield* Responder.ResponderBehavior
  const manager = yield* Responder.ResponderManager
  const tip = yield* chain.tip
  const length = yield* chain.length
  if (isSynthetic(options)) {
    yield* Effect.logWarning(
      `serving a SYNTHETIC chain: ${chain.label}; generated blocks with fake signatures, not a real Cardano chain (use --chain PATH to serve real blocks)`
    )
  } else {
    yield* Effect.log(`serving ${chain.label}`)
  }
  yield* Effect.log(
    `${length} blocks, tip block ${tip.blockNo} at ${Point.toString(tip.point)}`
  )
  yield* Effect.log(
    `listening on ${options.host}:${options.port}, network magic ${options.magic}, node-to-node v11-v16; Ctrl-C to stop`
  )
  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      const open = yield* behavior.peers
      yield* Effect.log(`shutting down: closing ${open.size} connection${open.size === 1 ? "" : "s"}`)
    })
  )
  yield* manager.events.pipe(
    Stream.runForEach((event) => {
      const line = Responder.describeEvent(event)
      switch (event._tag) {
        case "ProtocolViolation":
        case "PeerBanned":
        case "HandshakeRefused":
        case "PeerRejected":
          return Effect.logWarning(line)
        default:
          return Effect.log(line)
      }
    })
  )
})

/**
 * The `serve` subcommand, given how to listen: `listen(host, port, sduTimeout)` is the Interface layer
 * that accepts inbound TCP connections (the node package's TCP interface; `sduTimeout` in ms bounds a
 * started segment, when given). SIGINT interrupts the command, which closes the Interface's scope and
 * so every connection.
 *
 * @category commands
 * @since 0.1.0
 */
export const command = <E, R>(
  listen: (host: string, port: number, sduTimeout?: number) => Layer.Layer<Interface.Interface<AnyNodeToNodeMessage>, E, R>
) =>
  Command.make(
    "serve",
    {
      host: Flag.String("host").pipe(Flag.withDefault(defaults.host), Flag.withDescription("address to listen on")),
      socketPath: Params.socketPath.pipe(
        Flag.withDescription("serve as a local node instead: the node-to-client stand-in on this Unix socket (query, submit-tx, mempool, follow)")
      ),
      port: Params.natural("port").pipe(Flag.withDefault(defaults.port), Flag.withDescription("TCP port (0: any free port)")),
      magic: Params.magic,
      chain: Flag.String("chain").pipe(
        Flag.withMetavar("PATH"),
        Flag.optional,
        Flag.withDescription("a chunk file or ImmutableDB folder to serve (default: a generated SYNTHETIC chain)")
      ),
      blocks: Params.positive("blocks").pipe(
        Flag.withDefault(defaults.blocks),
        Flag.withDescription("blocks in the generated chain")
      ),
      maxBodySize: Params.optional(Params.positive("max-body-size"), "largest block body of the generated chain, in bytes"),
      live: Params.toggle("live", "serve the chain as a live one: a block appended per block time, a rollback now and then"),
      start: Params.optional(Params.natural("start"), "--live: blocks on the chain at the start (default: half of them)"),
      blockTime: Params.durationOr("block-time", Duration.seconds(20), "--live: time between blocks (default 20s)"),
      rollbackEvery: Params.optional(Params.positive("rollback-every"), "--live: roll back after every K blocks"),
      rollbackDepth: Params.optional(Params.positive("rollback-depth"), "--live: how many blocks each rollback undoes"),
      // the same flags as relay's downstream limits
      sduTimeout: Params.responderLimits.sduTimeout,
      handshakeTimeout: Params.responderLimits.handshakeTimeout,
      banDuration: Params.responderLimits.banDuration,
      ...Params.telemetry
    },
    (flags): Effect.Effect<void, E | ChainSource.ChainSourceError | ImmutableDb.ImmutableDbError | ListenError.ListenError | Telemetry.TelemetryError, R> => {
      const live = (): ReplayChain.ReplayOptions => {
        const start = Option.getOrUndefined(flags.start)
        const every = Option.getOrUndefined(flags.rollbackEvery)
        const depth = Option.getOrUndefined(flags.rollbackDepth)
        return {
          ...(start !== undefined ? { start } : {}),
          blockTime: flags.blockTime,
          ...(every !== undefined ? { rollbackEvery: every } : {}),
          ...(depth !== undefined ? { rollbackDepth: depth } : {})
        }
      }
      const options: ServeOptions = {
        host: flags.host,
        port: flags.port,
        magic: flags.magic,
        chain: Option.getOrUndefined(flags.chain),
        blocks: flags.blocks,
        maxBodySize: Option.getOrUndefined(flags.maxBodySize),
        live: flags.live ? live() : undefined,
        sduTimeout: Option.getOrUndefined(flags.sduTimeout),
        handshakeTimeout: Option.getOrUndefined(flags.handshakeTimeout),
        banDuration: Option.getOrUndefined(flags.banDuration)
      }
      if (Option.isSome(flags.socketPath)) {
        return LocalCommands.serveSocket({ socketPath: flags.socketPath.value, magic: flags.magic, synthetic: isSynthetic(options) }, chainLayer(options)).pipe(
          Effect.provide(Telemetry.layer(flags))
        )
      }
      return run(options).pipe(
        Effect.scoped,
        Effect.provide(layer(options, listen(options.host, options.port, options.sduTimeout))),
        Effect.provide(Telemetry.layer(flags))
      )
    }
  ).pipe(
    Command.withDescription(
      "serve a chain (a node's ImmutableDB chunk file or folder, or a generated synthetic chain) to node-to-node peers over TCP until interrupted; with --socket-path, as a local node (node-to-client) on a Unix socket"
    ),
    Command.withShortDescription("serve a chain to node-to-node peers over TCP until interrupted")
  )

/**
 * Everything `run` needs, given the listening Interface layer: the responder, its manager and the
 * chain.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = <E, R>(options: ServeOptions, transport: Layer.Layer<Interface.Interface<AnyNodeToNodeMessage>, E, R>) =>
  Responder.layerManager(responderConfig(options)).pipe(
    Layer.provideMerge(chainLayer(options)),
    Layer.provide(transport)
  )
