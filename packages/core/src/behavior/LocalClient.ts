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
import * as Semaphore from "effect/Semaphore"
import * as Behavior from "../Behavior.ts"
import * as Block from "../chain/Block.ts"
import { InterfaceCommand, type InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { Message } from "../Message.ts"
import * as OutboundQueue from "../OutboundQueue.ts"
import { NetworkMagic, type PeerId } from "../Primitives.ts"
import { blockTagOf, type EraTx, type EraTxId, type Point, type Tip } from "../protocol/Common.ts"
import * as Driver from "../protocol/Driver.ts"
import * as Handshake from "../protocol/Handshake.ts"
import * as LocalChainSync from "../protocol/LocalChainSync.ts"
import * as LocalStateQuery from "../protocol/LocalStateQuery.ts"
import * as LocalTxMonitor from "../protocol/LocalTxMonitor.ts"
import * as LocalTxSubmission from "../protocol/LocalTxSubmission.ts"
import * as W from "./internal/local-wire.ts"

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

/**
 * The protocol of an event.
 *
 * @category utils
 * @since 0.1.0
 */
export const protocolOfEvent = (event: LocalClientEvent): LocalProtocol => {
  switch (event._tag) {
    case "IntersectFound":
    case "IntersectNotFound":
    case "RollForward":
    case "RollBackward":
    case "AwaitReply":
      return "local-chain-sync"
    case "Acquired":
    case "AcquireFailed":
    case "QueryResult":
      return "local-state-query"
    case "TxAccepted":
    case "TxRejected":
      return "local-tx-submission"
    case "MempoolAcquired":
    case "NextTx":
    case "HasTx":
    case "MempoolSizes":
    case "MempoolMeasures":
      return "local-tx-monitor"
    case "CommandRejected":
      return protocolOfCommand(event.command)
    default:
      return "connection"
  }
}

/**
 * The protocol of a command.
 *
 * @category utils
 * @since 0.1.0
 */
export const protocolOfCommand = (command: LocalClientCommand): LocalProtocol => {
  const m = messageOf(command)
  return m === undefined ? "connection" : m.protocol as LocalProtocol
}

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
export const LocalClientBehavior = Behavior.key<LocalClientEvent, LocalClientCommand, LocalClientPeerState>(
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
export type LocalClientBehaviorShape = Behavior.Behavior<LocalClientEvent, LocalClientCommand, LocalClientPeerState>

/** The message a protocol command sends. */
const messageOf = (command: LocalClientCommand): Message | undefined => {
  switch (command._tag) {
    case "FindIntersect":
      return LocalChainSync.make.findIntersect(command.points)
    case "RequestNext":
      return LocalChainSync.make.requestNext()
    case "Acquire":
      return LocalStateQuery.make.acquire(command.target)
    case "ReAcquire":
      return LocalStateQuery.make.reAcquire(command.target)
    case "Query":
      return LocalStateQuery.make.query(command.query)
    case "Release":
      return LocalStateQuery.make.release()
    case "SubmitTx":
      return LocalTxSubmission.make.submitTx(command.tx)
    case "MonitorAcquire":
      return LocalTxMonitor.make.acquire()
    case "MonitorRelease":
      return LocalTxMonitor.make.release()
    case "NextTx":
      return LocalTxMonitor.make.nextTx()
    case "HasTx":
      return LocalTxMonitor.make.hasTx(command.txId)
    case "GetSizes":
      return LocalTxMonitor.make.getSizes()
    case "GetMeasures":
      return LocalTxMonitor.make.getMeasures()
    default:
      return undefined
  }
}

interface Conn {
  readonly peer: PeerId
  handshake: LocalClientPeerState["handshake"]
  version: number | undefined
  closing: string | undefined
  error: string | undefined
  /** Shadow drivers: what each protocol allows us to send now. */
  readonly drivers: Map<string, Driver.Driver<any>>
}

/**
 * Reads a block delivered by local chain-sync; throws `Block.BlockError` on bytes that are not a block.
 *
 * @category decoding
 * @since 0.1.0
 */
export const readBlock = (bytes: Uint8Array): LocalBlock => {
  const b = Block.parse(bytes)
  return { era: b.header.era, tag: blockTagOf(bytes), slot: b.slot, hash: b.hash, blockNo: b.blockNo, prevHash: b.prevHash, bytes }
}

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
  const magic = config.networkMagic ?? NetworkMagic.mainnet
  const table = config.versionTable ??
    Handshake.n2cVersionTable({ magic, versions: config.versions ?? Handshake.N2C_VERSIONS, query: config.query ?? false })
  const out = yield* OutboundQueue.make<LocalClientEvent>()
  const lock = yield* Semaphore.make(1)
  const locked = <A, E, R>(effect: Effect.Effect<A, E, R>) => Semaphore.withPermit(lock, effect)
  const conns = new Map<PeerId, Conn>()

  const emit = (event: LocalClientEvent) => out.event(event)
  const close = (c: Conn, reason: string) => {
    if (c.closing !== undefined) return
    c.closing = reason
    out.command(InterfaceCommand.Disconnect(c.peer, reason))
  }
  const newConn = (peer: PeerId): Conn => ({
    peer,
    handshake: "connecting",
    version: undefined,
    closing: undefined,
    error: undefined,
    drivers: new Map(W.protocols.filter((p) => p.channel !== 0).map((p) => [p.name, Driver.make(p, "initiator")]))
  })

  const onHandshake = (c: Conn, m: Handshake.Message) => {
    switch (m._tag) {
      case "MsgAcceptVersion": {
        const ours = table.get(m.version)
        if (ours === undefined) {
          c.handshake = "refused"
          return close(c, `handshake: the node accepted v${Handshake.plainVersion(m.version)}, which we did not propose`)
        }
        if (m.versionData.networkMagic !== ours.networkMagic) {
          c.handshake = "refused"
          return close(c, `handshake: the node accepted with network magic ${m.versionData.networkMagic}, not ours (${ours.networkMagic})`)
        }
        c.handshake = "accepted"
        c.version = Handshake.plainVersion(m.version)
        return emit({ _tag: "HandshakeAccepted", peer: c.peer, version: c.version, versionData: m.versionData })
      }
      case "MsgRefuse": {
        c.handshake = "refused"
        const text = W.refusalText(m.reason)
        emit({ _tag: "HandshakeRefused", peer: c.peer, reason: m.reason, text })
        return close(c, `handshake refused: ${text}`)
      }
      case "MsgQueryReply": {
        c.handshake = "queried"
        emit({ _tag: "HandshakeQueryReply", peer: c.peer, versionTable: m.versionTable })
        return close(c, "handshake query answered")
      }
      default:
        return close(c, `handshake: unexpected ${m._tag}`)
    }
  }

  const onMessage = (c: Conn, message: Message) => {
    if (message.protocol === "handshake") return onHandshake(c, message as Handshake.Message)
    const driver = c.drivers.get(message.protocol)
    if (driver !== undefined) driver.recv(message, 0)
    const peer = c.peer
    switch (message.protocol) {
      case "local-chain-sync": {
        const m = message as LocalChainSync.Message
        switch (m._tag) {
          case "MsgRollForward": {
            let block: LocalBlock
            try {
              block = readBlock(m.block.bytes)
            } catch (e) {
              return close(c, `local chain-sync: the node sent a block that cannot be read: ${e instanceof Error ? e.message : String(e)}`)
            }
            return emit({ _tag: "RollForward", peer, block, tip: m.tip })
          }
          case "MsgRollBackward":
            return emit({ _tag: "RollBackward", peer, point: m.point, tip: m.tip })
          case "MsgAwaitReply":
            return emit({ _tag: "AwaitReply", peer })
          case "MsgIntersectFound":
            return emit({ _tag: "IntersectFound", peer, point: m.point, tip: m.tip })
          case "MsgIntersectNotFound":
            return emit({ _tag: "IntersectNotFound", peer, tip: m.tip })
          default:
            return
        }
      }
      case "local-state-query": {
        const m = message as LocalStateQuery.Message
        switch (m._tag) {
          case "MsgAcquired":
            return emit({ _tag: "Acquired", peer })
          case "MsgFailure":
            return emit({ _tag: "AcquireFailed", peer, failure: m.failure === 0 ? "PointTooOld" : "PointNotOnChain" })
          case "MsgResult":
            return emit({ _tag: "QueryResult", peer, result: m.result })
          default:
            return
        }
      }
      case "local-tx-submission": {
        const m = message as LocalTxSubmission.Message
        if (m._tag === "MsgAcceptTx") return emit({ _tag: "TxAccepted", peer })
        if (m._tag === "MsgRejectTx") return emit({ _tag: "TxRejected", peer, reason: m.reason, era: m.era })
        return
      }
      case "local-tx-monitor": {
        const m = message as LocalTxMonitor.Message
        switch (m._tag) {
          case "MsgAcquired":
            return emit({ _tag: "MempoolAcquired", peer, slot: m.slot })
          case "MsgReplyNextTx":
            return emit({ _tag: "NextTx", peer, tx: m.tx })
          case "MsgReplyHasTx":
            return emit({ _tag: "HasTx", peer, value: m.value })
          case "MsgReplyGetSizes":
            return emit({
              _tag: "MempoolSizes",
              peer,
              capacityInBytes: m.capacityInBytes,
              sizeInBytes: m.sizeInBytes,
              numberOfTxs: m.numberOfTxs
            })
          case "MsgReplyGetMeasures":
            return emit({ _tag: "MempoolMeasures", peer, txCount: m.txCount, measures: m.measures })
          default:
            return
        }
      }
      default:
        return
    }
  }

  const handleIo = (event: InterfaceEvent): Effect.Effect<void> =>
    locked(Effect.sync(() => {
      switch (event._tag) {
        case "Connected": {
          let c = conns.get(event.peer)
          if (c === undefined) conns.set(event.peer, c = newConn(event.peer))
          c.handshake = "proposed"
          emit({ _tag: "Connected", peer: event.peer })
          out.command(InterfaceCommand.Send(event.peer, Handshake.make.propose(table)))
          return
        }
        case "Error": {
          const c = conns.get(event.peer)
          if (c !== undefined) c.error ??= event.error.message
          return
        }
        case "Disconnected": {
          const c = conns.get(event.peer)
          conns.delete(event.peer)
          const reason = c === undefined
            ? "closed"
            : c.error !== undefined
            ? c.error
            : c.closing !== undefined
            ? c.closing
            : "closed by the node"
          emit({ _tag: "Disconnected", peer: event.peer, reason })
          return
        }
        case "Recv": {
          const c = conns.get(event.peer)
          if (c === undefined) return
          for (const m of event.messages) {
            if (c.closing !== undefined) return
            onMessage(c, m)
          }
          return
        }
        default:
          return
      }
    }))

  const execute = (command: LocalClientCommand): Effect.Effect<void> =>
    locked(Effect.sync(() => {
      const rejected = (reason: string) => emit({ _tag: "CommandRejected", peer: command.peer, command, reason })
      const c = conns.get(command.peer)
      if (command._tag === "Connect") {
        if (c !== undefined) return rejected("already connected (or connecting)")
        conns.set(command.peer, newConn(command.peer))
        out.command(InterfaceCommand.Connect(command.peer))
        return
      }
      if (c === undefined) return rejected("not connected")
      if (command._tag === "Disconnect") return close(c, command.reason ?? "closed by the application")
      if (c.closing !== undefined) return rejected(`the connection is closing: ${c.closing}`)
      if (c.handshake !== "accepted") return rejected("the handshake is not done")
      const message = messageOf(command)!
      const driver = c.drivers.get(message.protocol)!
      const before = driver.state
      const step = driver.send(message)
      if (step._tag === "Violation") return rejected(`${message._tag} is not allowed in ${message.protocol} state ${before}`)
      out.command(InterfaceCommand.Send(c.peer, message))
    }))

  const snapshot = (c: Conn): LocalClientPeerState => ({
    handshake: c.handshake,
    version: c.version,
    states: {
      chainSync: c.drivers.get("local-chain-sync")!.state,
      stateQuery: c.drivers.get("local-state-query")!.state,
      txSubmission: c.drivers.get("local-tx-submission")!.state,
      txMonitor: c.drivers.get("local-tx-monitor")!.state
    },
    closing: c.closing
  })

  const behavior: LocalClientBehaviorShape = {
    handleIo,
    execute,
    outputs: out.stream,
    peers: locked(Effect.sync(() => new Map([...conns].map(([p, c]) => [p, snapshot(c)] as const))))
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
