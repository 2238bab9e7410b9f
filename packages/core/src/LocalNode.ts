/**
 * The Effect API an application calls to talk to its own node: query the tip and the ledger, submit
 * transactions, read the mempool and stream blocks, over one node-to-client connection that many
 * fibers share. It drives the {@link LocalClient} behavior through a {@link Manager}, on any
 * Interface (the Unix socket or TCP layers of `@pallas-network2/node`, or the emulation).
 *
 * - Each call acquires what it needs (a ledger state, a mempool snapshot) and releases it before it
 *   returns; calls on one mini-protocol wait for each other (one semaphore per mini-protocol), calls
 *   on different mini-protocols run at once.
 * - The connection is made on the first call and made again on the next call after it closed.
 * - A call interrupted while the node's answer is due closes the connection (the next call opens a
 *   new one); a block stream stopped while waiting at the tip leaves one answer due, which the next
 *   stream waits for first.
 * - Errors are typed: {@link HandshakeRefused}, {@link ConnectionClosed}, {@link AcquireFailed},
 *   {@link QueryFailed} (an era mismatch, a result that cannot be read, or a query the node closed
 *   the connection on), {@link TxRejected} (the reason's exact bytes), {@link IntersectNotFound},
 *   {@link CommandRejected}.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { LocalNode } from "@pallas-network2/core"
 * const program = Effect.gen(function*() {
 *   const node = yield* LocalNode.LocalNode
 *   const tip = yield* node.queryTip
 *   yield* node.blocks("origin").pipe(Stream.take(10), Stream.runForEach((u) => Effect.log(u._tag)))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as LocalClient from "./behavior/LocalClient.ts"
import * as W from "./behavior/internal/local-wire.ts"
import * as Cbor from "./cbor/Cbor.ts"
import * as Interface from "./Interface.ts"
import * as Manager from "./Manager.ts"
import type { PeerId } from "./Primitives.ts"
import { EraTx, type EraTxId, Point, type Tip } from "./protocol/Common.ts"
import type * as Handshake from "./protocol/Handshake.ts"
import type { AnyNodeToClientMessage } from "./protocol/NodeToClient.ts"
import { decodeOrUndefined } from "./protocol/internal/codec.ts"
import * as LocalStateQuery from "./protocol/LocalStateQuery.ts"
import * as TxRejection from "./protocol/TxRejection.ts"

// ---------------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------------

/**
 * The node refused our handshake (no common version, or another network magic).
 *
 * @category errors
 * @since 0.1.0
 */
export class HandshakeRefused extends Schema.TaggedError<HandshakeRefused>()("HandshakeRefused", {
  reason: Schema.String
}) {
  override get message(): string {
    return `handshake refused: ${this.reason}`
  }
}

/**
 * The connection could not be made, or closed while an answer was due.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionClosed extends Schema.TaggedError<ConnectionClosed>()("ConnectionClosed", {
  detail: Schema.String
}) {
  override get message(): string {
    return `connection closed: ${this.detail}`
  }
}

/**
 * The node could not acquire the ledger state asked for.
 *
 * @category errors
 * @since 0.1.0
 */
export class AcquireFailed extends Schema.TaggedError<AcquireFailed>()("AcquireFailed", {
  failure: Schema.Literals(["PointTooOld", "PointNotOnChain"])
}) {
  override get message(): string {
    return this.failure === "PointTooOld" ? "acquire failed: the point is too old" : "acquire failed: the point is not on the chain"
  }
}

/**
 * A query without an answer: the query's era is not the ledger's (`EraMismatch`, with both eras), the
 * result is not the shape the query has (`Undecodable`), or the node closed the connection on it
 * (`Unanswered`: a node closes the connection on a query it cannot read).
 *
 * @category errors
 * @since 0.1.0
 */
export class QueryFailed extends Schema.TaggedError<QueryFailed>()("QueryFailed", {
  reason: Schema.Literals(["EraMismatch", "Undecodable", "Unanswered"]),
  query: Schema.String,
  detail: Schema.String,
  queryEra: Schema.optional(Schema.Number),
  ledgerEra: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return `query ${this.query} failed (${this.reason}): ${this.detail}`
  }
}

// each TxRejected's reason, decoded when first read
const decodedReasons = new WeakMap<object, TxRejection.Decoded>()

