/**
 * The node-to-client client: an application's side of a connection to its own node (over the node's
 * Unix socket, or TCP). It runs the node-to-client handshake (versions 16 to 23 by default, or any
 * table), then the client halves of the four local mini-protocols: local chain-sync (whole blocks),
 * local state query, local tx-submission and local tx-monitor. Each command sends one message; each
 * answer of the node comes back as one event. A command the protocol does not allow in its current
 * state (or before the handshake) is refused with `CommandRejected` and never reaches the wire.
 *
 * Most applications use the {@link LocalNode} API over this behavior instead: it pairs commands with
 * answers, and lets many fibers share the connection.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Behavior from "../Behavior.ts"
import type { InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { ProtocolName } from "../Message.ts"
import type { AnyNodeToClientMessage } from "../protocol/NodeToClient.ts"
import type { PeerId } from "../Primitives.ts"
import type { EraTx, EraTxId, Point, Tip } from "../protocol/Common.ts"
import * as Handshake from "../protocol/Handshake.ts"
import type * as LocalStateQuery from "../protocol/LocalStateQuery.ts"
import * as W from "./internal/local-wire.ts"
import * as ChainSyncClient from "./localClient/chainSync.ts"
import {
  type Connection,
  type Lifecycle,
  makeContext,
  newConnection,
  protocolClient,
  type SubBehavior
} from "./localClient/context.ts"
import * as HandshakeClient from "./localClient/handshake.ts"
import * as StateQueryClient from "./localClient/stateQuery.ts"
import * as TxMonitorClient from "./localClient/txMonitor.ts"
import * as TxSubmissionClient from "./localClient/txSubmission.ts"

/**
 * The mini-protocols of a node-to-client connection (the handshake and the four local ones), for an
 * Interface's `protocols` option.
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocols = W.protocols

/**
 * The node-to-client versions proposed by default: 16 to 23 (what a current node speaks).
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_VERSIONS = Handshake.N2C_VERSIONS

/**
 * Options of the client.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalClientConfig {
  /** The network magic. Default mainnet (764824073). */
  readonly networkMagic?: number
  /** The node-to-client versions to propose, without the node-to-client bit. Default 16 to 23. */
  readonly versions?: ReadonlyArray<number>
  /** A whole version table to propose instead (keys with bit 15 set); overrides `versions`. */
  readonly versionTable?: Handshake.VersionTable
  /** Propose with the query flag: the node answers with its own version table and closes. */
  readonly query?: boolean
}

/**
 * A block as local chain-sync delivers it, with what is read from its header: era, slot, hash, block
 * number and previous hash (every era, Byron boundary blocks included). `bytes` are the block's
 * `[blockTag, block]` bytes exactly as received.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalBlock {
  /** Era index: 0 Byron ... 6 Conway. */
  readonly era: number
  /** The block tag: 0 Byron boundary block, 1 Byron main block, 2 Shelley ... 7 Conway. */
  readonly tag: number
  readonly slot: number
  readonly hash: Uint8Array
  readonly blockNo: number
  readonly prevHash: Uint8Array | undefined
  readonly bytes: Uint8Array
}

/**
 * What the application asks of the client. Every command names the node's PeerId.
 *
 * @category models
 * @since 0.1.0
 */
export type LocalClientCommand =
  | { readonly _tag: "Connect"; readonly peer: PeerId }
  | { readonly _tag: "Disconnect"; readonly peer: PeerId; readonly reason?: string | undefined }
  | { readonly _tag: "FindIntersect"; readonly peer: PeerId; readonly points: ReadonlyArray<Point> }
  | { readonly _tag: "RequestNext"; readonly peer: PeerId }
  | { readonly _tag: "Acquire"; readonly peer: PeerId; readonly target: LocalStateQuery.Target }
  | { readonly _tag: "ReAcquire"; readonly peer: PeerId; readonly target: LocalStateQuery.Target }
  | { readonly _tag: "Query"; readonly peer: PeerId; readonly query: Uint8Array }
  | { readonly _tag: "Release"; readonly peer: PeerId }
  | { readonly _tag: "SubmitTx"; readonly peer: PeerId; readonly tx: EraTx }
  | { readonly _tag: "MonitorAcquire"; readonly peer: PeerId }
  | { readonly _tag: "MonitorRelease"; readonly peer: PeerId }
  | { readonly _tag: "NextTx"; readonly peer: PeerId }
  | { readonly _tag: "HasTx"; readonly peer: PeerId; readonly txId: Uint8Array | EraTxId }
  | { readonly _tag: "GetSizes"; readonly peer: PeerId }
  | { readonly _tag: "GetMeasures"; readonly peer: PeerId }

