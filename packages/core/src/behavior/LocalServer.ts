/**
 * The local-node stand-in: the node's side of node-to-client connections, for applications' tests
 * and demos. It answers the node-to-client handshake, serves local chain-sync (whole blocks) from any
 * {@link ChainSource} (following appends and roll-backs of a live one), keeps a mempool that local
 * tx-submission fills and local tx-monitor reads, and answers local state queries through a
 * pluggable {@link QueryHandler}.
 *
 * - Transactions: accepted unless a {@link TxValidator} rejects them (its reason's bytes go on the
 *   wire as they are), the transaction is over `maxTxSize`, already in the mempool, or the mempool
 *   is full.
 * - Queries: the default handler answers the chain point, the block number, the system start, the
 *   current era and the epoch (`floor(slot / epochLength)`, an era mismatch for another era); any
 *   other query is refused: the connection is closed with the query in the reason, as the node does
 *   with a query it cannot read.
 * - Limits: at most `maxConnections` clients; a message before the handshake closes the client; every
 *   close has a readable reason (`ClientDisconnected`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Behavior from "../Behavior.ts"
import { ChainSource, type ChainSourceError, type ChainSourceShape } from "../chain/ChainSource.ts"
import * as Cbor from "../cbor/Cbor.ts"
import type { Direction, Interface, InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { ProtocolName } from "../Message.ts"
import type { AnyNodeToClientMessage } from "../protocol/NodeToClient.ts"
import type { PeerId } from "../Primitives.ts"
import type { ConnectionError } from "../ProtocolError.ts"
import { EraTx, Point, type Tip } from "../protocol/Common.ts"
import type * as Handshake from "../protocol/Handshake.ts"
import * as LocalStateQuery from "../protocol/LocalStateQuery.ts"
import * as W from "./internal/local-wire.ts"
import { forEachRun } from "./internal/sentRuns.ts"
import * as ChainSyncServer from "./localServer/chainSync.ts"
import {
  type Connection,
  type Lifecycle,
  makeContext,
  newConnection,
  reading,
  settingsOf,
  type SubBehavior
} from "./localServer/context.ts"
import * as HandshakeServer from "./localServer/handshake.ts"
import * as StateQueryServer from "./localServer/stateQuery.ts"
import * as TxMonitorServer from "./localServer/txMonitor.ts"
import * as TxSubmissionServer from "./localServer/txSubmission.ts"

// ---------------------------------------------------------------------------------------------------
// services: mempool, validator, queries
// ---------------------------------------------------------------------------------------------------

/**
 * A transaction refused, with the reason's CBOR bytes (sent as they are in `MsgRejectTx`; bytes that
 * are not one CBOR item are sent as a CBOR byte string).
 *
 * @category errors
 * @since 0.1.0
 */
export class TxRejection extends Schema.TaggedError<TxRejection>()("TxRejection", {
  reason: Schema.Uint8Array,
  detail: Schema.String
}) {
  override get message(): string {
    return `transaction rejected: ${this.detail}`
  }
}

/**
 * Makes a rejection whose reason is a CBOR text (for the stand-in's own refusals).
 *
 * @category constructors
 * @since 0.1.0
 */
export const rejectWithText = (text: string): TxRejection => new TxRejection({ reason: Cbor.encode(text), detail: text })

/**
 * One transaction in the mempool.
 *
 * @category models
 * @since 0.1.0
 */
export interface MempoolTx {
  readonly txId: Uint8Array
  readonly tx: EraTx
}

/**
 * What the mempool holds at one moment (`version` changes with every change).
 *
 * @category models
 * @since 0.1.0
 */
export interface MempoolSnapshot {
  readonly version: number
  readonly txs: ReadonlyArray<MempoolTx>
  readonly sizeInBytes: number
  readonly capacityInBytes: number
}

/**
 * The stand-in's mempool, shared by every client. `add` refuses a duplicate or a transaction that
 * does not fit.
 *
 * @category models
 * @since 0.1.0
 */
export interface MempoolShape {
  readonly add: (tx: EraTx) => Effect.Effect<MempoolTx, TxRejection>
  readonly remove: (txIds: ReadonlyArray<Uint8Array>) => Effect.Effect<void>
  readonly clear: Effect.Effect<void>
  readonly snapshot: Effect.Effect<MempoolSnapshot>
  /** Every change's new version, from now on. */
  readonly changes: Stream.Stream<number>
}