/**
 * The node rejected a transaction. `reason` is the exact CBOR bytes of the node's reason, `era` its era
 * index when the reason has the hard-fork wrapping `[[era, ...]]`, and `decoded` the reason read where
 * the era's shape is known (see {@link TxRejection.decode}; computed when first read).
 *
 * @category errors
 * @since 0.1.0
 */
export class TxRejected extends Schema.TaggedError<TxRejected>()("TxRejected", {
  reason: Schema.Uint8Array,
  era: Schema.optional(Schema.Number)
}) {
  /** The reason decoded (named ledger failures with their fields), or `known: false` with the bytes. */
  get decoded(): TxRejection.Decoded {
    let d = decodedReasons.get(this)
    if (d === undefined) decodedReasons.set(this, d = TxRejection.decode(this.reason))
    return d
  }
  override get message(): string {
    const d = this.decoded
    return d.known
      ? `transaction rejected: ${TxRejection.summary(d)} (${Cbor.toHex(this.reason)})`
      : `transaction rejected: ${Cbor.toHex(this.reason)}`
  }
}

/**
 * No point given to {@link LocalNodeShape.blocks} is on the node's chain.
 *
 * @category errors
 * @since 0.1.0
 */
export class IntersectNotFound extends Schema.TaggedError<IntersectNotFound>()("IntersectNotFound", {
  tipSlot: Schema.Number,
  tipBlockNo: Schema.Number
}) {
  override get message(): string {
    return `none of the points is on the node's chain (its tip: block ${this.tipBlockNo} at slot ${this.tipSlot})`
  }
}

/**
 * The client refused to send a request (a bug of this module, or the connection was closing).
 *
 * @category errors
 * @since 0.1.0
 */
export class CommandRejected extends Schema.TaggedError<CommandRejected>()("CommandRejected", {
  detail: Schema.String
}) {
  override get message(): string {
    return `request not sent: ${this.detail}`
  }
}

/**
 * Any error of the LocalNode API.
 *
 * @category errors
 * @since 0.1.0
 */
export type LocalNodeError =
  | HandshakeRefused
  | ConnectionClosed
  | AcquireFailed
  | QueryFailed
  | TxRejected
  | IntersectNotFound
  | CommandRejected

// ---------------------------------------------------------------------------------------------------
// queries
// ---------------------------------------------------------------------------------------------------

/**
 * A local state query: its bytes, a name for errors, and the reader of its result.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalQuery<A> {
  readonly name: string
  readonly bytes: Uint8Array
  readonly decode: (result: Uint8Array) => Result.Result<A, QueryFailed>
}

/**
 * A result kept as CBOR: the exact bytes of the era's answer, with the era it came from.
 *
 * @category models
 * @since 0.1.0
 */
export interface EraResult {
  readonly era: number
  readonly cbor: Uint8Array
}

const undecodable = (name: string, detail: string) => new QueryFailed({ reason: "Undecodable", query: name, detail })

const plain = <A>(name: string, bytes: Uint8Array, read: (result: Uint8Array) => A | undefined): LocalQuery<A> => ({
  name,
  bytes,
  decode: (result) => {
    const a = read(result)
    return a === undefined ? Result.fail(undecodable(name, `unexpected result ${Cbor.toHex(result)}`)) : Result.succeed(a)
  }
})

/** An era's query `[0, [0, [era, query]]]`; its result unwrapped from `[result]`, or an era mismatch. */
const ifCurrent = <A>(name: string, era: number, query: Cbor.Value, read: (result: Uint8Array) => A | undefined): LocalQuery<A> => ({
  name,
  bytes: Cbor.encode([0, [0, [era, query]]]),
  decode: (result) => {
    const r = W.readIfCurrent(result)
    if (r === undefined) return Result.fail(undecodable(name, `not a hard-fork era result: ${Cbor.toHex(result)}`))
    if (r._tag === "EraMismatch") {
      return Result.fail(
        new QueryFailed({
          reason: "EraMismatch",
          query: name,
          detail: `asked of ${r.queryEraName}, the ledger is in ${r.ledgerEraName}`,
          queryEra: r.queryEra,
          ledgerEra: r.ledgerEra
        })
      )
    }
    const a = read(r.result)
    return a === undefined ? Result.fail(undecodable(name, `unexpected result ${Cbor.toHex(r.result)}`)) : Result.succeed(a)
  }
})

