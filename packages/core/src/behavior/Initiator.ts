/**
 * The node-to-node initiator: the outbound, peer-to-peer side of a Cardano node's networking. It keeps
 * a set of peers at three temperatures (cold: known; warm: connected, handshaken, keep-alive running;
 * hot: chain-sync and block-fetch running) plus banned, and a governor that promotes and demotes them
 * to meet configurable targets, churns the worst peer now and then, and dials cold peers again with
 * exponential backoff and jitter. On hot peers it follows the chain with pipelined chain-sync, selects
 * the best tip, fetches the block ranges the application asks for spread over the peers that hold
 * them (each block delivered once and in order), and offers the application's transactions through
 * the client side of tx-submission2. Peer-sharing feeds the known set.
 *
 * Compared with the Rust crate's InitiatorBehavior it adds: a keep-alive with a random cookie, RTT
 * measurement and a deadline; handshake refusals and query replies reported; disconnected peers going
 * back to cold and retried with backoff; BanPeer and DemotePeer moving the peer for real; pipelined
 * chain-sync with low and high marks; chain selection; per-peer block-fetch routing with re-asking
 * on failure and exactly-once in-order delivery; tx-submission2 client (MsgInit, ids, txs,
 * TxRequested); bounded peer discovery; timers of its own driven by Effect's Clock.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Behavior from "../Behavior.ts"
import * as Cbor from "../cbor/Cbor.ts"
import type { Interface, InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { ProtocolName } from "../Message.ts"
import type { AnyNodeToNodeMessage } from "../protocol/NodeToNode.ts"
import type { PeerId } from "../Primitives.ts"
import { type EraTx, type EraTxId, Point, type Tip, type WrappedHeader } from "../protocol/Common.ts"
import * as Handshake from "../protocol/Handshake.ts"
import * as BlockFetchClient from "./initiator/blockFetch.ts"
import * as ChainSyncClient from "./initiator/chainSync.ts"
import { type Connection, type Lifecycle, makeContext, newConnection, settingsOf, type SubBehavior } from "./initiator/context.ts"
import * as Governor from "./initiator/governor.ts"
import * as HandshakeClient from "./initiator/handshake.ts"
import * as KeepAliveClient from "./initiator/keepAlive.ts"
import * as PeerSharingClient from "./initiator/peerSharing.ts"
import * as TxSubmissionClient from "./initiator/txSubmission.ts"
import type { Phase, Temperature } from "./internal/initiator-peers.ts"
import { forEachRun } from "./internal/sentRuns.ts"

// ---------------------------------------------------------------------------------------------------
// configuration
// ---------------------------------------------------------------------------------------------------

/**
 * Node-to-node version data, as proposed and accepted in the handshake.
 *
 * @category models
 * @since 0.1.0
 */
export type VersionData = Handshake.VersionData

/**
 * A handshake version table: version number to version data.
 *
 * @category models
 * @since 0.1.0
 */
export type VersionTable = Handshake.VersionTable

/**
 * A local root group: peers the governor keeps connected by the group's own valency, whatever the
 * overall targets (a topology file's `localRoots` entry, its addresses resolved).
 *
 * @category models
 * @since 0.2.0
 */
export interface RootGroup {
  readonly peers: ReadonlyArray<PeerId>
  /** How many of the group's peers to keep hot. */
  readonly hotValency: number
  /** How many of the group's peers to keep established (warm or hot); at least `hotValency`. */
  readonly warmValency: number
  /** Trusted peers: chosen first and demoted last. */
  readonly trustable: boolean
}

/**
 * The root peers of a topology: local root groups (each kept at its valency), public roots (known
 * peers like the application's) and bootstrap peers (trusted: chosen before the others and demoted
 * last).
 *
 * @category models
 * @since 0.2.0
 */
export interface RootPeers {
  readonly localRoots: ReadonlyArray<RootGroup>
  readonly publicRoots: ReadonlyArray<PeerId>
  readonly bootstrapPeers: ReadonlyArray<PeerId>
}