/**
 * The mempool service (optional: the stand-in makes its own when none is provided).
 *
 * @category services
 * @since 0.1.0
 */
export class LocalMempool extends Context.Service<LocalMempool, MempoolShape>()("@pallas-network2/core/LocalMempool") {}

/**
 * Makes a mempool of `capacityInBytes` (default 180 224, twice a 90 112-byte block body).
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeMempool = Effect.fnUntraced(function*(capacityInBytes = 180_224) {
  const txs: Array<MempoolTx> = []
  let bytes = 0
  let version = 0
  const pubsub = yield* PubSub.unbounded<number>()
  const changed = () => {
    version++
    return Effect.asVoid(PubSub.publish(pubsub, version))
  }
  const self: MempoolShape = {
    add: (tx) =>
      Effect.suspend(() => {
        const txId = EraTx.txId(tx).txId
        const hex = Cbor.toHex(txId)
        if (txs.some((t) => Cbor.toHex(t.txId) === hex)) return Effect.fail(rejectWithText(`transaction ${hex} is already in the mempool`))
        if (bytes + tx.bytes.length > capacityInBytes) {
          return Effect.fail(rejectWithText(`mempool full: ${bytes} of ${capacityInBytes} bytes used, the transaction has ${tx.bytes.length}`))
        }
        const entry = { txId, tx }
        txs.push(entry)
        bytes += tx.bytes.length
        return Effect.as(changed(), entry)
      }),
    remove: (ids) =>
      Effect.suspend(() => {
        const drop = new Set(ids.map(Cbor.toHex))
        const before = txs.length
        for (let i = txs.length - 1; i >= 0; i--) {
          if (drop.has(Cbor.toHex(txs[i]!.txId))) {
            bytes -= txs[i]!.tx.bytes.length
            txs.splice(i, 1)
          }
        }
        return txs.length === before ? Effect.void : changed()
      }),
    clear: Effect.suspend(() => {
      txs.length = 0
      bytes = 0
      return changed()
    }),
    snapshot: Effect.sync(() => ({ version, txs: [...txs], sizeInBytes: bytes, capacityInBytes })),
    changes: Stream.fromPubSub(pubsub)
  }
  return self
})

/**
 * Validates a submitted transaction: succeed to accept it, fail with a {@link TxRejection} to reject
 * it with that reason. Absent: every transaction is accepted.
 *
 * @example
 * ```ts
 * import { Cbor, LocalServer } from "@pallas-network2/core"
 * import { Effect, Layer } from "effect"
 * const RejectAll = Layer.succeed(LocalServer.TxValidator, {
 *   validate: () => Effect.fail(new LocalServer.TxRejection({ reason: Cbor.encode([[6, [1]]]), detail: "no" }))
 * })
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class TxValidator extends Context.Service<TxValidator, {
  readonly validate: (tx: EraTx, txId: Uint8Array) => Effect.Effect<void, TxRejection>
}>()("@pallas-network2/core/LocalTxValidator") {}

/**
 * A query the stand-in does not answer.
 *
 * @category errors
 * @since 0.1.0
 */
export class QueryUnsupported extends Schema.TaggedError<QueryUnsupported>()("QueryUnsupported", {
  query: Schema.Uint8Array,
  detail: Schema.String
}) {
  override get message(): string {
    return `query not answered: ${this.detail} (${Cbor.toHex(this.query)})`
  }
}

/**
 * The ledger state a client acquired: the point, the tip then, and what is read from the block there.
 *
 * @category models
 * @since 0.1.0
 */
export interface AcquiredState {
  readonly point: Point
  readonly tip: Tip
  /** Block number of the acquired block (`undefined` at origin). */
  readonly blockNo: number | undefined
  /** Slot of the acquired block (0 at origin). */
  readonly slot: number
  /** Era index of the acquired block (the configured `originEra` at origin). */
  readonly era: number
}

/**
 * Answers local state queries against an acquired state: the exact result bytes, or
 * {@link QueryUnsupported}. Absent: {@link defaultQueries}.
 *
 * @category services
 * @since 0.1.0
 */