const eraResult = (era: number) => (cbor: Uint8Array): EraResult => ({ era, cbor })

/**
 * The queries apps ask most. Typed results: `chainPoint`, `chainBlockNo`, `systemStart`,
 * `currentEra`, `epochNo`. Kept as raw CBOR with their era ({@link EraResult}; their ledger shape is
 * large and changes between eras): `protocolParameters`, `utxoByAddress`, `utxoByTxIn`,
 * `stakeDistribution`, `genesisConfig`. `raw` sends any query and returns its result's exact bytes.
 * The era-specific queries fail with `QueryFailed` `EraMismatch` when the ledger is in another era.
 *
 * @example
 * ```ts
 * import { LocalNode } from "@pallas-network2/core"
 * const era = LocalNode.Queries.currentEra
 * const params = LocalNode.Queries.protocolParameters(6) // Conway
 * ```
 *
 * @category queries
 * @since 0.1.0
 */
export const Queries = {
  /** The point of the acquired ledger state. */
  chainPoint: plain("GetChainPoint", LocalStateQuery.Query.getChainPoint(), LocalStateQuery.Results.chainPoint),
  /** Its block number (`"origin"` on an empty chain). */
  chainBlockNo: plain("GetChainBlockNo", LocalStateQuery.Query.getChainBlockNo(), LocalStateQuery.Results.chainBlockNo),
  /** The chain's system start. */
  systemStart: plain("GetSystemStart", LocalStateQuery.Query.getSystemStart(), LocalStateQuery.Results.systemStart),
  /** The current era index (0 Byron ... 6 Conway). */
  currentEra: plain("GetCurrentEra", LocalStateQuery.Query.getCurrentEra(), LocalStateQuery.Results.currentEra),
  /** The epoch number, asked of an era (1 Shelley ... 6 Conway). */
  epochNo: (era: number): LocalQuery<number> =>
    ifCurrent("GetEpochNo", era, [1], (r) => {
      const v = decodeOrUndefined(r)
      return typeof v === "number" ? v : undefined
    }),
  /** The current protocol parameters (raw CBOR). */
  protocolParameters: (era: number): LocalQuery<EraResult> => ifCurrent("GetCurrentPParams", era, [3], eraResult(era)),
  /** The stake distribution (raw CBOR). */
  stakeDistribution: (era: number): LocalQuery<EraResult> => ifCurrent("GetStakeDistribution", era, [5], eraResult(era)),
  /** The UTxO at some addresses (raw address bytes; the result is raw CBOR). */
  utxoByAddress: (era: number, addresses: ReadonlyArray<Uint8Array>): LocalQuery<EraResult> =>
    ifCurrent("GetUTxOByAddress", era, [6, [...addresses]], eraResult(era)),
  /** The genesis configuration (raw CBOR). */
  genesisConfig: (era: number): LocalQuery<EraResult> => ifCurrent("GetGenesisConfig", era, [11], eraResult(era)),
  /** The UTxO at some inputs (the result is raw CBOR). */
  utxoByTxIn: (era: number, inputs: ReadonlyArray<{ readonly txId: Uint8Array; readonly index: number }>): LocalQuery<EraResult> =>
    ifCurrent("GetUTxOByTxIn", era, [15, inputs.map((i) => [i.txId, i.index])], eraResult(era)),
  /** Any query (its exact bytes, one CBOR item); the result's exact bytes. */
  raw: (query: Uint8Array, name = "raw query"): LocalQuery<Uint8Array> => ({ name, bytes: query, decode: Result.succeed })
} as const

// ---------------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------------

/**
 * Where a block stream starts: the first block after genesis, the node's tip at the time, or the
 * newest of some points that is on the node's chain.
 *
 * @category models
 * @since 0.1.0
 */
export type From = "origin" | "tip" | ReadonlyArray<Point>

/**
 * One step of a block stream: the next block, or a roll-back to a point (the first step is a roll-back
 * to the start point, as the node sends it).
 *
 * @category models
 * @since 0.1.0
 */
export type ChainUpdate =
  | { readonly _tag: "RollForward"; readonly block: LocalClient.LocalBlock; readonly tip: Tip }
  | { readonly _tag: "RollBackward"; readonly point: Point; readonly tip: Tip }