/**
 * The initiator's configuration. Every field has a default.
 *
 * @example
 * ```ts
 * import { Initiator } from "@pallas-network2/core"
 * const config: Initiator.InitiatorConfig = {
 *   networkMagic: 2,
 *   targets: { known: 50, established: 10, active: 5 },
 *   chainSync: { lowMark: 200, highMark: 300 }
 * }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface InitiatorConfig {
  /** The network magic proposed. Default mainnet (764824073). */
  readonly networkMagic?: number
  /** The node-to-node versions proposed. Default 14, 15 and 16. */
  readonly versions?: ReadonlyArray<number>
  /** A whole version table to propose instead of one built from the fields here. */
  readonly versionTable?: VersionTable
  /** Propose with `query = true`: the peer answers with its version table, reported, then we close. */
  readonly query?: boolean
  /** Whether we take part in peer-sharing (asked in our version data). Default true. */
  readonly peerSharing?: boolean
  /** The diffusion mode sent in our version data. Default true (we only initiate). */
  readonly initiatorOnly?: boolean
  /**
   * How many peers to keep: `known` (cold, warm and hot), `established` (warm and hot), `active`
   * (hot). Default 150, 30 and 20, the reference relay targets.
   */
  readonly targets?: { readonly known?: number; readonly established?: number; readonly active?: number }
  /**
   * Root peers (see {@link RootPeers}), or a function giving them, read at each governor pass (at
   * least every `housekeepingInterval`): when it gives a new value (another object), the new peers
   * are added and a peer known only as a root that is no longer named is disconnected and forgotten,
   * so addresses resolved again replace the old ones. Default: none.
   */
  readonly rootPeers?: RootPeers | (() => RootPeers) | undefined
  /**
   * Reconnection backoff: first delay `base` (default 1 second) doubling up to `max` (default 1
   * minute), spread by `jitter` (default 0.2, i.e. +/- 20 %). A discovered peer that fails
   * `forgetAfter` times in a row is forgotten (default 5); peers included by the application never are.
   */
  readonly backoff?: {
    readonly base?: Duration.Input
    readonly max?: Duration.Input
    readonly jitter?: number
    readonly forgetAfter?: number
  }
  /** How long a ban lasts. Default 30 minutes. */
  readonly banDuration?: Duration.Input
  /** A connection that is not handshaken within this time is closed (a failure). Default 15 seconds. */
  readonly connectTimeout?: Duration.Input
  /**
   * Keep-alive: a message with a random cookie every `interval` (default 10 seconds); a peer that has
   * not answered within `timeout` (default 30 seconds) is dropped.
   */
  readonly keepAlive?: { readonly interval?: Duration.Input; readonly timeout?: Duration.Input }
  /** How often the worst peer is churned; `undefined` or 0 turns churn off. Default 5 minutes. */
  readonly churnInterval?: Duration.Input | undefined
  /** A peer demoted by the application or by churn is not promoted again before this. Default 1 minute. */
  readonly demotionHold?: Duration.Input
  /** How often timers are checked and the governor runs. Default 1 second. */
  readonly housekeepingInterval?: Duration.Input
  /**
   * Chain-sync pipelining: when the requests in flight fall to `lowMark`, top them up to `highMark`.
   * Default 200 and 300 (the reference marks). `highMark: 1` turns pipelining off.
   * `maxHeadersPerPeer` bounds each peer's header fragment, its candidate chain (default and least:
   * the security parameter k; older headers are dropped, so a range older than that is fetched
   * without its headers known).
   * `noProgressWindow`: a hot peer that sends this many chain-sync answers in a row (roll-forwards
   * and roll-backs) without the highest block number of its chain rising is demoted, held back for
   * `demotionHold` (default 2k + 100; an honest peer switches only to a chain at least as long and
   * never rolls back more than k, so it never trips this).
   */
  readonly chainSync?: {
    readonly lowMark?: number
    readonly highMark?: number
    readonly maxHeadersPerPeer?: number
    readonly noProgressWindow?: number
  }
  /**
   * The security parameter k: a peer may roll back only to a point of the chain it sent us (or our
   * intersection with it), at most k headers back; anything else bans the peer. Default 2160
   * (mainnet and the public testnets).
   */
  readonly securityParam?: number
  /**
   * Block-fetch: ranges are cut into chunks of `chunkBlocks` blocks (default 100) when their headers
   * are known; each peer has at most `maxInFlightPerPeer` requests in flight (default 2).
   */
  readonly blockFetch?: { readonly chunkBlocks?: number; readonly maxInFlightPerPeer?: number }
  /**
   * Peer-sharing: ask for `amount` peers (default 10) from each warm peer that negotiated it, again
   * every `interval` (default 15 minutes), while the known set is under its target.
   */
  readonly peerSharingRequest?: { readonly amount?: number; readonly interval?: Duration.Input }
  /** tx-submission2: most unacknowledged ids per peer (default 10) and pool capacity (default 1 000). */
  readonly txSubmission?: { readonly maxUnacked?: number; readonly poolCapacity?: number }
}