export class QueryHandler extends Context.Service<QueryHandler, {
  readonly answer: (query: Uint8Array, state: AcquiredState) => Effect.Effect<Uint8Array, QueryUnsupported>
}>()("@pallas-network2/core/LocalQueryHandler") {}

const SYSTEM_START_HEX = Cbor.toHex(LocalStateQuery.Query.getSystemStart())
const CHAIN_BLOCK_NO_HEX = Cbor.toHex(LocalStateQuery.Query.getChainBlockNo())
const CHAIN_POINT_HEX = Cbor.toHex(LocalStateQuery.Query.getChainPoint())
const CURRENT_ERA_HEX = Cbor.toHex(LocalStateQuery.Query.getCurrentEra())

/**
 * The stand-in's answers to the queries apps ask most, as a handler another one can fall back on:
 * `GetSystemStart`, `GetChainBlockNo`, `GetChainPoint`, `GetCurrentEra` and the era's `GetEpochNo`
 * (an era mismatch for another era). Everything else is {@link QueryUnsupported}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultQueries = (config: Pick<LocalServerConfig, "systemStart" | "epochLength"> = {}) => {
  const start = config.systemStart ?? { year: 2022, dayOfYear: 1, picosecondsOfDay: 0n }
  const epochLength = config.epochLength ?? 432_000
  return (query: Uint8Array, state: AcquiredState): Effect.Effect<Uint8Array, QueryUnsupported> => {
    const hex = Cbor.toHex(query)
    if (hex === SYSTEM_START_HEX) return Effect.succeed(Cbor.encode([start.year, start.dayOfYear, start.picosecondsOfDay]))
    if (hex === CHAIN_BLOCK_NO_HEX) return Effect.succeed(Cbor.encode(state.blockNo === undefined ? [0] : [1, state.blockNo]))
    if (hex === CHAIN_POINT_HEX) return Effect.succeed(Cbor.encode(Point.toCbor(state.point)))
    if (hex === CURRENT_ERA_HEX) return Effect.succeed(Cbor.encode(state.era))
    const block = W.readBlockQuery(query)
    if (block !== undefined && Array.isArray(block.query) && block.query.length === 1 && block.query[0] === 1) {
      if (block.era !== state.era) return Effect.succeed(W.ifCurrentMismatch(block.era, state.era))
      return Effect.succeed(W.ifCurrentMatch(Cbor.encode(Math.floor(state.slot / epochLength))))
    }
    return Effect.fail(new QueryUnsupported({ query, detail: "the stand-in does not answer this query" }))
  }
}

// ---------------------------------------------------------------------------------------------------
// configuration, commands, events
// ---------------------------------------------------------------------------------------------------

/**
 * Options of the stand-in.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalServerConfig {
  /** Default mainnet (764824073). */
  readonly networkMagic?: number
  /** Node-to-client versions served (without the node-to-client bit). Default 16 to 23. */
  readonly versions?: ReadonlyArray<number>
  /** At most this many clients at once; more are closed at once. Default 64. */
  readonly maxConnections?: number
  /** Bigger transactions are rejected. Default 16 384 bytes. */
  readonly maxTxSize?: number
  /** The mempool's capacity when the stand-in makes its own. Default 180 224 bytes. */
  readonly mempoolCapacity?: number
  /** `GetSystemStart`'s answer. Default 2022, day 1, 0 ps. */
  readonly systemStart?: { readonly year: number; readonly dayOfYear: number; readonly picosecondsOfDay: bigint }
  /** Slots per epoch for `GetEpochNo`. Default 432 000. */
  readonly epochLength?: number
  /** The era reported at origin (an empty chain). Default 6 (Conway). */
  readonly originEra?: number
}

/**
 * Commands: close a client.
 *
 * @category models
 * @since 0.1.0
 */
export type LocalServerCommand = { readonly _tag: "DisconnectClient"; readonly peer: PeerId; readonly reason?: string | undefined }

/**
 * What the stand-in tells the application: each client's life (`ClientConnected`,
 * `HandshakeAccepted`, `HandshakeRefused`, `HandshakeQueried`, `ClientDisconnected` with its reason),
 * `TxAccepted` / `TxRejected`, `QueryRefused`, `ProtocolViolation` and `CommandRejected`.
 *
 * @category models
 * @since 0.1.0
 */