/**
 * The node's tip as `queryTip` reads it (one acquired ledger state): point, block number, era, and
 * the epoch (absent in the Byron era).
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalTip {
  readonly point: Point
  readonly blockNo: number | "origin"
  readonly era: number
  readonly epoch: number | undefined
}

/**
 * A mempool snapshot: the slot it was taken at, its transactions in order, and its sizes.
 *
 * @category models
 * @since 0.1.0
 */
export interface MempoolSnapshot {
  readonly slot: number
  readonly txs: ReadonlyArray<EraTx>
  readonly capacityInBytes: number
  readonly sizeInBytes: number
  readonly numberOfTxs: number
  /**
   * The snapshot's named measures (each one's size and capacity, in the node's order), read when the
   * negotiated version has them (node-to-client 20 and later); `undefined` below it.
   */
  readonly measures?: ReadonlyArray<MempoolMeasure> | undefined
}

/**
 * One named measure of a mempool snapshot (node-to-client 20 and later): how much of it is used and
 * its capacity, e.g. `transaction_bytes`.
 *
 * @category models
 * @since 0.1.0
 */
export interface MempoolMeasure {
  readonly name: string
  readonly size: number | bigint
  readonly capacity: number | bigint
}

/**
 * The first node-to-client version whose tx-monitor has `MsgGetMeasures`.
 *
 * @category constants
 * @since 0.1.0
 */
export const measuresSinceVersion = 20

/**
 * A ledger state held for several queries (see {@link LocalNodeShape.acquire}).
 *
 * @category models
 * @since 0.1.0
 */
export interface AcquiredLedger {
  readonly query: <A>(query: LocalQuery<A>) => Effect.Effect<A, LocalNodeError>
  /** Moves to another state (the tip now, by default). */
  readonly reAcquire: (target?: LocalStateQuery.Target) => Effect.Effect<void, LocalNodeError>
}

/**
 * What the application calls.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalNodeShape {
  /** The node. */
  readonly peer: PeerId
  /** Connects (if not connected) and returns the negotiated version and its data. */
  readonly connect: Effect.Effect<{ readonly version: number; readonly versionData: Handshake.VersionData }, LocalNodeError>
  /** The tip: chain point, block number, era and epoch of the volatile tip's ledger state. */
  readonly queryTip: Effect.Effect<LocalTip, LocalNodeError>
  /** One query against a ledger state (the volatile tip by default), acquired and released around it. */
  readonly query: <A>(query: LocalQuery<A>, target?: LocalStateQuery.Target) => Effect.Effect<A, LocalNodeError>
  /** Holds a ledger state for the scope (other state queries wait), released when the scope closes. */
  readonly acquire: (target?: LocalStateQuery.Target) => Effect.Effect<AcquiredLedger, LocalNodeError, Scope.Scope>
  /** Submits a transaction; returns its id, or fails with {@link TxRejected}. */
  readonly submitTx: (tx: EraTx) => Effect.Effect<Uint8Array, LocalNodeError>
  /** A snapshot of the mempool: every transaction, the sizes, and the measures where the version has them. */
  readonly mempool: Effect.Effect<MempoolSnapshot, LocalNodeError>
  /**
   * Whether a snapshot of the mempool taken now holds a transaction id. The node reads the id with its
   * era (`[era, txId]`; Byron `[0, [kind, txId]]`): give an {@link EraTxId}, or bare id bytes, which
   * are sent with the ledger's current era (one state query first; in the Byron era as a transaction's
   * id, kind 0).
   */
  readonly hasTx: (txId: Uint8Array | EraTxId) => Effect.Effect<boolean, LocalNodeError>
  /**
   * The node's chain as a stream of blocks and roll-backs, from `from` on, following the tip (the
   * stream waits at the tip for new blocks). One stream at a time per connection: another waits.
   */
  readonly blocks: (from?: From) => Stream.Stream<ChainUpdate, LocalNodeError>
}

/**
 * The LocalNode service.
 *
 * @category services
 * @since 0.1.0
 */
export class LocalNode extends Context.Service<LocalNode, LocalNodeShape>()("@pallas-network2/core/LocalNode") {}