// ---------------------------------------------------------------------------------------------------
// commands
// ---------------------------------------------------------------------------------------------------

/**
 * Where chain-sync starts: at the origin, at each peer's tip, or at the first of the given points
 * each peer has (newest first, as usual).
 *
 * @category models
 * @since 0.1.0
 */
export type SyncStart =
  | { readonly _tag: "Origin" }
  | { readonly _tag: "Tip" }
  | { readonly _tag: "Points"; readonly points: ReadonlyArray<Point> }

/**
 * Constructors for {@link SyncStart}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const SyncStart = {
  origin: { _tag: "Origin" } as SyncStart,
  tip: { _tag: "Tip" } as SyncStart,
  points: (points: ReadonlyArray<Point>): SyncStart => ({ _tag: "Points", points })
} as const

/**
 * What the application tells the initiator.
 *
 * - `IncludePeer`: a peer to know (cold); the governor connects to it as targets allow.
 * - `StartSync`: follow the chain on every hot peer from `start` (restarts peers already syncing).
 * - `FetchRange`: fetch the blocks from `from` to `to` inclusive; `BlockReceived` for each, in order,
 *   then `RangeFetched` (or `RangeFailed`). `id` is echoed in those events (default: a counter from 1).
 * - `SubmitTx`: offer a transaction to peers through tx-submission2 (its id is computed from its body
 *   when not given).
 * - `BanPeer`: disconnect and ban the peer for the ban duration.
 * - `DemotePeer`: hot to warm, or warm to cold (disconnected); held there for a while.
 *
 * @category models
 * @since 0.1.0
 */
export type InitiatorCommand =
  | { readonly _tag: "IncludePeer"; readonly peer: PeerId }
  | { readonly _tag: "StartSync"; readonly start: SyncStart }
  | { readonly _tag: "FetchRange"; readonly from: Point; readonly to: Point; readonly id?: number | undefined }
  | { readonly _tag: "SubmitTx"; readonly tx: EraTx; readonly txId?: EraTxId | undefined }
  | { readonly _tag: "BanPeer"; readonly peer: PeerId; readonly reason?: string | undefined }
  | { readonly _tag: "DemotePeer"; readonly peer: PeerId }