export type LocalServerEvent =
  | { readonly _tag: "ClientConnected"; readonly peer: PeerId }
  | { readonly _tag: "HandshakeAccepted"; readonly peer: PeerId; readonly version: number; readonly versionData: Handshake.VersionData }
  | { readonly _tag: "HandshakeRefused"; readonly peer: PeerId; readonly reason: string }
  | { readonly _tag: "HandshakeQueried"; readonly peer: PeerId }
  | { readonly _tag: "ClientDisconnected"; readonly peer: PeerId; readonly reason: string; readonly served: ServedStats }
  | { readonly _tag: "TxAccepted"; readonly peer: PeerId; readonly txId: Uint8Array; readonly tx: EraTx }
  | { readonly _tag: "TxRejected"; readonly peer: PeerId; readonly txId: Uint8Array; readonly reason: Uint8Array; readonly detail: string }
  | { readonly _tag: "QueryRefused"; readonly peer: PeerId; readonly query: Uint8Array; readonly detail: string }
  | { readonly _tag: "ProtocolViolation"; readonly peer: PeerId; readonly error: ConnectionError }
  | { readonly _tag: "CommandRejected"; readonly command: LocalServerCommand; readonly reason: string }

/**
 * What a client was served.
 *
 * @category models
 * @since 0.1.0
 */
export interface ServedStats {
  readonly blocks: number
  readonly queries: number
  readonly txs: number
}

/**
 * A short line describing an event, as the CLI logs it.
 *
 * @category utils
 * @since 0.1.0
 */
export const describeEvent = (event: LocalServerEvent): string => {
  switch (event._tag) {
    case "ClientConnected":
      return `${event.peer} connected`
    case "HandshakeAccepted":
      return `${event.peer} handshake accepted: node-to-client v${event.version}`
    case "HandshakeRefused":
      return `${event.peer} handshake refused: ${event.reason}`
    case "HandshakeQueried":
      return `${event.peer} queried our versions`
    case "ClientDisconnected":
      return `${event.peer} closed: ${event.reason} (served ${event.served.blocks} blocks, ${event.served.queries} queries, ${event.served.txs} txs)`
    case "TxAccepted":
      return `${event.peer} tx ${Cbor.toHex(event.txId)} accepted`
    case "TxRejected":
      return `${event.peer} tx ${Cbor.toHex(event.txId)} rejected: ${event.detail}`
    case "QueryRefused":
      return `${event.peer} query refused: ${event.detail}`
    case "ProtocolViolation":
      return `${event.peer} protocol violation: ${event.error.message}`
    case "CommandRejected":
      return `${event.command._tag} rejected: ${event.reason}`
  }
}

/**
 * The stand-in's view of one client.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalServerPeerState {
  readonly handshake: "pending" | "accepted" | "refused" | "queried" | "rejected"
  readonly version: number | undefined
  readonly cursor: Point
  readonly awaiting: boolean
  readonly acquired: AcquiredState | undefined
  readonly served: ServedStats
  readonly closing: string | undefined
}

/**
 * The stand-in behavior's service key.
 *
 * @category services
 * @since 0.1.0
 */
export const LocalServerBehavior = Behavior.key<LocalServerEvent, LocalServerCommand, LocalServerPeerState, AnyNodeToClientMessage>(
  "@pallas-network2/core/LocalServerBehavior"
)

/**
 * The service key of the Manager that drives the stand-in.
 *
 * @category services
 * @since 0.1.0
 */
export const LocalServerManager = Manager.key(LocalServerBehavior)

/**
 * The stand-in behavior's shape.
 *
 * @category models
 * @since 0.1.0
 */
export type LocalServerBehaviorShape = Behavior.Behavior<LocalServerEvent, LocalServerCommand, LocalServerPeerState, AnyNodeToClientMessage>