/**
 * Constructors for {@link LocalClientCommand}.
 *
 * @example
 * ```ts
 * import { LocalClient, PeerId } from "@pallas-network2/core"
 * const connect = LocalClient.LocalClientCommand.Connect(PeerId.unix("/run/cardano/node.socket"))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const LocalClientCommand = {
  Connect: (peer: PeerId): LocalClientCommand => ({ _tag: "Connect", peer }),
  Disconnect: (peer: PeerId, reason?: string): LocalClientCommand => ({ _tag: "Disconnect", peer, reason }),
  FindIntersect: (peer: PeerId, points: ReadonlyArray<Point>): LocalClientCommand => ({ _tag: "FindIntersect", peer, points }),
  RequestNext: (peer: PeerId): LocalClientCommand => ({ _tag: "RequestNext", peer }),
  Acquire: (peer: PeerId, target: LocalStateQuery.Target): LocalClientCommand => ({ _tag: "Acquire", peer, target }),
  ReAcquire: (peer: PeerId, target: LocalStateQuery.Target): LocalClientCommand => ({ _tag: "ReAcquire", peer, target }),
  Query: (peer: PeerId, query: Uint8Array): LocalClientCommand => ({ _tag: "Query", peer, query }),
  Release: (peer: PeerId): LocalClientCommand => ({ _tag: "Release", peer }),
  SubmitTx: (peer: PeerId, tx: EraTx): LocalClientCommand => ({ _tag: "SubmitTx", peer, tx }),
  MonitorAcquire: (peer: PeerId): LocalClientCommand => ({ _tag: "MonitorAcquire", peer }),
  MonitorRelease: (peer: PeerId): LocalClientCommand => ({ _tag: "MonitorRelease", peer }),
  NextTx: (peer: PeerId): LocalClientCommand => ({ _tag: "NextTx", peer }),
  HasTx: (peer: PeerId, txId: Uint8Array | EraTxId): LocalClientCommand => ({ _tag: "HasTx", peer, txId }),
  GetSizes: (peer: PeerId): LocalClientCommand => ({ _tag: "GetSizes", peer }),
  GetMeasures: (peer: PeerId): LocalClientCommand => ({ _tag: "GetMeasures", peer })
} as const

/**
 * The mini-protocol a command or an event belongs to (`"connection"` for the connection's life and
 * the handshake).
 *
 * @category models
 * @since 0.1.0
 */
export type LocalProtocol = "connection" | "local-chain-sync" | "local-state-query" | "local-tx-submission" | "local-tx-monitor"

/**
 * What the client reports.
 *
 * Connection: `Connected`, `HandshakeAccepted`, `HandshakeRefused`, `HandshakeQueryReply`,
 * `Disconnected` (with a readable reason). Local chain-sync: `IntersectFound`, `IntersectNotFound`,
 * `RollForward` (a whole block), `RollBackward`, `AwaitReply`. Local state query: `Acquired`,
 * `AcquireFailed`, `QueryResult` (exact bytes). Local tx-submission: `TxAccepted`, `TxRejected` (the
 * reason's exact bytes). Local tx-monitor: `MempoolAcquired`, `NextTx`, `HasTx`, `MempoolSizes`,
 * `MempoolMeasures`. And `CommandRejected` for a command that was not sent.
 *
 * @category models
 * @since 0.1.0
 */