/**
 * Constructors for {@link InitiatorCommand}.
 *
 * @example
 * ```ts
 * import { Initiator, PeerId } from "@pallas-network2/core"
 * const include = Initiator.InitiatorCommand.IncludePeer(PeerId.tcp("127.0.0.1", 3001))
 * const sync = Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const InitiatorCommand = {
  IncludePeer: (peer: PeerId): InitiatorCommand => ({ _tag: "IncludePeer", peer }),
  StartSync: (start: SyncStart | ReadonlyArray<Point> = SyncStart.origin): InitiatorCommand => ({
    _tag: "StartSync",
    start: Array.isArray(start) ? SyncStart.points(start) : start as SyncStart
  }),
  FetchRange: (from: Point, to: Point, id?: number): InitiatorCommand => ({ _tag: "FetchRange", from, to, id }),
  SubmitTx: (tx: EraTx, txId?: EraTxId): InitiatorCommand => ({ _tag: "SubmitTx", tx, txId }),
  BanPeer: (peer: PeerId, reason?: string): InitiatorCommand => ({ _tag: "BanPeer", peer, reason }),
  DemotePeer: (peer: PeerId): InitiatorCommand => ({ _tag: "DemotePeer", peer })
} as const

// ---------------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------------

/**
 * How a handshake ended.
 *
 * @category models
 * @since 0.1.0
 */
export type HandshakeOutcome =
  | { readonly _tag: "Accepted"; readonly version: number; readonly data: VersionData | undefined }
  | { readonly _tag: "Refused"; readonly reason: string }
  | { readonly _tag: "Queried"; readonly versions: VersionTable }

/**
 * A block as the initiator delivers it: its point, number and bytes (`[blockTag, block]` as received).
 *
 * @category models
 * @since 0.1.0
 */
export interface ReceivedBlock {
  readonly point: Point
  readonly blockNo: number
  readonly prevHash: Uint8Array | undefined
  readonly bytes: Uint8Array
}

/**
 * What the initiator tells the application.
 *
 * Peers: `PeerDiscovered` (through peer-sharing), `PeerPromoted` (cold to warm after the handshake,
 * warm to hot), `PeerDemoted` (with the reason; to `cold` means disconnected), `PeerBanned`,
 * `ConnectFailed` (a dial or handshake that failed; retried after `retryIn` ms), `HandshakeResult`.
 *
 * Chain: `IntersectionFound` / `IntersectionNotFound`, `HeaderReceived` and `RolledBack` per peer,
 * `TipChanged` (the best tip across peers, by block number).
 *
 * Blocks: `BlockReceived` (each block of a range once, in order), `RangeFetched`, `RangeFailed`.
 *
 * Transactions: `TxRequested` (a peer asked for one of ours).
 *
 * @category models
 * @since 0.1.0
 */
export type InitiatorEvent =
  | { readonly _tag: "PeerDiscovered"; readonly peer: PeerId; readonly via: PeerId }
  | { readonly _tag: "PeerPromoted"; readonly peer: PeerId; readonly from: Temperature; readonly to: Temperature }
  | {
    readonly _tag: "PeerDemoted"
    readonly peer: PeerId
    readonly from: Temperature
    readonly to: Temperature
    readonly reason: string
  }
  | { readonly _tag: "PeerBanned"; readonly peer: PeerId; readonly reason: string; readonly until: number }
  | { readonly _tag: "ConnectFailed"; readonly peer: PeerId; readonly reason: string; readonly retryIn: number }
  | { readonly _tag: "HandshakeResult"; readonly peer: PeerId; readonly result: HandshakeOutcome }
  | { readonly _tag: "IntersectionFound"; readonly peer: PeerId; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "IntersectionNotFound"; readonly peer: PeerId; readonly tip: Tip }
  | {
    readonly _tag: "HeaderReceived"
    readonly peer: PeerId
    readonly header: WrappedHeader
    readonly point: Point
    readonly blockNo: number
    readonly prevHash: Uint8Array | undefined
    readonly tip: Tip
  }
  | { readonly _tag: "RolledBack"; readonly peer: PeerId; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "TipChanged"; readonly peer: PeerId; readonly point: Point; readonly blockNo: number }
  | {
    readonly _tag: "BlockReceived"
    readonly peer: PeerId
    readonly rangeId: number
    readonly index: number
    readonly block: ReceivedBlock
  }
  | {
    readonly _tag: "RangeFetched"
    readonly rangeId: number
    readonly from: Point
    readonly to: Point
    readonly blocks: number
    readonly bytes: number
  }
  | { readonly _tag: "RangeFailed"; readonly rangeId: number; readonly from: Point; readonly to: Point; readonly reason: string }
  | { readonly _tag: "TxRequested"; readonly peer: PeerId; readonly txId: EraTxId }

