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
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Behavior from "../Behavior.ts"
import * as Block from "../chain/Block.ts"
import * as Cbor from "../cbor/Cbor.ts"
import { InterfaceCommand, type InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { Message } from "../Message.ts"
import * as OutboundQueue from "../OutboundQueue.ts"
import { NetworkMagic, type PeerId } from "../Primitives.ts"
import type { ConnectionError } from "../ProtocolError.ts"
import * as BlockFetch from "../protocol/BlockFetch.ts"
import * as ChainSync from "../protocol/ChainSync.ts"
import { EraTx, type EraTxId, Point, type Tip, type WrappedHeader } from "../protocol/Common.ts"
import * as Handshake from "../protocol/Handshake.ts"
import * as KeepAlive from "../protocol/KeepAlive.ts"
import type * as NodeToNode from "../protocol/NodeToNode.ts"
import * as PeerSharing from "../protocol/PeerSharing.ts"
import * as TxSubmission2 from "../protocol/TxSubmission2.ts"
import { ChainView, pointKey, recordPoint } from "./initiator/chainView.ts"
import { FetchPlanner, receiveBlock } from "./initiator/fetchPlanner.ts"
import { type GovernorAction, PeerSet, type Phase, type Temperature } from "./internal/initiator-peers.ts"
import { TxClient, TxPool } from "./initiator/txClient.ts"
import { peerOfAddress } from "./internal/peerSelection.ts"
import { initiatorProbe } from "../internal/observability.ts"

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

interface Settings {
  readonly table: VersionTable
  readonly query: boolean
  readonly networkMagic: number
  readonly targets: { readonly known: number; readonly established: number; readonly active: number }
  readonly backoff: { readonly base: number; readonly max: number; readonly jitter: number; readonly forgetAfter: number }
  readonly banDuration: number
  readonly connectTimeout: number
  readonly keepAliveInterval: number
  readonly keepAliveTimeout: number
  readonly churnInterval: number
  readonly demotionHold: number
  readonly housekeepingInterval: number
  readonly lowMark: number
  readonly highMark: number
  readonly maxHeadersPerPeer: number
  readonly securityParam: number
  readonly noProgressWindow: number
  readonly chunkBlocks: number
  readonly maxInFlightPerPeer: number
  readonly shareAmount: number
  readonly shareInterval: number
  readonly maxUnacked: number
  readonly poolCapacity: number
}

const ms = (input: Duration.Input | undefined, fallback: Duration.Input): number =>
  Duration.toMillis(Duration.fromInputUnsafe(input ?? fallback))

const settingsOf = (config: InitiatorConfig): Settings => {
  const networkMagic = config.networkMagic ?? NetworkMagic.mainnet
  const query = config.query ?? false
  const highMark = Math.max(1, Math.min(300, config.chainSync?.highMark ?? 300))
  const securityParam = Math.max(1, Math.floor(config.securityParam ?? 2160))
  return {
    table: config.versionTable ?? Handshake.n2nVersionTable({
      magic: networkMagic,
      versions: [...(config.versions ?? [14, 15, 16])].sort((a, b) => a - b),
      initiatorOnly: config.initiatorOnly ?? true,
      peerSharing: config.peerSharing ?? true,
      query
    }),
    query,
    networkMagic,
    targets: {
      known: config.targets?.known ?? 150,
      established: config.targets?.established ?? 30,
      active: config.targets?.active ?? 20
    },
    backoff: {
      base: ms(config.backoff?.base, "1 second"),
      max: ms(config.backoff?.max, "1 minute"),
      jitter: config.backoff?.jitter ?? 0.2,
      forgetAfter: config.backoff?.forgetAfter ?? 5
    },
    banDuration: ms(config.banDuration, "30 minutes"),
    connectTimeout: ms(config.connectTimeout, "15 seconds"),
    keepAliveInterval: ms(config.keepAlive?.interval, "10 seconds"),
    keepAliveTimeout: ms(config.keepAlive?.timeout, "30 seconds"),
    churnInterval: config.churnInterval === undefined && !("churnInterval" in config)
      ? ms(undefined, "5 minutes")
      : config.churnInterval === undefined
      ? 0
      : ms(config.churnInterval, 0),
    demotionHold: ms(config.demotionHold, "1 minute"),
    housekeepingInterval: Math.max(1, ms(config.housekeepingInterval, "1 second")),
    lowMark: Math.max(0, Math.min(highMark - 1, config.chainSync?.lowMark ?? Math.min(200, highMark - 1))),
    highMark,
    maxHeadersPerPeer: Math.max(securityParam, config.chainSync?.maxHeadersPerPeer ?? securityParam),
    securityParam,
    noProgressWindow: Math.max(1, config.chainSync?.noProgressWindow ?? 2 * securityParam + 100),
    chunkBlocks: config.blockFetch?.chunkBlocks ?? 100,
    maxInFlightPerPeer: config.blockFetch?.maxInFlightPerPeer ?? 2,
    shareAmount: Math.max(1, Math.min(255, config.peerSharingRequest?.amount ?? 10)),
    shareInterval: ms(config.peerSharingRequest?.interval, "15 minutes"),
    maxUnacked: config.txSubmission?.maxUnacked ?? 10,
    poolCapacity: config.txSubmission?.poolCapacity ?? 1000
  }
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
export const InitiatorBehavior = Behavior.key<InitiatorEvent, InitiatorCommand, InitiatorPeerState>(
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
export type InitiatorBehaviorShape = Behavior.Behavior<InitiatorEvent, InitiatorCommand, InitiatorPeerState>

interface ChainSyncState {
  /** `idle`: not syncing; `probing`: asked for the tip; `intersecting`; `following`; `paused` (demoted). */
  phase: "idle" | "probing" | "intersecting" | "following" | "paused"
  inFlight: number
  /** Answers still due to requests made before a restart (read and dropped). */
  stale: number
  /** A restart waits for room in the pipeline (`resume`: from our own head of this peer's chain). */
  restart: { readonly resume: boolean } | undefined
  headers: number
  tip: Tip | undefined
}

interface Conn {
  readonly peer: PeerId
  handshake: "proposed" | "accepted" | "finished"
  version: number | undefined
  data: VersionData | undefined
  /** keep-alive: cookie awaited, when it was written, when it is due; when the next one goes */
  kaCookie: number | undefined
  kaSentAt: number | undefined
  kaDueAt: number
  nextKaAt: number
  cs: ChainSyncState
  psPending: boolean
  psNextAt: number
  tx: TxClient | undefined
  /** We asked to close it: the reason, and whether it counts as a failure. */
  closing: { readonly reason: string; readonly failed: boolean } | undefined
  error: ConnectionError | undefined
}

/** The chain-sync messages that answer our requests. */
type ChainSyncAnswer = Extract<
  ChainSync.Message,
  { readonly _tag: "MsgIntersectFound" | "MsgIntersectNotFound" | "MsgRollForward" | "MsgRollBackward" | "MsgAwaitReply" }
>

/** The tx-submission2 requests of the server (our side is the client: it answers them). */
type TxRequest = Extract<TxSubmission2.Message, { readonly _tag: "MsgRequestTxIds" | "MsgRequestTxs" }>

/** The most chain-sync requests the driver lets us have in flight. */
const CHAIN_SYNC_MAX_IN_FLIGHT = 300

/** Errors that get the peer banned; the rest (transport failures, a peer too slow to answer) are failures. */
const errorIsViolation = (e: ConnectionError): boolean =>
  (e._tag === "ProtocolViolation" && e.kind !== "Timeout") || (e._tag === "MuxError" && e.reason !== "SegmentTimeout")

/**
 * Makes the initiator behavior in the current scope (its timers are fibers of that scope).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(config: InitiatorConfig = {}) {
  const s = settingsOf(config)
  const clock = yield* Clock.Clock
  const rng = yield* Random.Random
  const now = () => clock.currentTimeMillisUnsafe()
  const random = () => rng.nextDoubleUnsafe()
  const out = yield* OutboundQueue.make<InitiatorEvent>()
  const roots = config.rootPeers
  const peers = new PeerSet(s.targets, s.backoff, typeof roots === "function" ? roots : () => roots)
  const chain = new ChainView(s.maxHeadersPerPeer, {
    securityParam: s.securityParam,
    noProgressWindow: s.noProgressWindow
  })
  const planner = new FetchPlanner({ chunkBlocks: s.chunkBlocks, maxInFlightPerPeer: s.maxInFlightPerPeer })
  const pool = new TxPool(s.poolCapacity)
  const conns = new Map<PeerId, Conn>()
  let sync: SyncStart | undefined
  let rangeCounter = 0

  const send = (peer: PeerId, message: Message) => out.command(InterfaceCommand.Send(peer, message))
  const probe = yield* initiatorProbe((t) => peers.at(t).length)
  const emit = (event: InitiatorEvent) => (probe.event(event), out.event(event))

  // ---- peers ------------------------------------------------------------------------------------

  const close = (peer: PeerId, reason: string, failed: boolean) => {
    const c = conns.get(peer)
    if (c === undefined) {
      const r = peers.get(peer)
      if (r !== undefined && r.phase === "connecting") {
        // no connection yet: stop waiting for it
        out.command(InterfaceCommand.Disconnect(peer, reason))
        disconnected(peer, reason, failed)
      }
      return
    }
    if (c.closing !== undefined) return
    c.closing = { reason, failed }
    out.command(InterfaceCommand.Disconnect(peer, reason))
  }

  const ban = (peer: PeerId, reason: string) => {
    const t = now()
    const was = peers.ban(peer, t, s.banDuration, reason)
    if (was === undefined || was === "banned") return
    emit({ _tag: "PeerBanned", peer, reason, until: t + s.banDuration })
    if (conns.has(peer)) close(peer, `banned: ${reason}`, true)
    else if (peers.get(peer)?.phase === "connecting") {
      out.command(InterfaceCommand.Disconnect(peer, reason))
      peers.disconnected(peer, t, true, random)
    }
  }

  const disconnected = (peer: PeerId, reason: string, failed: boolean) => {
    const t = now()
    const record = peers.get(peer)
    const wasPhase = record?.phase
    const was = peers.disconnected(peer, t, failed, random, failed ? 0 : s.backoff.base)
    if (was === undefined) return
    if (was === "warm" || was === "hot") {
      emit({ _tag: "PeerDemoted", peer, from: was, to: "cold", reason })
    } else if (was === "cold" && (wasPhase === "connecting" || wasPhase === "handshaking")) {
      emit({ _tag: "ConnectFailed", peer, reason, retryIn: Math.max(0, (record?.retryAt ?? t) - t) })
    }
  }

  const promote = (peer: PeerId) => {
    const c = conns.get(peer)
    if (c === undefined || c.handshake !== "accepted" || c.closing !== undefined) return
    peers.promote(peer)
    emit({ _tag: "PeerPromoted", peer, from: "warm", to: "hot" })
    // hot protocols
    if (c.tx === undefined) {
      c.tx = new TxClient(pool, s.maxUnacked)
      send(peer, TxSubmission2.make.init())
    }
    startSync(c, chain.fragment(peer) !== undefined)
  }

  const demote = (peer: PeerId, reason: string, hold: number) => {
    const c = conns.get(peer)
    peers.demote(peer, now(), hold)
    emit({ _tag: "PeerDemoted", peer, from: "hot", to: "warm", reason })
    if (c !== undefined && c.cs.phase !== "idle") c.cs.phase = "paused"
  }

  const apply = (actions: ReadonlyArray<GovernorAction>) => {
    for (const a of actions) {
      switch (a._tag) {
        case "Connect":
          peers.connecting(a.peer, now())
          out.command(InterfaceCommand.Connect(a.peer))
          break
        case "Promote":
          promote(a.peer)
          break
        case "Demote":
          demote(a.peer, a.reason, a.reason === "churn" ? s.demotionHold : 0)
          break
        case "Disconnect": {
          const r = peers.get(a.peer)
          if (r !== undefined && a.reason === "churn") r.holdUntil = now() + s.demotionHold
          close(a.peer, a.reason, false)
          break
        }
        case "Forget":
          peers.forget(a.peer)
          break
      }
    }
  }

  const govern = () => {
    apply(peers.govern(now()))
    scheduleFetch()
  }

  // ---- chain-sync -------------------------------------------------------------------------------

  const userPoints = (): ReadonlyArray<Point> =>
    sync === undefined ? [] : sync._tag === "Origin" ? [Point.origin] : sync._tag === "Points" ? sync.points : []

  /** (Re)starts chain-sync on a hot peer from the application's start. */
  const startSync = (c: Conn, resume = false) => {
    if (sync === undefined) return
    const cs = c.cs
    const outstanding = cs.inFlight + cs.stale + (cs.phase === "probing" || cs.phase === "intersecting" ? 1 : 0)
    if (outstanding >= CHAIN_SYNC_MAX_IN_FLIGHT) {
      // no room for a FindIntersect in the pipeline yet: after the next answer
      cs.restart = { resume }
      return
    }
    cs.restart = undefined
    // answers to earlier requests are read and dropped
    cs.stale += cs.inFlight + (cs.phase === "probing" || cs.phase === "intersecting" ? 1 : 0)
    cs.inFlight = 0
    let points: ReadonlyArray<Point>
    const head = chain.head(c.peer)
    const fragment = chain.fragment(c.peer)
    if (resume && fragment !== undefined) {
      points = [...(head !== undefined ? [recordPoint(head)] : []), fragment.anchor, ...userPoints()]
    } else if (sync._tag === "Tip") {
      cs.phase = "probing"
      send(c.peer, ChainSync.make.findIntersect([Point.origin]))
      return
    } else points = userPoints()
    cs.phase = "intersecting"
    send(c.peer, ChainSync.make.findIntersect(points))
  }

  const topUp = (c: Conn) => {
    const cs = c.cs
    if (cs.phase !== "following" || cs.restart !== undefined || peers.get(c.peer)?.temperature !== "hot") return
    if (cs.inFlight > s.lowMark) return
    const n = s.highMark - cs.inFlight
    for (let i = 0; i < n; i++) send(c.peer, ChainSync.make.requestNext())
    cs.inFlight += n
  }

  const tipChanged = () => {
    const best = chain.bestTip
    if (best !== undefined) {
      emit({ _tag: "TipChanged", peer: best.peer, point: recordPoint(best.record), blockNo: best.record.blockNo })
    }
  }

  /**
   * A hot peer whose chain made no forward progress over the window (see `chainSync.noProgressWindow`)
   * goes back to warm, held there for `demotionHold`: its chain-sync pauses (only the answers already
   * asked for still come), so a peer looping roll-forward / roll-back costs at most the window's
   * messages per hold.
   */
  const stalled = (c: Conn, reason: string) => {
    if (peers.get(c.peer)?.temperature !== "hot") return
    demote(c.peer, `chain-sync: ${reason}`, s.demotionHold)
    govern()
  }

  const onChainSync = (c: Conn, m: ChainSyncAnswer) => {
    const cs = c.cs
    const peer = c.peer
    const final = m._tag !== "MsgAwaitReply"
    if (final && cs.restart !== undefined) {
      const resume = cs.restart.resume
      // this answer makes room: count it, then restart
      if (cs.stale > 0) cs.stale--
      else cs.inFlight = Math.max(0, cs.inFlight - 1)
      cs.restart = undefined
      startSync(c, resume)
      return
    }
    if (cs.stale > 0) {
      if (final) cs.stale--
      return
    }
    switch (m._tag) {
      case "MsgIntersectFound": {
        if (cs.phase === "probing") {
          // we asked for the origin to learn the tip: now intersect there
          cs.phase = "intersecting"
          send(peer, ChainSync.make.findIntersect(m.tip.point._tag === "Origin" ? [Point.origin] : [m.tip.point, Point.origin]))
          return
        }
        const blockNo = m.point._tag === "Origin"
          ? 0
          : Point.equals(m.point, m.tip.point)
          ? m.tip.blockNo
          : chain.header(pointKey(m.point))?.blockNo
        chain.intersect(peer, m.point, blockNo)
        cs.tip = m.tip
        cs.phase = peers.get(peer)?.temperature === "hot" ? "following" : "paused"
        emit({ _tag: "IntersectionFound", peer, point: m.point, tip: m.tip })
        topUp(c)
        return
      }
      case "MsgIntersectNotFound":
        cs.tip = m.tip
        cs.phase = "idle"
        emit({ _tag: "IntersectionNotFound", peer, tip: m.tip })
        return
      case "MsgAwaitReply":
        return
      case "MsgRollForward": {
        cs.inFlight = Math.max(0, cs.inFlight - 1)
        cs.tip = m.tip
        let info: { slot: number; blockNo: number; prevHash: Uint8Array | undefined }
        let hash: Uint8Array
        try {
          info = Block.headerInfo(m.header)
          hash = Block.headerHash(m.header)
        } catch (e) {
          ban(peer, `an unreadable header: ${e instanceof Error ? e.message : String(e)}`)
          return
        }
        const r = chain.rollForward(peer, { hash, ...info })
        if (r._tag !== "Ok") {
          ban(peer, `chain-sync: ${r.detail}`)
          return
        }
        cs.headers++
        peers.useful(peer)
        const point: Point = { _tag: "Specific", slot: info.slot, hash }
        emit({ _tag: "HeaderReceived", peer, header: m.header, point, blockNo: info.blockNo, prevHash: info.prevHash, tip: m.tip })
        if (r.bestChanged) tipChanged()
        if (r.stalled !== undefined) stalled(c, r.stalled)
        topUp(c)
        if (planner.active > 0) scheduleFetch()
        return
      }
      case "MsgRollBackward": {
        cs.inFlight = Math.max(0, cs.inFlight - 1)
        cs.tip = m.tip
        const r = chain.rollBackward(peer, m.point)
        if (r._tag !== "Ok") {
          ban(peer, `chain-sync: ${r.detail}`)
          return
        }
        emit({ _tag: "RolledBack", peer, point: m.point, tip: m.tip })
        if (r.bestChanged) tipChanged()
        if (r.stalled !== undefined) stalled(c, r.stalled)
        topUp(c)
        return
      }
    }
  }

  // ---- block-fetch ------------------------------------------------------------------------------

  const holds = (peer: PeerId, key: string): boolean => {
    const f = chain.fragment(peer)
    return f !== undefined && (f.has(key) || pointKey(f.anchor) === key)
  }

  const scheduleFetch = () => {
    if (planner.active === 0) return
    const hot = peers.at("hot").filter((r) => conns.get(r.peer)?.closing === undefined).map((r) => ({ peer: r.peer, rtt: r.rtt }))
    for (const req of planner.schedule(hot, holds)) send(req.peer, BlockFetch.make.requestRange(req.from, req.to))
    drainFetch()
  }

  const drainFetch = () => {
    const { blocks, outcomes } = planner.drain()
    for (const d of blocks) {
      peers.useful(d.peer)
      emit({
        _tag: "BlockReceived",
        peer: d.peer,
        rangeId: d.rangeId,
        index: d.index,
        block: {
          point: { _tag: "Specific", slot: d.block.slot, hash: d.block.hash },
          blockNo: d.block.blockNo,
          prevHash: d.block.prevHash,
          bytes: d.block.bytes
        }
      })
    }
    for (const o of outcomes) {
      emit(o._tag === "Fetched"
        ? { _tag: "RangeFetched", rangeId: o.rangeId, from: o.from, to: o.to, blocks: o.blocks, bytes: o.bytes }
        : { _tag: "RangeFailed", rangeId: o.rangeId, from: o.from, to: o.to, reason: o.reason })
    }
  }

  const onBlockFetch = (c: Conn, m: BlockFetch.Message) => {
    const peer = c.peer
    let step
    switch (m._tag) {
      case "MsgStartBatch":
        step = planner.onStartBatch(peer)
        break
      case "MsgNoBlocks":
        step = planner.onNoBlocks(peer)
        break
      case "MsgBatchDone":
        step = planner.onBatchDone(peer)
        break
      case "MsgBlock": {
        // proven (readable, body matching its header) before the planner checks its point
        const block = receiveBlock(m.block.bytes)
        step = "_tag" in block ? block : planner.onBlock(peer, block)
        break
      }
      default:
        return
    }
    if (step._tag === "Fault") {
      planner.onPeerGone(peer, true)
      ban(peer, `block-fetch: ${step.detail}`)
    }
    if (m._tag === "MsgBlock") drainFetch()
    else scheduleFetch()
  }

  // ---- keep-alive, peer-sharing, tx-submission ----------------------------------------------------

  const onKeepAlive = (c: Conn, cookie: number) => {
    if (c.kaCookie === undefined || cookie !== c.kaCookie) {
      ban(c.peer, `keep-alive: cookie ${cookie} does not match ${c.kaCookie ?? "any request"}`)
      return
    }
    const t = now()
    peers.recordRtt(c.peer, Math.max(0, t - (c.kaSentAt ?? t)))
    c.kaCookie = undefined
    c.kaSentAt = undefined
    c.nextKaAt = t + s.keepAliveInterval
  }

  const maybeSharePeers = (c: Conn, t: number) => {
    if (c.handshake !== "accepted" || c.psPending || t < c.psNextAt) return
    if ((c.data?.peerSharing ?? 0) === 0 || (s.table.values().next().value?.peerSharing ?? 0) === 0) return
    const deficit = s.targets.known - peers.counts(t).known
    if (deficit <= 0) return
    c.psPending = true
    c.psNextAt = t + s.shareInterval
    send(c.peer, PeerSharing.make.shareRequest(Math.min(s.shareAmount, deficit)))
  }

  const onSharePeers = (c: Conn, found: ReadonlyArray<PeerId>) => {
    c.psPending = false
    const t = now()
    for (const p of found) {
      if (peers.add(p, "discovered", t)) emit({ _tag: "PeerDiscovered", peer: p, via: c.peer })
    }
    govern()
  }

  const onTx = (c: Conn, m: TxRequest) => {
    if (c.tx === undefined) {
      c.tx = new TxClient(pool, s.maxUnacked)
    }
    answerTx(c, m._tag === "MsgRequestTxIds" ? c.tx.requestTxIds(m.blocking, m.ack, m.req) : c.tx.requestTxs(m.txIds))
  }

  const answerTx = (c: Conn, reply: ReturnType<TxClient["requestTxIds"]>) => {
    switch (reply._tag) {
      case "ReplyTxIds":
        send(c.peer, TxSubmission2.make.replyTxIds(reply.ids.map(([txId, size]) => ({ txId, size }))))
        return
      case "ReplyTxs":
        for (const id of reply.requested) emit({ _tag: "TxRequested", peer: c.peer, txId: id })
        send(c.peer, TxSubmission2.make.replyTxs(reply.txs))
        return
      case "Wait":
        return
      case "Violation":
        ban(c.peer, `tx-submission2: ${reply.detail}`)
        return
    }
  }

  // ---- interface events -------------------------------------------------------------------------

  const newConn = (peer: PeerId, t: number): Conn => ({
    peer,
    handshake: "proposed",
    version: undefined,
    data: undefined,
    kaCookie: undefined,
    kaSentAt: undefined,
    kaDueAt: 0,
    nextKaAt: t,
    cs: { phase: "idle", inFlight: 0, stale: 0, restart: undefined, headers: 0, tip: undefined },
    psPending: false,
    psNextAt: t,
    tx: undefined,
    closing: undefined,
    error: undefined
  })

  const onHandshake = (c: Conn, m: Handshake.Message) => {
    const peer = c.peer
    const t = now()
    switch (m._tag) {
      case "MsgAcceptVersion": {
        const ours = s.table.get(m.version)
        if (ours === undefined) {
          ban(peer, `handshake: the peer accepted version ${m.version}, which we did not propose`)
          return
        }
        if (m.versionData.networkMagic !== s.networkMagic) {
          ban(peer, `handshake: the peer accepted with network magic ${m.versionData.networkMagic}, not ${s.networkMagic}`)
          return
        }
        c.handshake = "accepted"
        c.version = m.version
        c.data = m.versionData
        peers.established(peer, t)
        emit({ _tag: "HandshakeResult", peer, result: { _tag: "Accepted", version: m.version, data: m.versionData } })
        emit({ _tag: "PeerPromoted", peer, from: "cold", to: "warm" })
        c.nextKaAt = t
        keepAliveTick(c, t)
        maybeSharePeers(c, t)
        govern()
        return
      }
      case "MsgRefuse": {
        const reason = Handshake.describeRefuseReason(m.reason)
        c.handshake = "finished"
        emit({ _tag: "HandshakeResult", peer, result: { _tag: "Refused", reason } })
        close(peer, `handshake refused: ${reason}`, true)
        return
      }
      case "MsgQueryReply":
        c.handshake = "finished"
        emit({ _tag: "HandshakeResult", peer, result: { _tag: "Queried", versions: m.versionTable } })
        close(peer, "version query answered", false)
        return
    }
  }

  const onRecv = (c: Conn, messages: ReadonlyArray<Message>) => {
    for (const message of messages) {
      if (c.closing !== undefined && c.closing.failed) return
      // the interface runs the node-to-node protocols: their codecs make only these messages
      const m = message as NodeToNode.AnyNodeToNodeMessage
      switch (m.protocol) {
        case "handshake":
          onHandshake(c, m)
          break
        case "chain-sync":
          switch (m._tag) {
            case "MsgIntersectFound":
            case "MsgIntersectNotFound":
            case "MsgRollForward":
            case "MsgRollBackward":
            case "MsgAwaitReply":
              onChainSync(c, m)
          }
          break
        case "block-fetch":
          onBlockFetch(c, m)
          break
        case "keep-alive":
          if (m._tag === "MsgKeepAliveResponse") onKeepAlive(c, m.cookie)
          break
        case "peer-sharing":
          if (m._tag === "MsgSharePeers") onSharePeers(c, m.peers.map(peerOfAddress))
          break
        case "tx-submission2":
          if (m._tag === "MsgRequestTxIds" || m._tag === "MsgRequestTxs") onTx(c, m)
          break
      }
    }
  }

  const handleIo = (event: InterfaceEvent) =>
    Effect.sync(() => {
      const t = now()
      switch (event._tag) {
        case "Connected": {
          if (event.direction !== "outbound") return
          const r = peers.get(event.peer)
          if (r === undefined || r.phase !== "connecting" || r.temperature === "banned") {
            out.command(InterfaceCommand.Disconnect(event.peer, "not wanted any more"))
            return
          }
          const c = newConn(event.peer, t)
          conns.set(event.peer, c)
          peers.handshaking(event.peer, t)
          send(event.peer, Handshake.make.propose(s.table))
          return
        }
        case "Sent": {
          const c = conns.get(event.peer)
          const m = event.message as NodeToNode.AnyNodeToNodeMessage
          if (c !== undefined && m.protocol === "keep-alive" && m._tag === "MsgKeepAlive" && m.cookie === c.kaCookie) c.kaSentAt = t
          return
        }
        case "Recv": {
          const c = conns.get(event.peer)
          if (c !== undefined) onRecv(c, event.messages)
          return
        }
        case "Error": {
          const c = conns.get(event.peer)
          if (c !== undefined) c.error = event.error
          if (errorIsViolation(event.error)) ban(event.peer, event.error.message)
          else if (c === undefined && peers.get(event.peer)?.phase === "connecting") {
            disconnected(event.peer, event.error.message, true)
            govern()
          }
          return
        }
        case "Disconnected": {
          const c = conns.get(event.peer)
          if (c === undefined) {
            if (peers.get(event.peer)?.phase === "connecting") {
              disconnected(event.peer, "the connection failed", true)
              govern()
            }
            return
          }
          conns.delete(event.peer)
          const failed = c.error !== undefined || (c.closing?.failed ?? true)
          const reason = c.closing?.reason ?? c.error?.message ?? "the peer closed the connection"
          planner.onPeerGone(event.peer, failed)
          if (chain.drop(event.peer)) tipChanged()
          disconnected(event.peer, reason, failed)
          if (s.query && c.handshake === "finished") peers.forget(event.peer)
          govern()
          return
        }
        case "Idle":
          return
      }
    })

  // ---- commands ---------------------------------------------------------------------------------

  const execute = (command: InitiatorCommand) =>
    Effect.sync(() => {
      const t = now()
      switch (command._tag) {
        case "IncludePeer":
          peers.add(command.peer, "included", t)
          govern()
          return
        case "StartSync":
          sync = command.start
          for (const c of conns.values()) {
            if (peers.get(c.peer)?.temperature === "hot" && c.closing === undefined) startSync(c)
          }
          return
        case "FetchRange": {
          const id = command.id ?? ++rangeCounter
          const failed = planner.add(id, command.from, command.to, chain.path(command.from, command.to))
          if (failed !== undefined) {
            emit({ _tag: "RangeFailed", rangeId: id, from: failed.from, to: failed.to, reason: failed._tag === "Failed" ? failed.reason : "" })
            return
          }
          scheduleFetch()
          return
        }
        case "SubmitTx": {
          const id = command.txId ?? EraTx.txId(command.tx)
          if (pool.add(id, command.tx) === undefined) return
          for (const c of conns.values()) {
            const reply = c.tx?.submitted()
            if (reply !== undefined) answerTx(c, reply)
          }
          return
        }
        case "BanPeer":
          peers.add(command.peer, "included", t)
          ban(command.peer, command.reason ?? "banned by the application")
          return
        case "DemotePeer": {
          const r = peers.get(command.peer)
          if (r === undefined) return
          if (r.temperature === "hot") demote(command.peer, "demoted by the application", s.demotionHold)
          else if (r.temperature === "warm" || r.phase !== "idle") {
            r.holdUntil = t + s.demotionHold
            close(command.peer, "demoted by the application", false)
            r.retryAt = Math.max(r.retryAt, t + s.demotionHold)
          }
          govern()
          return
        }
      }
    })

  // ---- timers -----------------------------------------------------------------------------------

  const keepAliveTick = (c: Conn, t: number) => {
    if (c.handshake !== "accepted" || c.closing !== undefined) return
    if (c.kaCookie !== undefined) {
      if (t >= c.kaDueAt) close(c.peer, "keep-alive: no answer in time", true)
      return
    }
    if (t < c.nextKaAt) return
    const cookie = Math.floor(random() * 0x10000) & 0xffff
    c.kaCookie = cookie
    c.kaSentAt = t
    c.kaDueAt = t + s.keepAliveTimeout
    send(c.peer, KeepAlive.make.keepAlive(cookie))
  }

  const housekeeping = Effect.sync(() => {
    const t = now()
    for (const c of conns.values()) {
      keepAliveTick(c, t)
      maybeSharePeers(c, t)
      if (c.handshake === "proposed" && c.closing === undefined) {
        const r = peers.get(c.peer)
        if (r !== undefined && t - r.phaseSince >= s.connectTimeout) close(c.peer, "handshake: no answer in time", true)
      }
      if (c.cs.phase === "paused" && peers.get(c.peer)?.temperature === "hot") startSync(c, true)
    }
    for (const r of peers.all()) {
      if (r.phase === "connecting" && t - r.phaseSince >= s.connectTimeout && !conns.has(r.peer)) {
        out.command(InterfaceCommand.Disconnect(r.peer, "connect: no answer in time"))
        disconnected(r.peer, "connect: no answer in time", true)
      }
    }
    govern()
  })

  const churn = Effect.sync(() => {
    apply(peers.churn(now()))
    govern()
  })

  yield* Effect.sleep(Duration.millis(s.housekeepingInterval)).pipe(
    Effect.andThen(housekeeping),
    Effect.forever,
    Effect.forkScoped
  )
  if (s.churnInterval > 0) {
    yield* Effect.suspend(() => Effect.sleep(Duration.millis(Math.round(s.churnInterval * (0.9 + 0.2 * random()))))).pipe(
      Effect.andThen(churn),
      Effect.forever,
      Effect.forkScoped
    )
  }

  // ---- snapshot ---------------------------------------------------------------------------------

  const snapshot = Effect.sync(() => {
    const result = new Map<PeerId, InitiatorPeerState>()
    const t = now()
    peers.counts(t)
    for (const r of peers.all()) {
      const c = conns.get(r.peer)
      const head = chain.head(r.peer)
      result.set(r.peer, {
        temperature: r.temperature,
        phase: r.phase,
        source: r.source,
        failures: r.failures,
        retryAt: r.retryAt,
        bannedUntil: r.temperature === "banned" ? r.bannedUntil : undefined,
        banReason: r.banReason,
        rtt: r.rtt,
        version: c?.version,
        versionData: c?.data,
        chainSync: {
          inFlight: c?.cs.inFlight ?? 0,
          headers: c?.cs.headers ?? 0,
          tip: c?.cs.tip,
          head: head === undefined ? undefined : { point: recordPoint(head), blockNo: head.blockNo }
        },
        blockFetchInFlight: planner.inFlightTo(r.peer)
      })
    }
    return result as ReadonlyMap<PeerId, InitiatorPeerState>
  })

  const behavior: InitiatorBehaviorShape = {
    handleIo,
    execute,
    outputs: out.stream,
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