/**
 * Options of {@link make}: the node's address and the client's handshake options.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalNodeOptions extends LocalClient.LocalClientConfig {
  readonly peer: PeerId
  readonly manager?: Manager.ManagerOptions
  /**
   * How long (ms) a request waits for an answer that is due (the handshake's, an acquire's, a
   * query's, a submission's, a mempool request's, a chain-sync answer before any `AwaitReply`). Past
   * it the connection is closed and the call fails with {@link ConnectionClosed} naming what it
   * waited for; the next call connects again. A chain-sync wait after the node's `AwaitReply` (at the
   * tip, for the next block) is never cut. None by default: the node-to-client protocols have no
   * timeouts of their own.
   */
  readonly answerTimeout?: number
}

type Box = "local-chain-sync" | "local-state-query" | "local-tx-submission" | "local-tx-monitor"
type Item = LocalClient.LocalClientEvent | { readonly _tag: "Closed"; readonly reason: string }

interface Session {
  readonly ready: Deferred.Deferred<{ readonly version: number; readonly versionData: Handshake.VersionData }, LocalNodeError>
  readonly boxes: Record<Box, Queue.Queue<Item>>
  closed: string | undefined
  /** Completed when the connection's Disconnected event came. */
  readonly ended: Deferred.Deferred<void>
  /** A chain-sync answer is due (a stream stopped while waiting for it). */
  chainSyncDue: boolean
  /** The node answered the due chain-sync request with AwaitReply: the rest may take any time. */
  chainSyncAwaiting: boolean
}

