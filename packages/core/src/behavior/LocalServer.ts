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
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as Behavior from "../Behavior.ts"
import * as Block from "../chain/Block.ts"
import { ChainSource, type ChainSourceError, type ChainSourceShape } from "../chain/ChainSource.ts"
import * as Cbor from "../cbor/Cbor.ts"
import { type Interface, InterfaceCommand, type InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { Message } from "../Message.ts"
import * as OutboundQueue from "../OutboundQueue.ts"
import { NetworkMagic, type PeerId } from "../Primitives.ts"
import type { ConnectionError } from "../ProtocolError.ts"
import { EraTx, Point, type Tip, WrappedBlock } from "../protocol/Common.ts"
import * as Handshake from "../protocol/Handshake.ts"
import * as LocalChainSync from "../protocol/LocalChainSync.ts"
import * as LocalStateQuery from "../protocol/LocalStateQuery.ts"
import * as LocalTxMonitor from "../protocol/LocalTxMonitor.ts"
import * as LocalTxSubmission from "../protocol/LocalTxSubmission.ts"
import * as W from "./internal/local-wire.ts"
import { answerProposal } from "./responder/handshake.ts"

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
export const LocalServerBehavior = Behavior.key<LocalServerEvent, LocalServerCommand, LocalServerPeerState>(
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
export type LocalServerBehaviorShape = Behavior.Behavior<LocalServerEvent, LocalServerCommand, LocalServerPeerState>

interface Client {
  readonly peer: PeerId
  handshake: LocalServerPeerState["handshake"]
  version: number | undefined
  closing: string | undefined
  error: string | undefined
  closeAfterSent: string | undefined
  // local chain-sync
  cursor: Point
  rollbackFirst: Point | undefined
  awaiting: boolean
  // local state query
  acquired: AcquiredState | undefined
  // local tx-monitor
  snapshot: (MempoolSnapshot & { readonly slot: number }) | undefined
  nextIndex: number
  // counters
  blocks: number
  queries: number
  txs: number
}

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
  const magic = config.networkMagic ?? NetworkMagic.mainnet
  const ourTable = Handshake.n2cVersionTable({ magic, versions: config.versions ?? Handshake.N2C_VERSIONS })
  const maxConnections = config.maxConnections ?? 64
  const maxTxSize = config.maxTxSize ?? 16_384
  const originEra = config.originEra ?? 6
  const mempool = services.mempool ?? (yield* makeMempool(config.mempoolCapacity))
  const answer = services.queries?.answer ?? defaultQueries(config)
  const out = yield* OutboundQueue.make<LocalServerEvent>()
  const lock = yield* Semaphore.make(1)
  const locked = <A, E, R>(effect: Effect.Effect<A, E, R>) => Semaphore.withPermit(lock, effect)
  const fibers = yield* FiberMap.make<string>()
  const clients = new Map<PeerId, Client>()

  const emit = (event: LocalServerEvent) => out.event(event)
  const send = (c: Client, message: Message) => out.command(InterfaceCommand.Send(c.peer, message))
  const close = (c: Client, reason: string) => {
    if (c.closing !== undefined) return
    c.closing = reason
    out.command(InterfaceCommand.Disconnect(c.peer, reason))
  }
  const stats = (c: Client): ServedStats => ({ blocks: c.blocks, queries: c.queries, txs: c.txs })
  /** The chain source failed while serving `c`: that client alone is closed, the reason logged. */
  const chainFailed = (c: Client, error: ChainSourceError) =>
    Effect.suspend(() => {
      const reason = `chain source failed: ${error.message}`
      close(c, reason)
      return Effect.logWarning(`${c.peer} closed: ${reason}`)
    })

  /** The state at a point on the chain; `undefined` when the point is not on it. */
  const stateAt = Effect.fnUntraced(function*(point: Point, tip: Tip) {
    if (point._tag === "Origin") return { point, tip, blockNo: undefined, slot: 0, era: originEra } satisfies AcquiredState
    const bytes = yield* chain.block(point)
    if (bytes === undefined) return undefined
    try {
      const b = Block.parse(bytes)
      return { point, tip, blockNo: b.blockNo, slot: b.slot, era: b.header.era } satisfies AcquiredState
    } catch {
      return { point, tip, blockNo: undefined, slot: point.slot, era: originEra } satisfies AcquiredState
    }
  })

  // ---- handshake ---------------------------------------------------------------------------------

  const onPropose = (c: Client, proposal: Handshake.VersionTable) => {
    if (c.handshake !== "pending") return close(c, "handshake: a second proposal")
    const answer = answerProposal(ourTable, proposal)
    switch (answer._tag) {
      case "Refuse": {
        const text = W.refusalText(answer.reason)
        c.handshake = "refused"
        c.closeAfterSent = answer.reply._tag
        send(c, answer.reply)
        emit({ _tag: "HandshakeRefused", peer: c.peer, reason: text })
        c.error = `handshake refused: ${text}`
        return
      }
      case "Query": {
        c.handshake = "queried"
        c.closeAfterSent = answer.reply._tag
        send(c, answer.reply)
        emit({ _tag: "HandshakeQueried", peer: c.peer })
        return
      }
      case "Accept": {
        c.handshake = "accepted"
        c.version = Handshake.plainVersion(answer.version)
        send(c, answer.reply)
        emit({ _tag: "HandshakeAccepted", peer: c.peer, version: c.version, versionData: answer.data })
        return
      }
    }
  }

  // ---- local chain-sync ----------------------------------------------------------------------------

  /** The next answer for a client at its cursor; `false` when it must wait at the tip. */
  const step = Effect.fnUntraced(function*(c: Client) {
    if (c.rollbackFirst !== undefined) {
      const point = c.rollbackFirst
      c.rollbackFirst = undefined
      c.cursor = point
      send(c, LocalChainSync.make.rollBackward(point, yield* chain.tip))
      return true
    }
    const next = yield* chain.next(c.cursor)
    if (next._tag === "RollBackward") {
      c.cursor = next.point
      send(c, LocalChainSync.make.rollBackward(next.point, next.tip))
      return true
    }
    if (next._tag === "AtTip") return false
    const bytes = yield* chain.block(next.point)
    if (bytes === undefined) return false // gone between the two reads: the change wakes us again
    c.cursor = next.point
    c.blocks++
    send(c, LocalChainSync.make.rollForward(WrappedBlock.fromBytes(bytes), next.tip))
    return true
  })

  const onChainSync = Effect.fnUntraced(function*(c: Client, m: LocalChainSync.Message) {
    switch (m._tag) {
      case "MsgFindIntersect": {
        const found = yield* chain.intersect(m.points)
        if (found === undefined) return send(c, LocalChainSync.make.intersectNotFound(yield* chain.tip))
        c.cursor = found.point
        c.rollbackFirst = found.point
        return send(c, LocalChainSync.make.intersectFound(found.point, found.tip))
      }
      case "MsgRequestNext": {
        if (yield* step(c)) return
        c.awaiting = true
        return send(c, LocalChainSync.make.awaitReply())
      }
      case "MsgDone": {
        c.cursor = Point.origin
        c.rollbackFirst = Point.origin
        c.awaiting = false
        return
      }
      default:
        return
    }
  })

  const wakeAwaiting = Effect.fnUntraced(function*() {
    for (const c of clients.values()) {
      if (!c.awaiting || c.closing !== undefined) continue
      if (yield* step(c).pipe(Effect.catchTag("ChainSourceError", (e) => Effect.as(chainFailed(c, e), false)))) c.awaiting = false
    }
  })

  // ---- local state query ---------------------------------------------------------------------------

  const onStateQuery = Effect.fnUntraced(function*(c: Client, m: LocalStateQuery.Message) {
    switch (m._tag) {
      case "MsgAcquire":
      case "MsgReAcquire": {
        const tip = yield* chain.tip
        const point = m.target._tag === "Point" ? m.target.point : tip.point
        const state = yield* stateAt(point, tip)
        if (state === undefined) {
          c.acquired = undefined
          return send(c, LocalStateQuery.make.failure(1))
        }
        c.acquired = state
        return send(c, LocalStateQuery.make.acquired())
      }
      case "MsgQuery": {
        const state = c.acquired
        if (state === undefined) return close(c, "local state query: MsgQuery with no state acquired")
        const result = yield* Effect.result(answer(m.query, state))
        if (result._tag === "Failure") {
          emit({ _tag: "QueryRefused", peer: c.peer, query: m.query, detail: result.failure.detail })
          return close(c, result.failure.message)
        }
        if (!W.isOneItem(result.success)) {
          emit({ _tag: "QueryRefused", peer: c.peer, query: m.query, detail: "the query handler's answer is not one CBOR item" })
          return close(c, `query not answered: the handler's answer to ${Cbor.toHex(m.query)} is not one CBOR item`)
        }
        c.queries++
        return send(c, LocalStateQuery.make.result(result.success))
      }
      case "MsgRelease":
      case "MsgDone": {
        c.acquired = undefined
        return
      }
      default:
        return
    }
  })

  // ---- local tx-submission -------------------------------------------------------------------------

  const onTxSubmission = Effect.fnUntraced(function*(c: Client, m: LocalTxSubmission.Message) {
    if (m._tag !== "MsgSubmitTx") return
    const txId = EraTx.txId(m.tx).txId
    const outcome = yield* Effect.result(Effect.gen(function*() {
      if (m.tx.bytes.length > maxTxSize) {
        return yield* rejectWithText(`the transaction has ${m.tx.bytes.length} bytes, over the limit of ${maxTxSize}`)
      }
      if (services.validator !== undefined) yield* services.validator.validate(m.tx, txId)
      return yield* mempool.add(m.tx)
    }))
    if (outcome._tag === "Success") {
      c.txs++
      send(c, LocalTxSubmission.make.acceptTx())
      emit({ _tag: "TxAccepted", peer: c.peer, txId, tx: m.tx })
      return
    }
    const reason = W.isOneItem(outcome.failure.reason) ? outcome.failure.reason : Cbor.encode(outcome.failure.reason)
    send(c, LocalTxSubmission.make.rejectTx(reason))
    emit({ _tag: "TxRejected", peer: c.peer, txId, reason, detail: outcome.failure.detail })
  })

  // ---- local tx-monitor ----------------------------------------------------------------------------

  const takeSnapshot = Effect.fnUntraced(function*(c: Client) {
    const snap = yield* mempool.snapshot
    const tip = yield* chain.tip
    c.snapshot = { ...snap, slot: tip.point._tag === "Origin" ? 0 : tip.point.slot }
    c.nextIndex = 0
    send(c, LocalTxMonitor.make.acquired(c.snapshot.slot))
  })

  const onTxMonitor = Effect.fnUntraced(function*(c: Client, m: LocalTxMonitor.Message) {
    switch (m._tag) {
      case "MsgAcquire": {
        const held = c.snapshot
        if (held === undefined) return yield* takeSnapshot(c)
        // acquiring again while holding a snapshot waits for the mempool to change
        const now = yield* mempool.snapshot
        if (now.version !== held.version) return yield* takeSnapshot(c)
        const peer = c.peer
        yield* FiberMap.run(
          fibers,
          `${peer}/monitor`,
          mempool.changes.pipe(
            Stream.filter((v) => v !== held.version),
            Stream.take(1),
            Stream.runDrain,
            Effect.andThen(locked(Effect.suspend(() => {
              const current = clients.get(peer)
              return current === c && c.closing === undefined ? takeSnapshot(c) : Effect.void
            })))
          )
        )
        return
      }
      case "MsgRelease":
      case "MsgDone": {
        c.snapshot = undefined
        return
      }
      case "MsgNextTx": {
        const snap = c.snapshot
        if (snap === undefined) return close(c, "local tx-monitor: MsgNextTx with no snapshot")
        const entry = snap.txs[c.nextIndex]
        if (entry !== undefined) c.nextIndex++
        return send(c, LocalTxMonitor.make.replyNextTx(entry?.tx))
      }
      case "MsgHasTx": {
        const snap = c.snapshot
        if (snap === undefined) return close(c, "local tx-monitor: MsgHasTx with no snapshot")
        const hex = Cbor.toHex(m.txId)
        return send(c, LocalTxMonitor.make.replyHasTx(snap.txs.some((t) => Cbor.toHex(t.txId) === hex)))
      }
      case "MsgGetSizes": {
        const snap = c.snapshot
        if (snap === undefined) return close(c, "local tx-monitor: MsgGetSizes with no snapshot")
        return send(c, LocalTxMonitor.make.replyGetSizes(snap.capacityInBytes, snap.sizeInBytes, snap.txs.length))
      }
      case "MsgGetMeasures": {
        const snap = c.snapshot
        if (snap === undefined) return close(c, "local tx-monitor: MsgGetMeasures with no snapshot")
        return send(c, LocalTxMonitor.make.replyGetMeasures(snap.txs.length, [
          { name: "transaction_bytes", size: snap.sizeInBytes, capacity: snap.capacityInBytes }
        ]))
      }
      default:
        return
    }
  })

  // ---- dispatch ------------------------------------------------------------------------------------

  const onMessage = Effect.fnUntraced(function*(c: Client, message: Message) {
    if (message.protocol === "handshake") {
      const m = message as Handshake.Message
      if (m._tag === "MsgProposeVersions") return onPropose(c, m.versionTable)
      return
    }
    if (c.handshake !== "accepted") return close(c, `${message.protocol} ${message._tag} before the handshake was accepted`)
    switch (message.protocol) {
      case "local-chain-sync":
        return yield* onChainSync(c, message as LocalChainSync.Message)
      case "local-state-query":
        return yield* onStateQuery(c, message as LocalStateQuery.Message)
      case "local-tx-submission":
        return yield* onTxSubmission(c, message as LocalTxSubmission.Message)
      case "local-tx-monitor":
        return yield* onTxMonitor(c, message as LocalTxMonitor.Message)
      default:
        return close(c, `${message.protocol} is not a node-to-client protocol`)
    }
  })

  const handleIo = (event: InterfaceEvent): Effect.Effect<void> =>
    locked(Effect.gen(function*() {
      switch (event._tag) {
        case "Connected": {
          const c: Client = {
            peer: event.peer,
            handshake: "pending",
            version: undefined,
            closing: undefined,
            error: undefined,
            closeAfterSent: undefined,
            cursor: Point.origin,
            rollbackFirst: Point.origin,
            awaiting: false,
            acquired: undefined,
            snapshot: undefined,
            nextIndex: 0,
            blocks: 0,
            queries: 0,
            txs: 0
          }
          clients.set(event.peer, c)
          if (event.direction !== "inbound") return close(c, "the stand-in does not dial out")
          emit({ _tag: "ClientConnected", peer: event.peer })
          if (clients.size > maxConnections) {
            c.handshake = "rejected"
            close(c, `over the limit of ${maxConnections} clients`)
          }
          return
        }
        case "Error": {
          const c = clients.get(event.peer)
          if (c === undefined) return
          c.error ??= event.error.message
          if (event.error._tag !== "TransportError") emit({ _tag: "ProtocolViolation", peer: event.peer, error: event.error })
          return
        }
        case "Disconnected": {
          const c = clients.get(event.peer)
          if (c === undefined) return
          clients.delete(event.peer)
          yield* FiberMap.remove(fibers, `${event.peer}/monitor`)
          const reason = c.closing ?? c.error ?? "closed by the client"
          emit({ _tag: "ClientDisconnected", peer: event.peer, reason, served: stats(c) })
          return
        }
        case "Sent": {
          const c = clients.get(event.peer)
          if (c !== undefined && c.closeAfterSent !== undefined && event.message._tag === c.closeAfterSent) {
            const reason = c.handshake === "queried" ? "handshake query answered" : c.error ?? "handshake refused"
            c.closeAfterSent = undefined
            close(c, reason)
          }
          return
        }
        case "Recv": {
          const c = clients.get(event.peer)
          if (c === undefined) return
          for (const m of event.messages) {
            if (c.closing !== undefined || c.closeAfterSent !== undefined) return
            yield* onMessage(c, m).pipe(Effect.catchTag("ChainSourceError", (e) => chainFailed(c, e)))
          }
          return
        }
        default:
          return
      }
    }))

  const execute = (command: LocalServerCommand): Effect.Effect<void> =>
    locked(Effect.sync(() => {
      const c = clients.get(command.peer)
      if (c === undefined || c.closing !== undefined) {
        return emit({ _tag: "CommandRejected", command, reason: `${command.peer} is not connected` })
      }
      close(c, command.reason ?? "closed by the application")
    }))

  yield* chain.changes.pipe(Stream.runForEach(() => locked(wakeAwaiting())), Effect.forkScoped)

  const snapshot = (c: Client): LocalServerPeerState => ({
    handshake: c.handshake,
    version: c.version,
    cursor: c.cursor,
    awaiting: c.awaiting,
    acquired: c.acquired,
    served: stats(c),
    closing: c.closing
  })

  const behavior: LocalServerBehaviorShape = {
    handleIo,
    execute,
    outputs: out.stream,
    peers: locked(Effect.sync(() => new Map([...clients].map(([p, c]) => [p, snapshot(c)] as const))))
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
  Interface | ChainSource
> => Manager.layer(LocalServerBehavior).pipe(Layer.provideMerge(layer(config)))

/**
 * A mempool layer (to share one mempool with the test or the application).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMempool = (capacityInBytes?: number): Layer.Layer<LocalMempool> =>
  Layer.effect(LocalMempool, makeMempool(capacityInBytes))