/**
 * A short line describing an event, as the CLI prints it.
 *
 * @category utils
 * @since 0.1.0
 */
export const describeEvent = (event: InitiatorEvent): string => {
  switch (event._tag) {
    case "PeerDiscovered":
      return `${event.peer} discovered through ${event.via}`
    case "PeerPromoted":
      return `${event.peer} promoted ${event.from} -> ${event.to}`
    case "PeerDemoted":
      return `${event.peer} demoted ${event.from} -> ${event.to}: ${event.reason}`
    case "PeerBanned":
      return `${event.peer} banned: ${event.reason}`
    case "ConnectFailed":
      return `${event.peer} connection failed: ${event.reason} (retry in ${Math.round(event.retryIn)} ms)`
    case "HandshakeResult":
      return event.result._tag === "Accepted"
        ? `${event.peer} handshake accepted: v${event.result.version}${
          event.result.data === undefined ? "" : ` ${Handshake.describeVersionData(event.result.data)}`
        }`
        : event.result._tag === "Refused"
        ? `${event.peer} handshake refused: ${event.result.reason}`
        : `${event.peer} supports versions ${[...event.result.versions.keys()].join(", ")}`
    case "IntersectionFound":
      return `${event.peer} intersection at ${Point.toString(event.point)} (tip ${event.tip.blockNo})`
    case "IntersectionNotFound":
      return `${event.peer} no intersection (tip ${event.tip.blockNo})`
    case "HeaderReceived":
      return `${event.peer} roll forward ${event.blockNo} ${Point.toString(event.point)}`
    case "RolledBack":
      return `${event.peer} roll backward to ${Point.toString(event.point)}`
    case "TipChanged":
      return `best tip ${event.blockNo} ${Point.toString(event.point)} (from ${event.peer})`
    case "BlockReceived":
      return `block ${event.block.blockNo} ${Point.toString(event.block.point)} (${event.block.bytes.length} bytes) from ${event.peer}`
    case "RangeFetched":
      return `range ${event.rangeId} fetched: ${event.blocks} blocks, ${event.bytes} bytes`
    case "RangeFailed":
      return `range ${event.rangeId} failed: ${event.reason}`
    case "TxRequested":
      return `${event.peer} asked for tx ${Cbor.toHex(event.txId.txId)}`
  }
}

// ---------------------------------------------------------------------------------------------------
// peer state
// ---------------------------------------------------------------------------------------------------

/**
 * What the initiator knows of one peer (a snapshot; read with `peers`).
 *
 * @category models
 * @since 0.1.0
 */
export interface InitiatorPeerState {
  readonly temperature: Temperature
  /** Cold peers: `idle`, `connecting` or `handshaking`; warm and hot peers: `established`. */
  readonly phase: Phase
  readonly source: "included" | "discovered"
  /** Consecutive failures, and when the peer may be dialled again (ms, from the Clock). */
  readonly failures: number
  readonly retryAt: number
  readonly bannedUntil: number | undefined
  readonly banReason: string | undefined
  /** Smoothed keep-alive round trip (ms). */
  readonly rtt: number | undefined
  readonly version: number | undefined
  readonly versionData: VersionData | undefined
  /** Chain-sync: requests in flight, headers received, the peer's last announced tip and our head of its chain. */
  readonly chainSync: {
    readonly inFlight: number
    readonly headers: number
    readonly tip: Tip | undefined
    readonly head: { readonly point: Point; readonly blockNo: number } | undefined
  }
  /** Block-fetch requests in flight. */
  readonly blockFetchInFlight: number
}

// ---------------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------------

/**
 * The initiator behavior's service key.
 *
 * @category services
 * @since 0.1.0
 */