export type LocalClientEvent =
  | { readonly _tag: "Connected"; readonly peer: PeerId }
  | { readonly _tag: "HandshakeAccepted"; readonly peer: PeerId; readonly version: number; readonly versionData: Handshake.VersionData }
  | { readonly _tag: "HandshakeRefused"; readonly peer: PeerId; readonly reason: Handshake.RefuseReason; readonly text: string }
  | { readonly _tag: "HandshakeQueryReply"; readonly peer: PeerId; readonly versionTable: Handshake.VersionTable }
  | { readonly _tag: "Disconnected"; readonly peer: PeerId; readonly reason: string }
  | { readonly _tag: "IntersectFound"; readonly peer: PeerId; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "IntersectNotFound"; readonly peer: PeerId; readonly tip: Tip }
  | { readonly _tag: "RollForward"; readonly peer: PeerId; readonly block: LocalBlock; readonly tip: Tip }
  | { readonly _tag: "RollBackward"; readonly peer: PeerId; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "AwaitReply"; readonly peer: PeerId }
  | { readonly _tag: "Acquired"; readonly peer: PeerId }
  | { readonly _tag: "AcquireFailed"; readonly peer: PeerId; readonly failure: "PointTooOld" | "PointNotOnChain" }
  | { readonly _tag: "QueryResult"; readonly peer: PeerId; readonly result: Uint8Array }
  | { readonly _tag: "TxAccepted"; readonly peer: PeerId }
  | { readonly _tag: "TxRejected"; readonly peer: PeerId; readonly reason: Uint8Array; readonly era: number | undefined }
  | { readonly _tag: "MempoolAcquired"; readonly peer: PeerId; readonly slot: number }
  | { readonly _tag: "NextTx"; readonly peer: PeerId; readonly tx: EraTx | undefined }
  | { readonly _tag: "HasTx"; readonly peer: PeerId; readonly value: boolean }
  | {
    readonly _tag: "MempoolSizes"
    readonly peer: PeerId
    readonly capacityInBytes: number
    readonly sizeInBytes: number
    readonly numberOfTxs: number
  }
  | {
    readonly _tag: "MempoolMeasures"
    readonly peer: PeerId
    readonly txCount: number
    readonly measures: ReadonlyArray<{ readonly name: string; readonly size: number | bigint; readonly capacity: number | bigint }>
  }
  | { readonly _tag: "CommandRejected"; readonly peer: PeerId; readonly command: LocalClientCommand; readonly reason: string }

/** Each local mini-protocol's client side as data: its commands and the events of its replies. */
const specs = [ChainSyncClient.spec, StateQueryClient.spec, TxSubmissionClient.spec, TxMonitorClient.spec] as const
/** The mini-protocol of each event of a reply, by tag. */
const eventProtocols: ReadonlyMap<string, LocalProtocol> = new Map(specs.flatMap((s) => s.events.map((tag) => [tag, s.name] as const)))
/** The mini-protocol of each command that sends a message, by tag. */
const commandProtocols: ReadonlyMap<string, LocalProtocol> = new Map(
  specs.flatMap((s) => Object.keys(s.commands).map((tag) => [tag, s.name] as const))
)

/**
 * The protocol of an event.
 *
 * @category utils
 * @since 0.1.0
 */
export const protocolOfEvent = (event: LocalClientEvent): LocalProtocol =>
  event._tag === "CommandRejected" ? protocolOfCommand(event.command) : eventProtocols.get(event._tag) ?? "connection"

/**
 * The protocol of a command.
 *
 * @category utils
 * @since 0.1.0
 */
export const protocolOfCommand = (command: LocalClientCommand): LocalProtocol =>
  commandProtocols.get(command._tag) ?? "connection"

/**
 * A short line describing an event, as the CLI logs it.
 *
 * @category utils
 * @since 0.1.0
 */
export const describeEvent = (event: LocalClientEvent): string => {
  switch (event._tag) {
    case "HandshakeAccepted":
      return `${event.peer} handshake accepted: node-to-client v${event.version}, magic ${event.versionData.networkMagic}`
    case "HandshakeRefused":
      return `${event.peer} handshake refused: ${event.text}`
    case "Disconnected":
      return `${event.peer} closed: ${event.reason}`
    case "RollForward":
      return `${event.peer} block ${event.block.blockNo} at slot ${event.block.slot} (era ${W.ERA_NAMES[event.block.era] ?? event.block.era})`
    case "RollBackward":
      return `${event.peer} roll back to ${event.point._tag === "Origin" ? "origin" : `slot ${event.point.slot}`}`
    case "CommandRejected":
      return `${event.peer} ${event.command._tag} not sent: ${event.reason}`
    default:
      return `${event.peer} ${event._tag}`
  }
}

