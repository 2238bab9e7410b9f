/**
 * What the local-node stand-in's sub-behaviors share: the settings, the chain and the mempool, one
 * record per client, the outputs (commands to the interface, events to the application), the lock,
 * the fibers and closing a client; and {@link SubBehavior}, the one shape every local mini-protocol's
 * server side has.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import type * as Stream from "effect/Stream"
import type { BehaviorOutput, Outbox } from "../../Behavior.ts"
import type { ChainSourceError, ChainSourceShape } from "../../chain/ChainSource.ts"
import { InterfaceCommand } from "../../Interface.ts"
import type { AnyNodeToClientMessage } from "../../protocol/NodeToClient.ts"
import * as OutboundQueue from "../../OutboundQueue.ts"
import { NetworkMagic, type PeerId } from "../../Primitives.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import type { LocalServerConfig, LocalServerEvent, LocalServerPeerState, MempoolShape, ServedStats } from "../LocalServer.ts"

/** The stand-in's configuration with every default filled in (what its parts read). */
export interface Settings {
  readonly networkMagic: number
  /** Node-to-client versions served (without the node-to-client bit). */
  readonly versions: ReadonlyArray<number>
  readonly maxConnections: number
  readonly maxTxSize: number
  /** The era reported at origin (an empty chain). */
  readonly originEra: number
}

/** Fills in the defaults of a {@link LocalServerConfig}. */
export const settingsOf = (config: LocalServerConfig): Settings => ({
  networkMagic: config.networkMagic ?? NetworkMagic.mainnet,
  versions: config.versions ?? Handshake.N2C_VERSIONS,
  maxConnections: config.maxConnections ?? 64,
  maxTxSize: config.maxTxSize ?? 16_384,
  originEra: config.originEra ?? 6
})

/**
 * What every sub-behavior may read of one client. The composition makes it; the handshake writes
 * the negotiated fields; chain-sync, state query and tx-submission count what was served.
 */
export interface Connection {
  readonly peer: PeerId
  handshake: LocalServerPeerState["handshake"]
  /** The negotiated version (without the node-to-client bit). */
  version: number | undefined
  /** Why we asked to close it, if we did. */
  closing: string | undefined
  /** The interface's error on it (or our refusal), the reason reported when it closes. */
  error: string | undefined
  readonly served: { -readonly [K in keyof ServedStats]: ServedStats[K] }
}

/** A new client's record: it has yet to propose. */
export const newConnection = (peer: PeerId): Connection => ({
  peer,
  handshake: "pending",
  version: undefined,
  closing: undefined,
  error: undefined,
  served: { blocks: 0, queries: 0, txs: 0 }
})

/**
 * Whether the client's messages are still read: not once we close it, nor after a refusal or a
 * query answer (the connection closes once that reply is written).
 */
export const reading = (conn: Connection): boolean =>
  conn.closing === undefined && conn.handshake !== "refused" && conn.handshake !== "queried"

/** What the stand-in's parts share; made once per stand-in by {@link makeContext}. */
export interface ServerContext {
  readonly settings: Settings
  /** The chain served. */
  readonly chain: ChainSourceShape
  /** The mempool that tx-submission fills and tx-monitor reads. */
  readonly mempool: MempoolShape
  /** Every client, in the order they came up (written by the composition only). */
  readonly connections: Map<PeerId, Connection>
  /** Per-client background work (`<peer>/monitor`). */
  readonly fibers: FiberMap.FiberMap<string>
  /** Everything the stand-in emits, in order. */
  readonly outputs: Stream.Stream<BehaviorOutput<LocalServerEvent, AnyNodeToClientMessage>>
  /** The same outputs as a buffer the Manager empties after each event (see `Behavior.outbox`). */
  readonly outbox: Outbox<LocalServerEvent, AnyNodeToClientMessage>
  /** Runs `effect` holding the stand-in's one lock (every handler runs under it). */
  readonly locked: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Queues a message to the client. */
  readonly send: (conn: Connection, message: AnyNodeToClientMessage) => void
  /** Queues an event for the application. */
  readonly emit: (event: LocalServerEvent) => void
  /** Asks the interface to close the connection (once; the first reason is kept). */
  readonly close: (conn: Connection, reason: string) => void
  /** The chain source failed while serving `conn`: that client alone is closed, the reason logged. */
  readonly chainFailed: (conn: Connection, error: ChainSourceError) => Effect.Effect<void>
}