export const InitiatorBehavior = Behavior.key<InitiatorEvent, InitiatorCommand, InitiatorPeerState, AnyNodeToNodeMessage>(
  "@pallas-network2/core/InitiatorBehavior"
)

/**
 * The manager of the initiator: `execute` commands, read `events`.
 *
 * @category services
 * @since 0.1.0
 */
export const InitiatorManager = Manager.key(InitiatorBehavior)

/**
 * The type of the initiator behavior's shape.
 *
 * @category models
 * @since 0.1.0
 */
export type InitiatorBehaviorShape = Behavior.Behavior<InitiatorEvent, InitiatorCommand, InitiatorPeerState, AnyNodeToNodeMessage>

/**
 * Makes the initiator behavior in the current scope (its timers are fibers of that scope).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(config: InitiatorConfig = {}) {
  const ctx = yield* makeContext(settingsOf(config), config.rootPeers)
  const connections = ctx.connections
  // the governor reaches the parts (made below) at each change of a peer's temperature
  const governor = Governor.make(ctx, () => parts)
  const handshake = HandshakeClient.make(ctx, governor)
  const keepAlive = KeepAliveClient.make(ctx)
  const peerSharing = PeerSharingClient.make(ctx, governor)
  const txSubmission = TxSubmissionClient.make(ctx)
  const blockFetch = BlockFetchClient.make(ctx)
  const chainSync = ChainSyncClient.make(ctx, governor, blockFetch)
  /** Every mini-protocol's client side, in the order each step of a peer's life reaches them. */
  const parts: ReadonlyArray<Lifecycle> = [handshake, keepAlive, peerSharing, txSubmission, blockFetch, chainSync]

  /** A sub-behavior as the router sees it: any message of its protocol in. */
  interface Port {
    readonly receive: (conn: Connection, message: AnyNodeToNodeMessage) => void
    readonly sent: (conn: Connection, messages: ReadonlyArray<AnyNodeToNodeMessage>) => void
  }
  /** The port of a sub-behavior: it sees the messages its client side reads. */
  const port = <A extends AnyNodeToNodeMessage, C, V>(client: SubBehavior<A, C, V>): readonly [ProtocolName, Port] => [
    client.protocol,
    {
      receive: (conn, m) => {
        if (client.isAnswer(m)) client.onMessage(conn, m)
      },
      sent: client.onSent
    }
  ]
  /** Each mini-protocol's port, by its name (the interface runs the node-to-node ones). */
  const ports = new Map<ProtocolName, Port>([
    port(handshake),
    port(chainSync),
    port(blockFetch),
    port(keepAlive),
    port(peerSharing),
    port(txSubmission)
  ])

  // ---- interface events: the connection's life, and each message to the port of its protocol ------

  const handleIo = (event: InterfaceEvent<AnyNodeToNodeMessage>) =>
    Effect.sync(() => {
      const peer = event.peer
      switch (event._tag) {
        case "Connected": {
          if (event.direction !== "outbound" || !governor.dialled(peer)) return
          const conn = newConnection(peer, ctx.now())
          connections.set(peer, conn)
          for (const part of parts) part.connected(conn)
          return
        }
        case "Sent": {
          const conn = connections.get(peer)
          if (conn !== undefined) forEachRun(event.messages, (protocol, run) => ports.get(protocol)?.sent(conn, run))
          return
        }
        case "Recv": {
          const conn = connections.get(peer)
          if (conn === undefined) return
          for (const message of event.messages) {
            if (conn.closing !== undefined && conn.closing.failed) return
            ports.get(message.protocol)?.receive(conn, message)
          }
          return
        }
        case "Error": {
          const conn = connections.get(peer)
          if (conn !== undefined) conn.error = event.error
          return governor.failed(peer, conn, event.error)
        }
        case "Disconnected": {
          const conn = connections.get(peer)
          if (conn !== undefined) {
            connections.delete(peer)
            for (const part of parts) part.disconnected(conn)
          }
          return governor.closed(peer, conn)
        }
        case "Idle":
          return
      }
    })

  // ---- commands: each to the part that carries it out ------------------------------------------

  const execute = (command: InitiatorCommand) =>
    Effect.sync(() => {
      if (command._tag === "StartSync") chainSync.onCommand(command)
      else if (command._tag === "FetchRange") blockFetch.onCommand(command)
      else if (command._tag === "SubmitTx") txSubmission.onCommand(command)
      else governor.onCommand(command) // IncludePeer, BanPeer, DemotePeer
    })

  // ---- timers -----------------------------------------------------------------------------------

  const housekeeping = Effect.sync(() => {
    const t = ctx.now()
    for (const conn of connections.values()) for (const part of parts) part.tick(conn, t)
    governor.tick(t)
  })

  const s = ctx.settings
  yield* Effect.sleep(Duration.millis(s.housekeepingInterval)).pipe(
    Effect.andThen(housekeeping),
    Effect.forever,
    Effect.forkScoped
  )
  if (s.churnInterval > 0) {
    yield* Effect.suspend(() => Effect.sleep(Duration.millis(Math.round(s.churnInterval * (0.9 + 0.2 * ctx.random()))))).pipe(
      Effect.andThen(Effect.sync(governor.churn)),
      Effect.forever,
      Effect.forkScoped
    )
  }

  // ---- snapshot ---------------------------------------------------------------------------------

  const snapshot = Effect.sync(() => {
    const result = new Map<PeerId, InitiatorPeerState>()
    ctx.peers.counts(ctx.now())
    for (const r of ctx.peers.all()) {
      const conn = connections.get(r.peer)
      result.set(r.peer, {
        temperature: r.temperature,
        phase: r.phase,
        source: r.source,
        failures: r.failures,
        retryAt: r.retryAt,
        bannedUntil: r.temperature === "banned" ? r.bannedUntil : undefined,
        banReason: r.banReason,
        rtt: r.rtt,
        version: conn?.version,
        versionData: conn?.versionData,
        chainSync: chainSync.view(r.peer),
        blockFetchInFlight: blockFetch.view(r.peer)
      })
    }
    return result
  })

  const behavior: InitiatorBehaviorShape = {
    handleIo,
    execute,
    outputs: ctx.outputs,
    outbox: ctx.outbox,
    peers: snapshot
  }
  return behavior
})