/**
 * The client's view of one connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalClientPeerState {
  readonly handshake: "connecting" | "proposed" | "accepted" | "refused" | "queried"
  /** The negotiated version (without the node-to-client bit). */
  readonly version: number | undefined
  /** The state of each local mini-protocol (the protocol table's state names). */
  readonly states: {
    readonly chainSync: string
    readonly stateQuery: string
    readonly txSubmission: string
    readonly txMonitor: string
  }
  readonly closing: string | undefined
}

/**
 * The client behavior's service key.
 *
 * @category services
 * @since 0.1.0
 */
export const LocalClientBehavior = Behavior.key<LocalClientEvent, LocalClientCommand, LocalClientPeerState, AnyNodeToClientMessage>(
  "@pallas-network2/core/LocalClientBehavior"
)

/**
 * The service key of the Manager that drives the client.
 *
 * @category services
 * @since 0.1.0
 */
export const LocalClientManager = Manager.key(LocalClientBehavior)

/**
 * The client behavior's shape.
 *
 * @category models
 * @since 0.1.0
 */
export type LocalClientBehaviorShape = Behavior.Behavior<LocalClientEvent, LocalClientCommand, LocalClientPeerState, AnyNodeToClientMessage>

/**
 * Reads a block delivered by local chain-sync; throws `Block.BlockError` on bytes that are not a block.
 *
 * @category decoding
 * @since 0.1.0
 */
export const readBlock: (bytes: Uint8Array) => LocalBlock = ChainSyncClient.readBlock