/**
 * Makes the stand-in in the current scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChainSource, GeneratedChain, LocalServer } from "@pallas-network2/core"
 * const program = Effect.gen(function*() {
 *   const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 10 }))
 *   const server = yield* LocalServer.make({ networkMagic: 2 }, chain)
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(
  config: LocalServerConfig,
  chain: ChainSourceShape,
  services: {
    readonly mempool?: MempoolShape | undefined
    readonly validator?: TxValidator["Service"] | undefined
    readonly queries?: QueryHandler["Service"] | undefined
  } = {}
): Effect.fn.Return<LocalServerBehaviorShape, never, Scope.Scope> {
  const settings = settingsOf(config)
  const mempool = services.mempool ?? (yield* makeMempool(config.mempoolCapacity))
  const ctx = yield* makeContext(settings, chain, mempool)
  const connections = ctx.connections
  /** The stand-in's rules for a submitted transaction: the size limit, the validator, then the mempool. */
  const admit = Effect.fnUntraced(function*(tx: EraTx, txId: Uint8Array) {
    if (tx.bytes.length > settings.maxTxSize) {
      return yield* rejectWithText(`the transaction has ${tx.bytes.length} bytes, over the limit of ${settings.maxTxSize}`)
    }
    if (services.validator !== undefined) yield* services.validator.validate(tx, txId)
    return yield* mempool.add(tx)
  })
  const handshake = HandshakeServer.make(ctx)
  const chainSync = yield* ChainSyncServer.make(ctx)
  const stateQuery = StateQueryServer.make(ctx, services.queries?.answer ?? defaultQueries(config))
  const txSubmission = TxSubmissionServer.make(ctx, admit)
  const txMonitor = TxMonitorServer.make(ctx)
  /** The handshake and every local mini-protocol's server side, in the order a client's state is made and dropped. */
  const parts: ReadonlyArray<Lifecycle> = [handshake, chainSync, stateQuery, txSubmission, txMonitor]

  /** A sub-behavior as the router sees it: any message of its protocol in, and its messages written out. */
  interface Port {
    readonly receive: (conn: Connection, message: AnyNodeToClientMessage) => Effect.Effect<void, ChainSourceError>
    readonly sent: (conn: Connection, messages: ReadonlyArray<AnyNodeToClientMessage>) => void
  }
  const port = <R extends AnyNodeToClientMessage, V>(server: SubBehavior<R, V>): readonly [ProtocolName, Port] => [
    server.protocol,
    { receive: (conn, m) => server.isRequest(m) ? server.onMessage(conn, m) : Effect.void, sent: server.onSent }
  ]
  /** Each mini-protocol's port, by its name. */
  const ports = new Map<ProtocolName, Port>([
    port(handshake),
    port(chainSync),
    port(stateQuery),
    port(txSubmission),
    port(txMonitor)
  ])

  /** A client's message to the port of its protocol: the handshake's at any time, the others' once it is accepted. */
  const onMessage = (conn: Connection, message: AnyNodeToClientMessage): Effect.Effect<void, ChainSourceError> => {
    const port = ports.get(message.protocol)
    if (message.protocol === "handshake") return port?.receive(conn, message) ?? Effect.void
    if (conn.handshake !== "accepted") {
      return Effect.sync(() => ctx.close(conn, `${message.protocol} ${message._tag} before the handshake was accepted`))
    }
    if (port === undefined) return Effect.sync(() => ctx.close(conn, `${message.protocol} is not a node-to-client protocol`))
    return port.receive(conn, message)
  }

  // ---- connection lifecycle ------------------------------------------------------------------------

  const onConnected = Effect.fnUntraced(function*(peer: PeerId, direction: Direction) {
    const conn = newConnection(peer)
    connections.set(peer, conn)
    for (const part of parts) yield* part.connected(conn)
    if (direction !== "inbound") return ctx.close(conn, "the stand-in does not dial out")
    ctx.emit({ _tag: "ClientConnected", peer })
    if (connections.size > settings.maxConnections) {
      conn.handshake = "rejected"
      ctx.close(conn, `over the limit of ${settings.maxConnections} clients`)
    }
  })

  const onDisconnected = Effect.fnUntraced(function*(peer: PeerId) {
    const conn = connections.get(peer)
    if (conn === undefined) return
    connections.delete(peer)
    for (const part of parts) yield* part.disconnected(conn)
    const reason = conn.closing ?? conn.error ?? "closed by the client"
    ctx.emit({ _tag: "ClientDisconnected", peer, reason, served: { ...conn.served } })
  })

  // hoisted: a generator function written inline is built again at every call (as in the responder)
  const onIo = Effect.fnUntraced(function*(event: InterfaceEvent<AnyNodeToClientMessage>) {
    switch (event._tag) {
      case "Connected":
        return yield* onConnected(event.peer, event.direction)
      case "Disconnected":
        return yield* onDisconnected(event.peer)
      case "Error": {
        const conn = connections.get(event.peer)
        if (conn === undefined) return
        conn.error ??= event.error.message
        if (event.error._tag !== "TransportError") ctx.emit({ _tag: "ProtocolViolation", peer: event.peer, error: event.error })
        return
      }
      case "Sent": {
        const conn = connections.get(event.peer)
        if (conn !== undefined) forEachRun(event.messages, (protocol, run) => ports.get(protocol)?.sent(conn, run))
        return
      }
      case "Recv": {
        const conn = connections.get(event.peer)
        if (conn === undefined) return
        for (const m of event.messages) {
          if (!reading(conn)) return
          yield* onMessage(conn, m).pipe(Effect.catchTag("ChainSourceError", (e) => ctx.chainFailed(conn, e)))
        }
        return
      }
      default:
        return
    }
  })
  const handleIo = (event: InterfaceEvent<AnyNodeToClientMessage>): Effect.Effect<void> => ctx.locked(onIo(event))

  const execute = (command: LocalServerCommand): Effect.Effect<void> =>
    ctx.locked(Effect.sync(() => {
      const conn = connections.get(command.peer)
      if (conn === undefined || conn.closing !== undefined) {
        return ctx.emit({ _tag: "CommandRejected", command, reason: `${command.peer} is not connected` })
      }
      ctx.close(conn, command.reason ?? "closed by the application")
    }))

  const snapshot = (conn: Connection): LocalServerPeerState => {
    const { awaiting, cursor } = chainSync.view(conn)
    return {
      handshake: conn.handshake,
      version: conn.version,
      cursor,
      awaiting,
      acquired: stateQuery.view(conn),
      served: { ...conn.served },
      closing: conn.closing
    }
  }

  const behavior: LocalServerBehaviorShape = {
    handleIo,
    execute,
    outputs: ctx.outputs,
    outbox: ctx.outbox,
    peers: ctx.locked(Effect.sync(() => new Map([...connections].map(([p, conn]) => [p, snapshot(conn)] as const))))
  }
  return behavior
})