/** Makes the shared parts of a stand-in in the current scope. */
export const makeContext = Effect.fnUntraced(function*(
  settings: Settings,
  chain: ChainSourceShape,
  mempool: MempoolShape
): Effect.fn.Return<ServerContext, never, Scope.Scope> {
  const out = yield* OutboundQueue.make<LocalServerEvent, AnyNodeToClientMessage>()
  const lock = yield* Semaphore.make(1)
  const fibers = yield* FiberMap.make<string>()
  const close = (conn: Connection, reason: string) => {
    if (conn.closing !== undefined) return
    conn.closing = reason
    out.command(InterfaceCommand.Disconnect(conn.peer, reason))
  }
  return {
    settings,
    chain,
    mempool,
    connections: new Map(),
    fibers,
    outputs: out.stream,
    outbox: out,
    locked: (effect) => Semaphore.withPermit(lock, effect),
    send: (conn, message) => out.command(InterfaceCommand.Send(conn.peer, message)),
    emit: (event) => out.event(event),
    close,
    chainFailed: (conn, error) =>
      Effect.suspend(() => {
        const reason = `chain source failed: ${error.message}`
        close(conn, reason)
        return Effect.logWarning(`${conn.peer} closed: ${reason}`)
      })
  }
})

/** What every part of the stand-in does as clients come and go (made and dropped in one order). */
export interface Lifecycle {
  /** A client connected: make this part's state for it. */
  readonly connected: (conn: Connection) => Effect.Effect<void>
  /** A client is gone: drop its state and stop its work. */
  readonly disconnected: (conn: Connection) => Effect.Effect<void>
}

/**
 * The one shape of a local mini-protocol's server side. It keeps its per-client state itself (made on
 * `connected`, dropped on `disconnected`), answers the client's requests and sends and emits through
 * the {@link ServerContext} it was made with. Every handler runs under the stand-in's lock; a chain
 * source failure closes that client alone.
 *
 * - `Request`: the messages its server side reads; `View`: what the client snapshot shows of it.
 */
export interface SubBehavior<Request extends AnyNodeToClientMessage, View = undefined> extends Lifecycle {
  /** The mini-protocol it serves: the composition routes that protocol's messages to it. */
  readonly protocol: Request["protocol"]
  /** Whether a received message is one this side reads. */
  readonly isRequest: (message: AnyNodeToClientMessage) => message is Request
  /** A request from the client. */
  readonly onMessage: (conn: Connection, message: Request) => Effect.Effect<void, ChainSourceError>
  /** This protocol's messages of one write were written to the client (in order). */
  readonly onSent: (conn: Connection, messages: ReadonlyArray<AnyNodeToClientMessage>) => void
  /** What the client snapshot shows of this protocol's state. */
  readonly view: (conn: Connection) => View
}

/** The guard of a server side's requests: the messages of `protocol` with one of `tags`. */
export const requests = <M extends AnyNodeToClientMessage>() =>
<T extends M["_tag"]>(protocol: M["protocol"], tags: ReadonlyArray<T>) => {
  const read = new Set<string>(tags)
  return (message: AnyNodeToClientMessage): message is Extract<M, { readonly _tag: T }> =>
    message.protocol === protocol && read.has(message._tag)
}

/** A handler with nothing to do. */
export const nothing = (): Effect.Effect<void> => Effect.void

/** An `onSent` with nothing to do. */
export const ignoreSent = (): void => {}