/**
 * Makes the service over an Interface in the current scope: it runs the {@link LocalClient} behavior
 * and its Manager, and connects to `options.peer` on the first call.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: LocalNodeOptions) {
  const iface = yield* Interface.key<AnyNodeToClientMessage>()
  const behavior = yield* LocalClient.make(options)
  const manager = yield* Manager.make(iface, behavior, options.manager ?? {})
  const peer = options.peer
  const C = LocalClient.LocalClientCommand
  const connectLock = yield* Semaphore.make(1)
  const locks: Record<Box, Semaphore.Semaphore> = {
    "local-chain-sync": yield* Semaphore.make(1),
    "local-state-query": yield* Semaphore.make(1),
    "local-tx-submission": yield* Semaphore.make(1),
    "local-tx-monitor": yield* Semaphore.make(1)
  }
  let current: Session | undefined

  /** No more requests on the session; its waiters fail. `ended`: the connection is gone too. */
  const closeSession = (s: Session, reason: string, ended: boolean) =>
    Effect.gen(function*() {
      if (ended) yield* Deferred.succeed(s.ended, undefined)
      if (s.closed !== undefined) return
      s.closed = reason
      yield* Deferred.fail(s.ready, new ConnectionClosed({ detail: reason }))
      for (const box of Object.values(s.boxes)) Queue.offerUnsafe(box, { _tag: "Closed", reason })
    })

  // the router: every event of the manager to the session's waiters
  yield* manager.events.pipe(
    Stream.runForEach((event) =>
      Effect.gen(function*() {
        const s = current
        if (s === undefined || event.peer !== peer) return
        switch (event._tag) {
          case "Connected":
            return
          case "HandshakeAccepted":
            return yield* Deferred.succeed(s.ready, { version: event.version, versionData: event.versionData })
          case "HandshakeRefused":
            return yield* Deferred.fail(s.ready, new HandshakeRefused({ reason: event.text }))
          case "HandshakeQueryReply":
            return yield* Deferred.fail(s.ready, new ConnectionClosed({ detail: "the node answered a handshake query" }))
          case "Disconnected":
            return yield* closeSession(s, event.reason, true)
          default: {
            const protocol = LocalClient.protocolOfEvent(event)
            if (protocol === "connection") {
              if (event._tag === "CommandRejected") yield* Deferred.fail(s.ready, new CommandRejected({ detail: event.reason }))
              return
            }
            Queue.offerUnsafe(s.boxes[protocol], event)
          }
        }
      })
    ),
    Effect.forkScoped
  )
  yield* Effect.addFinalizer(() => current === undefined ? Effect.void : closeSession(current, "the LocalNode service was closed", true))

  /** The open session, connecting first when there is none. */
  const session: Effect.Effect<Session, LocalNodeError> = Semaphore.withPermit(
    connectLock,
    Effect.gen(function*() {
      if (current !== undefined && current.closed === undefined) return current
      // a session we closed ourselves: its connection goes first, so its events are not taken for the next one's
      if (current !== undefined) yield* Deferred.await(current.ended)
      const s: Session = {
        ready: yield* Deferred.make<{ readonly version: number; readonly versionData: Handshake.VersionData }, LocalNodeError>(),
        boxes: {
          "local-chain-sync": yield* Queue.unbounded<Item>(),
          "local-state-query": yield* Queue.unbounded<Item>(),
          "local-tx-submission": yield* Queue.unbounded<Item>(),
          "local-tx-monitor": yield* Queue.unbounded<Item>()
        },
        closed: undefined,
        ended: yield* Deferred.make<void>(),
        chainSyncDue: false,
        chainSyncAwaiting: false
      }
      current = s
      yield* manager.execute(C.Connect(peer))
      return s
    })
  ).pipe(Effect.tap((s) => bounded(s, "the handshake's answer", Deferred.await(s.ready))))

  /**
   * An answer's wait, cut at `answerTimeout` (when set): the session is then closed, its connection
   * dropped, and the call fails with ConnectionClosed.
   */
  const bounded = <A>(s: Session, what: string, wait: Effect.Effect<A, LocalNodeError>): Effect.Effect<A, LocalNodeError> => {
    const ms = options.answerTimeout
    if (ms === undefined) return wait
    return Effect.flatMap(Effect.timeoutOption(wait, ms), (o) =>
      Option.isSome(o)
        ? Effect.succeed(o.value)
        : Effect.gen(function*() {
          const reason = `no answer from the node within ${ms} ms (waiting for ${what})`
          if (s.closed === undefined) {
            yield* closeSession(s, reason, false)
            yield* manager.execute(C.Disconnect(peer, reason))
          }
          return yield* new ConnectionClosed({ detail: reason })
        }))
  }

  /** Takes the next answer of a mini-protocol; a closed session or a refused command is an error. */
  const take = (s: Session, box: Box, patient = false) =>
    Effect.flatMap(
      patient ? Queue.take(s.boxes[box]) : bounded(s, `a ${box} answer`, Queue.take(s.boxes[box])),
      (item): Effect.Effect<LocalClient.LocalClientEvent, LocalNodeError> => {
      if (item._tag === "Closed") return Effect.fail(new ConnectionClosed({ detail: item.reason }))
      if (item._tag === "CommandRejected") return Effect.fail(new CommandRejected({ detail: item.reason }))
      return Effect.succeed(item)
    }
    )

  /**
   * Sends a request and takes its answer. Interrupted while the answer is due, the session is closed
   * (the protocol's state is then unknown to the next caller).
   */
  const exchange = (s: Session, box: Box, command: LocalClient.LocalClientCommand) =>
    Effect.gen(function*() {
      yield* Queue.clear(s.boxes[box])
      yield* manager.execute(command)
      return yield* take(s, box)
    }).pipe(
      Effect.onInterrupt(() =>
        Effect.gen(function*() {
          const reason = `a ${command._tag} request was interrupted while its answer was due`
          yield* closeSession(s, reason, false)
          yield* manager.execute(C.Disconnect(peer, reason))
        })
      )
    )

  const unexpected = (what: string, event: LocalClient.LocalClientEvent) =>
    new CommandRejected({ detail: `${what}: unexpected answer ${event._tag}` })

  // ---- local state query -----------------------------------------------------------------------------

  const acquireOn = (s: Session, target: LocalStateQuery.Target, again: boolean) =>
    Effect.gen(function*() {
      const answer = yield* exchange(s, "local-state-query", again ? C.ReAcquire(peer, target) : C.Acquire(peer, target))
      if (answer._tag === "AcquireFailed") return yield* new AcquireFailed({ failure: answer.failure })
      if (answer._tag !== "Acquired") return yield* unexpected("acquire", answer)
    })

  const queryOn = <A>(s: Session, query: LocalQuery<A>) =>
    Effect.gen(function*() {
      const answer = yield* exchange(s, "local-state-query", C.Query(peer, query.bytes)).pipe(
        Effect.catchTag("ConnectionClosed", (e) =>
          Effect.fail(new QueryFailed({ reason: "Unanswered", query: query.name, detail: e.detail })))
      )
      if (answer._tag !== "QueryResult") return yield* unexpected(query.name, answer)
      const decoded = query.decode(answer.result)
      return Result.isFailure(decoded) ? yield* decoded.failure : decoded.success
    })

  const release = (s: Session) =>
    s.closed === undefined ? manager.execute(C.Release(peer)) : Effect.void

  /** Holds the state-query lock and an acquired state for the scope. */
  const acquire = (target: LocalStateQuery.Target = LocalStateQuery.target.volatileTip) =>
    Effect.gen(function*() {
      yield* Semaphore.takeScoped(locks["local-state-query"], 1)
      const s = yield* session
      // not acquireRelease: the wait for the node's answer stays interruptible
      yield* acquireOn(s, target, false)
      yield* Effect.addFinalizer(() => release(s))
      const ledger: AcquiredLedger = {
        query: (query) => queryOn(s, query),
        reAcquire: (t = LocalStateQuery.target.volatileTip) => acquireOn(s, t, true)
      }
      return ledger
    })

  const query = <A>(q: LocalQuery<A>, target?: LocalStateQuery.Target) =>
    Effect.scoped(Effect.flatMap(acquire(target), (ledger) => ledger.query(q)))

  const queryTip = Effect.scoped(Effect.gen(function*() {
    const ledger = yield* acquire()
    const point = yield* ledger.query(Queries.chainPoint)
    const blockNo = yield* ledger.query(Queries.chainBlockNo)
    const era = yield* ledger.query(Queries.currentEra)
    const epoch = era === 0 ? undefined : yield* ledger.query(Queries.epochNo(era)).pipe(
      Effect.catchTag("QueryFailed", (e) => e.reason === "EraMismatch" ? Effect.succeed(undefined) : Effect.fail(e))
    )
    return { point, blockNo, era, epoch } satisfies LocalTip
  }))

  // ---- local tx-submission -----------------------------------------------------------------------------

  const submitTx = (tx: EraTx) =>
    Semaphore.withPermit(
      locks["local-tx-submission"],
      Effect.gen(function*() {
        const s = yield* session
        const answer = yield* exchange(s, "local-tx-submission", C.SubmitTx(peer, tx))
        if (answer._tag === "TxAccepted") return EraTx.txId(tx).txId
        if (answer._tag === "TxRejected") {
          return yield* new TxRejected(answer.era === undefined ? { reason: answer.reason } : { reason: answer.reason, era: answer.era })
        }
        return yield* unexpected("submit", answer)
      })
    )

  // ---- local tx-monitor --------------------------------------------------------------------------------

  const withSnapshot = <A>(f: (s: Session, slot: number) => Effect.Effect<A, LocalNodeError>) =>
    Semaphore.withPermit(
      locks["local-tx-monitor"],
      Effect.gen(function*() {
        const s = yield* session
        const acquired = yield* exchange(s, "local-tx-monitor", C.MonitorAcquire(peer))
        if (acquired._tag !== "MempoolAcquired") return yield* unexpected("mempool acquire", acquired)
        const a = yield* f(s, acquired.slot)
        if (s.closed === undefined) yield* manager.execute(C.MonitorRelease(peer))
        return a
      })
    )

  const mempool = withSnapshot((s, slot) =>
    Effect.gen(function*() {
      const sizes = yield* exchange(s, "local-tx-monitor", C.GetSizes(peer))
      if (sizes._tag !== "MempoolSizes") return yield* unexpected("mempool sizes", sizes)
      const { version } = yield* Deferred.await(s.ready)
      let measures: ReadonlyArray<MempoolMeasure> | undefined
      if (version >= measuresSinceVersion) {
        const m = yield* exchange(s, "local-tx-monitor", C.GetMeasures(peer))
        if (m._tag !== "MempoolMeasures") return yield* unexpected("mempool measures", m)
        measures = m.measures
      }
      const txs: Array<EraTx> = []
      while (true) {
        const next = yield* exchange(s, "local-tx-monitor", C.NextTx(peer))
        if (next._tag !== "NextTx") return yield* unexpected("mempool next tx", next)
        if (next.tx === undefined) break
        txs.push(next.tx)
      }
      return {
        slot,
        txs,
        capacityInBytes: sizes.capacityInBytes,
        sizeInBytes: sizes.sizeInBytes,
        numberOfTxs: sizes.numberOfTxs,
        measures
      } satisfies MempoolSnapshot
    })
  )

  const hasTx = (txId: Uint8Array | EraTxId) =>
    Effect.gen(function*() {
      const era = txId instanceof Uint8Array ? yield* query(Queries.currentEra) : txId.era
      // a bare id in the Byron era names a transaction (kind 0)
      const id: EraTxId = txId instanceof Uint8Array ? (era === 0 ? { era, txId, byronKind: 0 } : { era, txId }) : txId
      return yield* hasEraTx(id)
    })

  const hasEraTx = (txId: EraTxId) =>
    withSnapshot((s) =>
      Effect.gen(function*() {
        const answer = yield* exchange(s, "local-tx-monitor", C.HasTx(peer, txId))
        if (answer._tag !== "HasTx") return yield* unexpected("has tx", answer)
        return answer.value
      })
    )

  // ---- local chain-sync ----------------------------------------------------------------------------------

  /** Sends a chain-sync request and waits for its final answer (past any AwaitReply). */
  const chainSyncRequest = (s: Session, command: LocalClient.LocalClientCommand) =>
    Effect.gen(function*() {
      yield* manager.execute(command)
      s.chainSyncDue = true
      s.chainSyncAwaiting = false
      return yield* chainSyncAnswer(s)
    })

  /** Waits for the due chain-sync request's final answer (past any AwaitReply). */
  const chainSyncAnswer = (s: Session) =>
    Effect.gen(function*() {
      while (true) {
        const answer = yield* take(s, "local-chain-sync", s.chainSyncAwaiting)
        if (answer._tag === "AwaitReply") {
          s.chainSyncAwaiting = true
          continue
        }
        s.chainSyncDue = false
        s.chainSyncAwaiting = false
        return answer
      }
    })

  const blocks = (from: From = "tip"): Stream.Stream<ChainUpdate, LocalNodeError> =>
    Stream.unwrap(Effect.gen(function*() {
      yield* Semaphore.takeScoped(locks["local-chain-sync"], 1)
      const s = yield* session
      // an answer left due by a stream stopped at the tip comes first
      if (s.chainSyncDue) yield* chainSyncAnswer(s)
      yield* Queue.clear(s.boxes["local-chain-sync"])
      let points: ReadonlyArray<Point>
      if (from === "origin") points = [Point.origin]
      else if (from === "tip") {
        const probe = yield* chainSyncRequest(s, C.FindIntersect(peer, [Point.origin]))
        if (probe._tag !== "IntersectFound" && probe._tag !== "IntersectNotFound") return yield* unexpected("find intersect", probe)
        points = [probe.tip.point]
      } else points = from
      const found = yield* chainSyncRequest(s, C.FindIntersect(peer, points))
      if (found._tag === "IntersectNotFound") {
        return yield* new IntersectNotFound({
          tipSlot: found.tip.point._tag === "Origin" ? 0 : found.tip.point.slot,
          tipBlockNo: found.tip.blockNo
        })
      }
      if (found._tag !== "IntersectFound") return yield* unexpected("find intersect", found)
      const next = Effect.gen(function*() {
        const answer = yield* chainSyncRequest(s, C.RequestNext(peer))
        if (answer._tag === "RollForward") return { _tag: "RollForward", block: answer.block, tip: answer.tip } satisfies ChainUpdate
        if (answer._tag === "RollBackward") return { _tag: "RollBackward", point: answer.point, tip: answer.tip } satisfies ChainUpdate
        return yield* unexpected("request next", answer)
      })
      return Stream.fromEffectRepeat(next)
    }))

  const service: LocalNodeShape = {
    peer,
    connect: Effect.flatMap(session, (s) => Deferred.await(s.ready)),
    queryTip,
    query,
    acquire,
    submitTx,
    mempool,
    hasTx,
    blocks
  }
  return service
})

/**
 * The LocalNode layer over an Interface (one whose `protocols` are `LocalClient.protocols`).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { LocalNode, PeerId } from "@pallas-network2/core"
 * const NodeLive = LocalNode.layer({ peer: PeerId.unix("/run/cardano/node.socket"), networkMagic: 2 })
 * // provide an Interface: UnixInterface.layer({ protocols: LocalClient.protocols }) from @pallas-network2/node
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: LocalNodeOptions): Layer.Layer<LocalNode, never, Interface.Interface<AnyNodeToClientMessage>> =>
  Layer.effect(LocalNode, make(options))