/**
 * The initiator behavior's layer; its timers live in the layer's scope.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Initiator, Manager } from "@pallas-network2/core"
 * const BehaviorLive = Initiator.layer({ networkMagic: 2 })
 * const ManagerLive = Manager.layer(Initiator.InitiatorBehavior).pipe(Layer.provide(BehaviorLive))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (config: InitiatorConfig = {}): Layer.Layer<InitiatorBehaviorShape> =>
  Layer.effect(InitiatorBehavior, make(config))

/**
 * The manager's layer for the initiator: needs the Interface and the initiator behavior.
 *
 * @category layers
 * @since 0.1.0
 */
export const managerLayer = (options: Manager.ManagerOptions = {}) => Manager.layer(InitiatorBehavior, options)

/**
 * The initiator and its Manager in one layer (as `Responder.layerManager`): needs the Interface;
 * provides both the behavior and {@link InitiatorManager}.
 *
 * @example
 * ```ts
 * import { Initiator } from "@pallas-network2/core"
 * const InitiatorLive = Initiator.layerManager({ networkMagic: 2 })
 * // still needs an Interface, e.g. TcpInterface.layer(...)
 * ```
 *
 * @category layers
 * @since 0.2.0
 */
export const layerManager = (
  config: InitiatorConfig = {},
  options: Manager.ManagerOptions = {}
): Layer.Layer<Manager.Manager<InitiatorEvent, InitiatorCommand> | InitiatorBehaviorShape, never, Interface<AnyNodeToNodeMessage>> =>
  Manager.layer(InitiatorBehavior, options).pipe(Layer.provideMerge(layer(config)))