/**
 * The stand-in's layer: needs a {@link ChainSource}; uses {@link LocalMempool}, {@link TxValidator}
 * and {@link QueryHandler} when they are provided.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GeneratedChain, LocalServer } from "@pallas-network2/core"
 * const StandIn = LocalServer.layerManager({ networkMagic: 2 }).pipe(Layer.provide(GeneratedChain.layer({ blocks: 100 })))
 * // still needs an Interface listening over LocalClient.protocols, e.g. UnixInterface.layer({ listen: path, protocols })
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (config: LocalServerConfig = {}): Layer.Layer<LocalServerBehaviorShape, never, ChainSource> =>
  Layer.effect(
    LocalServerBehavior,
    Effect.gen(function*() {
      const chain = yield* ChainSource
      const mempool = Option.getOrUndefined(yield* Effect.serviceOption(LocalMempool))
      const validator = Option.getOrUndefined(yield* Effect.serviceOption(TxValidator))
      const queries = Option.getOrUndefined(yield* Effect.serviceOption(QueryHandler))
      return yield* make(config, chain, { mempool, validator, queries })
    })
  )

/**
 * The stand-in and its Manager in one layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerManager = (
  config: LocalServerConfig = {}
): Layer.Layer<
  Manager.Manager<LocalServerEvent, LocalServerCommand> | LocalServerBehaviorShape,
  never,
  Interface<AnyNodeToClientMessage> | ChainSource
> => Manager.layer(LocalServerBehavior).pipe(Layer.provideMerge(layer(config)))

/**
 * A mempool layer (to share one mempool with the test or the application).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMempool = (capacityInBytes?: number): Layer.Layer<LocalMempool> =>
  Layer.effect(LocalMempool, makeMempool(capacityInBytes))