/**
 * Makes the client behavior in the current scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LocalClient, Manager } from "@pallas-network2/core"
 * // const behavior = yield* LocalClient.make({ networkMagic: 2 })
 * // const manager = yield* Manager.make(iface, behavior)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(config: LocalClientConfig = {}) {
  const ctx = yield* makeContext
  const connections = ctx.connections
  const handshake = HandshakeClient.make(ctx, config)
  const chainSync = protocolClient(ctx, ChainSyncClient.spec)
  const stateQuery = protocolClient(ctx, StateQueryClient.spec)
  const txSubmission = protocolClient(ctx, TxSubmissionClient.spec)
  const txMonitor = protocolClient(ctx, TxMonitorClient.spec)
  /** The handshake and every local mini-protocol's client side, in the order a connection's state is made. */
  const parts: ReadonlyArray<Lifecycle> = [handshake, chainSync, stateQuery, txSubmission, txMonitor]

  /** A sub-behavior as the router sees it: any message of its protocol in. */
  type Port = (conn: Connection, message: AnyNodeToClientMessage) => Effect.Effect<void>
  const port = <R extends AnyNodeToClientMessage, C, V>(part: SubBehavior<R, C, V>): readonly [ProtocolName, Port] => [
    part.protocol,
    (conn, m) => part.isReply(m) ? part.onMessage(conn, m) : Effect.void
  ]
  /** Each mini-protocol's port, by its name. */
  const ports = new Map<ProtocolName, Port>([
    port(handshake),
    port(chainSync),
    port(stateQuery),
    port(txSubmission),
    port(txMonitor)
  ])

  /** Makes a connection's record and every part's state for it. */
  const open = Effect.fnUntraced(function*(peer: PeerId) {
    const conn = newConnection(peer)
    connections.set(peer, conn)
    for (const part of parts) yield* part.connected(conn)
    return conn
  })

  const onDisconnected = Effect.fnUntraced(function*(peer: PeerId) {
    const conn = connections.get(peer)
    connections.delete(peer)
    if (conn !== undefined) for (const part of parts) yield* part.disconnected(conn)
    const reason = conn === undefined ? "closed" : conn.error ?? conn.closing ?? "closed by the node"
    ctx.emit({ _tag: "Disconnected", peer, reason })
  })

  // hoisted: a generator function written inline is built again at every call (as in the responder)
  const onIo = Effect.fnUntraced(function*(event: InterfaceEvent<AnyNodeToClientMessage>) {
    switch (event._tag) {
      case "Connected": {
        const conn = connections.get(event.peer) ?? (yield* open(event.peer))
        ctx.emit({ _tag: "Connected", peer: event.peer })
        return yield* handshake.propose(conn)
      }
      case "Error": {
        const conn = connections.get(event.peer)
        if (conn !== undefined) conn.error ??= event.error.message
        return
      }
      case "Disconnected":
        return yield* onDisconnected(event.peer)
      case "Recv": {
        const conn = connections.get(event.peer)
        if (conn === undefined) return
        for (const m of event.messages) {
          if (conn.closing !== undefined) return
          const port = ports.get(m.protocol)
          if (port !== undefined) yield* port(conn, m)
        }
        return
      }
      default:
        return
    }
  })
  const handleIo = (event: InterfaceEvent<AnyNodeToClientMessage>): Effect.Effect<void> => ctx.locked(onIo(event))

  const onCommand = Effect.fnUntraced(function*(command: LocalClientCommand) {
    const conn = connections.get(command.peer)
    if (command._tag === "Connect") {
      if (conn !== undefined) return ctx.rejected(command, "already connected (or connecting)")
      yield* open(command.peer)
      return ctx.connect(command.peer)
    }
    if (conn === undefined) return ctx.rejected(command, "not connected")
    if (command._tag === "Disconnect") return ctx.close(conn, command.reason ?? "closed by the application")
    if (conn.closing !== undefined) return ctx.rejected(command, `the connection is closing: ${conn.closing}`)
    if (conn.handshake !== "accepted") return ctx.rejected(command, "the handshake is not done")
    switch (command._tag) {
      case "FindIntersect":
      case "RequestNext":
        return yield* chainSync.onCommand(conn, command)
      case "Acquire":
      case "ReAcquire":
      case "Query":
      case "Release":
        return yield* stateQuery.onCommand(conn, command)
      case "SubmitTx":
        return yield* txSubmission.onCommand(conn, command)
      case "MonitorAcquire":
      case "MonitorRelease":
      case "NextTx":
      case "HasTx":
      case "GetSizes":
      case "GetMeasures":
        return yield* txMonitor.onCommand(conn, command)
    }
  })
  const execute = (command: LocalClientCommand): Effect.Effect<void> => ctx.locked(onCommand(command))

  const snapshot = (conn: Connection): LocalClientPeerState => ({
    handshake: conn.handshake,
    version: conn.version,
    states: {
      chainSync: chainSync.view(conn),
      stateQuery: stateQuery.view(conn),
      txSubmission: txSubmission.view(conn),
      txMonitor: txMonitor.view(conn)
    },
    closing: conn.closing
  })

  const behavior: LocalClientBehaviorShape = {
    handleIo,
    execute,
    outputs: ctx.outputs,
    outbox: ctx.outbox,
    peers: ctx.locked(Effect.sync(() => new Map([...connections].map(([p, conn]) => [p, snapshot(conn)] as const))))
  }
  return behavior
})

/**
 * The client behavior's layer.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { LocalClient } from "@pallas-network2/core"
 * const ClientLive = LocalClient.managerLayer().pipe(Layer.provideMerge(LocalClient.layer({ networkMagic: 2 })))
 * // still needs an Interface over LocalClient.protocols, e.g. UnixInterface.layer({ protocols: LocalClient.protocols })
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (config: LocalClientConfig = {}): Layer.Layer<LocalClientBehaviorShape> =>
  Layer.effect(LocalClientBehavior, make(config))

/**
 * The manager's layer for the client: needs the Interface and the client behavior.
 *
 * @category layers
 * @since 0.1.0
 */
export const managerLayer = (options: Manager.ManagerOptions = {}) => Manager.layer(LocalClientBehavior, options)
