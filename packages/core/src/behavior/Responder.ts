/**
 * The node-to-node responder: it accepts inbound connections under operator limits, answers the
 * handshake, and serves every node-to-node mini-protocol (chain-sync, block-fetch, keep-alive,
 * peer-sharing, and the server side of tx-submission2), either by itself from a {@link ChainSource}
 * (`auto` mode) or by asking the application through request events that it answers with `Provide*`
 * commands (`manual` mode).
 *
 * It never assumes a connection is inbound-only: on a connection we dialled (duplex), it serves the
 * server-side requests the remote sends once it has seen the handshake accepted, so one connection can
 * carry both roles.
 *
 * Compared with the Rust crate's ResponderBehavior it adds: IntersectNotFound, AwaitReply and NoBlocks
 * answers, the first RollBackward after an intersection, disconnection after a refused or queried
 * handshake, MsgQueryReply, checks that each `Provide*` command fits what the peer asked, the
 * tx-submission2 server side with the reference window rules, bans by IP (not IP and port), an idle
 * timeout for connections that never handshake, and hard, soft and per-IP connection limits.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as Behavior from "../Behavior.ts"
import { ChainSource, ChainSourceError, type ChainSourceShape } from "../chain/ChainSource.ts"
import { type Direction, type Interface, InterfaceCommand, type InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { Message } from "../Message.ts"
import * as OutboundQueue from "../OutboundQueue.ts"
import { NetworkMagic, PeerId } from "../Primitives.ts"
import { type ConnectionError, ProtocolViolation } from "../ProtocolError.ts"
import * as BlockFetch from "../protocol/BlockFetch.ts"
import * as ChainSync from "../protocol/ChainSync.ts"
import { type EraTx, type EraTxId, Point, type Tip, type WrappedHeader } from "../protocol/Common.ts"
import * as Handshake from "../protocol/Handshake.ts"
import * as KeepAlive from "../protocol/KeepAlive.ts"
import type * as NodeToNode from "../protocol/NodeToNode.ts"
import * as PeerSharing from "../protocol/PeerSharing.ts"
import * as TxSubmission2 from "../protocol/TxSubmission2.ts"
import { AdmissionControl } from "./internal/admission.ts"
import { selectPeers, sharedAddress } from "./internal/peerSelection.ts"
import { SeenTxs, TxWindow } from "./internal/txWindow.ts"

// ---------------------------------------------------------------------------------------------------
// configuration
// ---------------------------------------------------------------------------------------------------

/**
 * Connection limits and bans. Defaults are the reference node's where it has one.
 *
 * @category models
 * @since 0.1.0
 */
export interface ResponderLimits {
  /** Inbound connections above this are refused. Default 512 (the reference hard limit). */
  readonly hardLimit?: number
  /**
   * Above this many inbound connections, each new one makes room by closing the least recently
   * active connection that is not streaming blocks. Default 384 (the reference soft limit).
   */
  readonly softLimit?: number
  /** At most this many inbound connections from one IP. Default 10. */
  readonly perIpLimit?: number
  /**
   * An inbound connection that has not completed the handshake within this time is closed.
   * Default 5 seconds (the reference protocol idle timeout).
   */
  readonly idleTimeout?: Duration.Input
  /** How long an IP stays banned after a protocol violation or a `BanPeer`. Default 15 minutes. */
  readonly banDuration?: Duration.Input
}

/**
 * The responder's configuration.
 *
 * @example
 * ```ts
 * import { Responder } from "@pallas-network2/core"
 * const config: Responder.ResponderConfig = {
 *   networkMagic: 2,
 *   limits: { hardLimit: 100, perIpLimit: 4, idleTimeout: "5 seconds", banDuration: "1 hour" }
 * }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ResponderConfig {
  /**
   * `auto` (default) answers every request from the ChainSource service; `manual` emits request
   * events and waits for the application's `Provide*` commands.
   */
  readonly mode?: "auto" | "manual"
  /** The network magic to accept. Default mainnet (764824073). */
  readonly networkMagic?: number
  /** The node-to-node versions offered. Default 11 to 16. */
  readonly versions?: ReadonlyArray<number>
  /** Whether we only initiate (never accept) in duplex terms; sent in our version data. Default false. */
  readonly initiatorOnly?: boolean
  /** Whether we take part in peer-sharing; sent in our version data. Default true. */
  readonly peerSharing?: boolean
  /** Addresses shared first when a peer asks for peers (`host:port`). */
  readonly sharedPeers?: ReadonlyArray<PeerId>
  /** The most peers given in one answer, whatever the amount asked. Default 10 (the reference cap). */
  readonly maxSharedPeers?: number
  /** How many blocks may wait to be written to one peer before more are read. Default 16 (docs/BENCHMARKS.md: 4 to 16 moved 1.6x the bytes; 64 only 8 % more). */
  readonly blockFetchWindow?: number
  /** tx-submission2: the most unacknowledged tx ids (default 10) and bytes asked for per MsgRequestTxs. */
  readonly txSubmission?: { readonly maxUnacked?: number; readonly maxRequestBytes?: number }
  /** Connection limits and bans. */
  readonly limits?: ResponderLimits
}

interface Settings {
  readonly mode: "auto" | "manual"
  readonly networkMagic: number
  readonly versions: ReadonlyArray<number>
  readonly initiatorOnly: boolean
  readonly peerSharing: boolean
  readonly sharedPeers: ReadonlyArray<PeerId>
  readonly maxSharedPeers: number
  readonly blockFetchWindow: number
  readonly maxUnacked: number
  readonly maxRequestBytes: number
  readonly hardLimit: number
  readonly softLimit: number
  readonly perIpLimit: number
  readonly idleTimeout: Duration.Duration
  readonly banDuration: Duration.Duration
}

/** The chain-sync requests the server side reads. */
type ChainSyncRequest = Extract<ChainSync.Message, { readonly _tag: "MsgFindIntersect" | "MsgRequestNext" | "MsgDone" }>
/** The block-fetch requests the server side reads. */
type BlockFetchRequest = Extract<BlockFetch.Message, { readonly _tag: "MsgRequestRange" | "MsgClientDone" }>
/** The keep-alive requests the server side reads. */
type KeepAliveRequest = Extract<KeepAlive.Message, { readonly _tag: "MsgKeepAlive" | "MsgDone" }>
/** The peer-sharing requests the server side reads. */
type PeerSharingRequest = Extract<PeerSharing.Message, { readonly _tag: "MsgShareRequest" | "MsgDone" }>
/** The tx-submission2 messages the server side reads (the client's: that protocol's server asks). */
type TxSubmissionReply = Extract<TxSubmission2.Message, { readonly _tag: "MsgInit" | "MsgReplyTxIds" | "MsgReplyTxs" | "MsgDone" }>

/**
 * Whether a received message is one the server side of its mini-protocol reads; the others answer
 * our own initiator on a connection that carries both roles.
 */
const isRequest = (
  m: NodeToNode.AnyNodeToNodeMessage
): m is ChainSyncRequest | BlockFetchRequest | KeepAliveRequest | PeerSharingRequest | TxSubmissionReply => {
  switch (m.protocol) {
    case "chain-sync":
      return m._tag === "MsgFindIntersect" || m._tag === "MsgRequestNext" || m._tag === "MsgDone"
    case "block-fetch":
      return m._tag === "MsgRequestRange" || m._tag === "MsgClientDone"
    case "keep-alive":
      return m._tag === "MsgKeepAlive" || m._tag === "MsgDone"
    case "peer-sharing":
      return m._tag === "MsgShareRequest" || m._tag === "MsgDone"
    case "tx-submission2":
      return m._tag === "MsgInit" || m._tag === "MsgReplyTxIds" || m._tag === "MsgReplyTxs" || m._tag === "MsgDone"
    default:
      return false
  }
}

const settingsOf = (config: ResponderConfig): Settings => ({
  mode: config.mode ?? "auto",
  networkMagic: config.networkMagic ?? NetworkMagic.mainnet,
  versions: config.versions ?? [11, 12, 13, 14, 15, 16],
  initiatorOnly: config.initiatorOnly ?? false,
  peerSharing: config.peerSharing ?? true,
  sharedPeers: config.sharedPeers ?? [],
  maxSharedPeers: config.maxSharedPeers ?? 10,
  blockFetchWindow: Math.max(1, config.blockFetchWindow ?? 16),
  maxUnacked: config.txSubmission?.maxUnacked ?? 10,
  maxRequestBytes: config.txSubmission?.maxRequestBytes ?? 131_072,
  hardLimit: config.limits?.hardLimit ?? 512,
  softLimit: config.limits?.softLimit ?? 384,
  perIpLimit: config.limits?.perIpLimit ?? 10,
  idleTimeout: Duration.fromInputUnsafe(config.limits?.idleTimeout ?? "5 seconds"),
  banDuration: Duration.fromInputUnsafe(config.limits?.banDuration ?? "15 minutes")
})

// ---------------------------------------------------------------------------------------------------
// commands
// ---------------------------------------------------------------------------------------------------

/**
 * What the application tells the responder. The `Provide*` commands answer the request events of
 * `manual` mode; each is checked against what the peer is waiting for, and one that does not fit is
 * dropped with a `CommandRejected` event.
 *
 * - `ProvideIntersection`: answers `IntersectionRequested` (`point` undefined: not found).
 * - `ProvideHeader` / `ProvideRollback`: answer `NextHeaderRequested`, also after `ProvideAwait`.
 * - `ProvideAwait`: the peer is at our tip; send `ProvideHeader`/`ProvideRollback` when the chain moves.
 * - `ProvideBlocks` / `ProvideNoBlocks`: answer `BlockRangeRequested`.
 * - `ProvidePeers`: answers `PeersRequested` (cut to the amount asked).
 * - `BanPeer`: bans the peer's IP and closes the connection. `DisconnectPeer`: closes it.
 *
 * @category models
 * @since 0.1.0
 */
export type ResponderCommand =
  | { readonly _tag: "ProvideIntersection"; readonly peer: PeerId; readonly point: Point | undefined; readonly tip: Tip }
  | { readonly _tag: "ProvideHeader"; readonly peer: PeerId; readonly header: WrappedHeader; readonly tip: Tip }
  | { readonly _tag: "ProvideRollback"; readonly peer: PeerId; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "ProvideAwait"; readonly peer: PeerId }
  | { readonly _tag: "ProvideBlocks"; readonly peer: PeerId; readonly blocks: ReadonlyArray<Uint8Array> }
  | { readonly _tag: "ProvideNoBlocks"; readonly peer: PeerId }
  | { readonly _tag: "ProvidePeers"; readonly peer: PeerId; readonly peers: ReadonlyArray<PeerId> }
  | { readonly _tag: "BanPeer"; readonly peer: PeerId; readonly reason?: string | undefined }
  | { readonly _tag: "DisconnectPeer"; readonly peer: PeerId; readonly reason?: string | undefined }

/**
 * Constructors for {@link ResponderCommand}.
 *
 * @example
 * ```ts
 * import { PeerId, Responder } from "@pallas-network2/core"
 * const ban = Responder.ResponderCommand.BanPeer(PeerId.tcp("127.0.0.1", 40000), "spam")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const ResponderCommand = {
  ProvideIntersection: (peer: PeerId, point: Point | undefined, tip: Tip): ResponderCommand => ({
    _tag: "ProvideIntersection",
    peer,
    point,
    tip
  }),
  ProvideHeader: (peer: PeerId, header: WrappedHeader, tip: Tip): ResponderCommand => ({
    _tag: "ProvideHeader",
    peer,
    header,
    tip
  }),
  ProvideRollback: (peer: PeerId, point: Point, tip: Tip): ResponderCommand => ({
    _tag: "ProvideRollback",
    peer,
    point,
    tip
  }),
  ProvideAwait: (peer: PeerId): ResponderCommand => ({ _tag: "ProvideAwait", peer }),
  ProvideBlocks: (peer: PeerId, blocks: ReadonlyArray<Uint8Array>): ResponderCommand => ({
    _tag: "ProvideBlocks",
    peer,
    blocks
  }),
  ProvideNoBlocks: (peer: PeerId): ResponderCommand => ({ _tag: "ProvideNoBlocks", peer }),
  ProvidePeers: (peer: PeerId, peers: ReadonlyArray<PeerId>): ResponderCommand => ({
    _tag: "ProvidePeers",
    peer,
    peers
  }),
  BanPeer: (peer: PeerId, reason?: string): ResponderCommand => ({ _tag: "BanPeer", peer, reason }),
  DisconnectPeer: (peer: PeerId, reason?: string): ResponderCommand => ({ _tag: "DisconnectPeer", peer, reason })
} as const

// ---------------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------------

/**
 * What a connection served before it closed.
 *
 * @category models
 * @since 0.1.0
 */
export interface ServedStats {
  readonly headers: number
  readonly blocks: number
  readonly blockBytes: number
  readonly txs: number
}

/**
 * What the responder tells the application.
 *
 * Lifecycle: `PeerConnected`, `PeerRejected` (refused by a limit or a ban), `PeerInitialized`
 * (handshake accepted), `HandshakeRefused`, `HandshakeQueried`, `PeerDisconnected` (with the reason),
 * `PeerBanned`, `ProtocolViolation`.
 *
 * Requests (`manual` mode, to be answered with `Provide*`): `IntersectionRequested`,
 * `NextHeaderRequested`, `BlockRangeRequested`, `PeersRequested`.
 *
 * Served (`auto` mode, for logs): `IntersectionServed`, `TipReached` (the peer caught up and waits),
 * `BlocksServed` (`blocks` 0: NoBlocks), `PeersShared`.
 *
 * Both modes: `TxReceived` (a transaction pulled from the peer), `CommandRejected`.
 *
 * @category models
 * @since 0.1.0
 */
export type ResponderEvent =
  | { readonly _tag: "PeerConnected"; readonly peer: PeerId; readonly direction: Direction }
  | { readonly _tag: "PeerRejected"; readonly peer: PeerId; readonly reason: string }
  | {
    readonly _tag: "PeerInitialized"
    readonly peer: PeerId
    readonly version: number
    readonly data: Handshake.VersionData
    readonly direction: Direction
  }
  | { readonly _tag: "HandshakeRefused"; readonly peer: PeerId; readonly reason: string }
  | { readonly _tag: "HandshakeQueried"; readonly peer: PeerId }
  | {
    readonly _tag: "PeerDisconnected"
    readonly peer: PeerId
    readonly reason: string
    readonly served: ServedStats
  }
  | { readonly _tag: "PeerBanned"; readonly peer: PeerId; readonly ip: string; readonly reason: string; readonly until: number }
  | { readonly _tag: "ProtocolViolation"; readonly peer: PeerId; readonly error: ConnectionError }
  | { readonly _tag: "IntersectionRequested"; readonly peer: PeerId; readonly points: ReadonlyArray<Point> }
  | { readonly _tag: "NextHeaderRequested"; readonly peer: PeerId }
  | { readonly _tag: "BlockRangeRequested"; readonly peer: PeerId; readonly from: Point; readonly to: Point }
  | { readonly _tag: "PeersRequested"; readonly peer: PeerId; readonly amount: number }
  | {
    readonly _tag: "IntersectionServed"
    readonly peer: PeerId
    readonly points: ReadonlyArray<Point>
    readonly found: Point | undefined
    readonly tip: Tip
  }
  | { readonly _tag: "TipReached"; readonly peer: PeerId; readonly tip: Tip; readonly headers: number }
  | {
    readonly _tag: "BlocksServed"
    readonly peer: PeerId
    readonly from: Point
    readonly to: Point
    readonly blocks: number
    readonly bytes: number
  }
  | {
    readonly _tag: "PeersShared"
    readonly peer: PeerId
    readonly requested: number
    readonly peers: ReadonlyArray<PeerId>
  }
  | { readonly _tag: "TxReceived"; readonly peer: PeerId; readonly tx: EraTx; readonly txId: EraTxId | undefined }
  | { readonly _tag: "CommandRejected"; readonly command: ResponderCommand; readonly reason: string }

/**
 * A short line describing an event, as the CLI logs it.
 *
 * @category utils
 * @since 0.1.0
 */
export const describeEvent = (event: ResponderEvent): string => {
  switch (event._tag) {
    case "PeerConnected":
      return `${event.peer} connected (${event.direction})`
    case "PeerRejected":
      return `${event.peer} rejected: ${event.reason}`
    case "PeerInitialized":
      return `${event.peer} handshake accepted: v${event.version} ${Handshake.describeVersionData(event.data)}`
    case "HandshakeRefused":
      return `${event.peer} handshake refused: ${event.reason}`
    case "HandshakeQueried":
      return `${event.peer} queried our versions`
    case "PeerDisconnected":
      return `${event.peer} closed: ${event.reason} (served ${event.served.headers} headers, ${event.served.blocks} blocks / ${event.served.blockBytes} bytes, received ${event.served.txs} txs)`
    case "PeerBanned":
      return `${event.peer} banned (IP ${event.ip}): ${event.reason}`
    case "ProtocolViolation":
      return `${event.peer} violation: ${event.error.message}`
    case "IntersectionRequested":
      return `${event.peer} asked for an intersection with ${event.points.length} points`
    case "NextHeaderRequested":
      return `${event.peer} asked for the next header`
    case "BlockRangeRequested":
      return `${event.peer} asked for blocks ${Point.toString(event.from)} .. ${Point.toString(event.to)}`
    case "PeersRequested":
      return `${event.peer} asked for ${event.amount} peers`
    case "IntersectionServed":
      return `${event.peer} find-intersect (${event.points.length} points): ${
        event.found === undefined ? "not found" : `found ${Point.toString(event.found)}`
      }`
    case "TipReached":
      return `${event.peer} reached our tip at block ${event.tip.blockNo} after ${event.headers} headers; awaiting`
    case "BlocksServed":
      return event.blocks === 0
        ? `${event.peer} asked for blocks ${Point.toString(event.from)} .. ${Point.toString(event.to)}: no blocks`
        : `${event.peer} fetched ${event.blocks} blocks (${event.bytes} bytes) ${Point.toString(event.from)} .. ${
          Point.toString(event.to)
        }`
    case "PeersShared":
      return `${event.peer} asked for ${event.requested} peers, given ${event.peers.length}`
    case "TxReceived":
      return `${event.peer} sent a tx (era ${event.tx.era}, ${event.tx.bytes.length} bytes)`
    case "CommandRejected":
      return `command ${event.command._tag} rejected: ${event.reason}`
  }
}

// ---------------------------------------------------------------------------------------------------
// peer state
// ---------------------------------------------------------------------------------------------------

/**
 * What the responder knows of one connection (a snapshot; read with `peers`).
 *
 * @category models
 * @since 0.1.0
 */
export interface ResponderPeerState {
  readonly direction: Direction
  /** When the connection came up (ms, from the Clock). */
  readonly connectedAt: number
  /**
   * `pending` (inbound, no proposal yet), `accepted`, `refused`, `queried`, `rejected` (by a limit),
   * or `remote` (a connection we dialled: its handshake is the initiator's business).
   */
  readonly handshake: "pending" | "accepted" | "refused" | "queried" | "rejected" | "remote"
  readonly version: number | undefined
  readonly versionData: Handshake.VersionData | undefined
  /** The chain-sync cursor: the last point sent to the peer. */
  readonly cursor: Point
  /** Whether the peer waits at our tip (after MsgAwaitReply). */
  readonly awaiting: boolean
  /** Whether a block-fetch batch is being streamed. */
  readonly streaming: boolean
  /** tx-submission2: started by the client's MsgInit, and how many ids are unacknowledged. */
  readonly txSubmission: { readonly started: boolean; readonly unacknowledged: number }
  readonly served: ServedStats
  /** Why we asked to close it, if we did. */
  readonly closing: string | undefined
}

interface PeerRecord {
  readonly peer: PeerId
  readonly direction: Direction
  readonly connectedAt: number
  handshake: ResponderPeerState["handshake"]
  version: number | undefined
  versionData: Handshake.VersionData | undefined
  closing: string | undefined
  error: string | undefined
  closeAfterSent: string | undefined
  refusal: string | undefined
  // chain-sync
  cursor: Point
  rollbackFirst: { readonly point: Point; readonly tip: Tip | undefined } | undefined
  awaiting: boolean
  csPending: "intersect" | "next" | "await" | undefined
  headersSinceTip: number
  // block-fetch
  readonly ranges: Array<{ readonly from: Point; readonly to: Point }>
  streaming: boolean
  bfPending: { readonly from: Point; readonly to: Point } | undefined
  readonly credits: Queue.Queue<void>
  // peer-sharing
  psPending: number | undefined
  // tx-submission2
  tx: TxWindow | undefined
  // counters
  headers: number
  blocks: number
  blockBytes: number
  txs: number
}

// ---------------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------------

/**
 * The responder behavior's service key.
 *
 * @category services
 * @since 0.1.0
 */
export const ResponderBehavior = Behavior.key<ResponderEvent, ResponderCommand, ResponderPeerState>(
  "@pallas-network2/core/ResponderBehavior"
)

/**
 * The service key of the Manager that drives the responder.
 *
 * @category services
 * @since 0.1.0
 */
export const ResponderManager = Manager.key(ResponderBehavior)

/**
 * Makes a responder in the current scope. `chain` is required in `auto` mode (the layer reads it from
 * the ChainSource service).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChainSource, GeneratedChain, Responder } from "@pallas-network2/core"
 * const program = Effect.gen(function*() {
 *   const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 10 }))
 *   const responder = yield* Responder.make({ networkMagic: 2 }, chain)
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(
  config: ResponderConfig = {},
  chain?: ChainSourceShape | undefined
): Effect.fn.Return<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState>, never, Scope.Scope> {
  const s = settingsOf(config)
  if (s.mode === "auto" && chain === undefined) {
    return yield* Effect.die(new Error("Responder: auto mode needs a ChainSource"))
  }
  const outbound = yield* OutboundQueue.make<ResponderEvent>()
  const lock = yield* Semaphore.make(1)
  const fibers = yield* FiberMap.make<string>()
  const peers = new Map<PeerId, PeerRecord>()
  const admission = new AdmissionControl({
    hardLimit: s.hardLimit,
    softLimit: s.softLimit,
    perIpLimit: s.perIpLimit,
    banDuration: Duration.toMillis(s.banDuration)
  })
  const seenTxs = new SeenTxs(20_000)
  const ourTable = Handshake.n2nVersionTable({
    magic: s.networkMagic,
    versions: [...s.versions].sort((a, b) => a - b),
    initiatorOnly: s.initiatorOnly,
    peerSharing: s.peerSharing
  })

  const locked = <A, E, R>(effect: Effect.Effect<A, E, R>) => Semaphore.withPermit(lock, effect)
  const send = (peer: PeerId, message: Message) => outbound.command(InterfaceCommand.Send(peer, message))
  const emit = (event: ResponderEvent) => outbound.event(event)
  const statsOf = (r: PeerRecord): ServedStats => ({
    headers: r.headers,
    blocks: r.blocks,
    blockBytes: r.blockBytes,
    txs: r.txs
  })

  const close = (r: PeerRecord, reason: string) => {
    if (r.closing !== undefined) return
    r.closing = reason
    outbound.command(InterfaceCommand.Disconnect(r.peer, reason))
  }

  const ban = Effect.fnUntraced(function*(peer: PeerId, reason: string) {
    const now = yield* Clock.currentTimeMillis
    admission.ban(peer, now, reason)
    emit({ _tag: "PeerBanned", peer, ip: PeerId.host(peer), reason, until: now + Duration.toMillis(s.banDuration) })
  })

  /** A rule broken that the protocol driver cannot see (tx window, message before handshake). */
  const violate = Effect.fnUntraced(function*(r: PeerRecord, protocol: string, state: string, detail: string) {
    const error = new ProtocolViolation({ protocol, state, kind: "UnexpectedMessage", detail })
    emit({ _tag: "ProtocolViolation", peer: r.peer, error })
    yield* ban(r.peer, error.message)
    close(r, `protocol violation: ${error.message}`)
  })

  /** The chain source failed while serving `r`: that peer alone is closed, the reason logged. */
  const chainFailed = Effect.fnUntraced(function*(r: PeerRecord, error: ChainSourceError) {
    if (r.closing !== undefined) return
    const reason = `chain source failed: ${error.message}`
    yield* Effect.logWarning(`${r.peer} closed: ${reason}`)
    close(r, reason)
  })

  const newRecord = (peer: PeerId, direction: Direction, now: number, credits: Queue.Queue<void>): PeerRecord => ({
    peer,
    direction,
    connectedAt: now,
    handshake: direction === "inbound" ? "pending" : "remote",
    version: undefined,
    versionData: undefined,
    closing: undefined,
    error: undefined,
    closeAfterSent: undefined,
    refusal: undefined,
    cursor: Point.origin,
    rollbackFirst: s.mode === "auto" ? { point: Point.origin, tip: undefined } : undefined,
    awaiting: false,
    csPending: undefined,
    headersSinceTip: 0,
    ranges: [],
    streaming: false,
    bfPending: undefined,
    credits,
    psPending: undefined,
    tx: undefined,
    headers: 0,
    blocks: 0,
    blockBytes: 0,
    txs: 0
  })

  // ---- connection lifecycle ------------------------------------------------------------------------

  const onConnected = Effect.fnUntraced(function*(peer: PeerId, direction: Direction) {
    const now = yield* Clock.currentTimeMillis
    const credits = yield* Queue.unbounded<void>()
    const r = newRecord(peer, direction, now, credits)
    for (let i = 0; i < s.blockFetchWindow; i++) Queue.offerUnsafe(credits, undefined)
    peers.set(peer, r)
    if (direction === "outbound") {
      emit({ _tag: "PeerConnected", peer, direction })
      return
    }
    const admitted = admission.admit(peer, now, (p) => peers.get(p)?.streaming === true)
    if (admitted._tag === "Refuse") {
      r.handshake = "rejected"
      emit({ _tag: "PeerRejected", peer, reason: admitted.reason })
      close(r, admitted.reason)
      return
    }
    emit({ _tag: "PeerConnected", peer, direction })
    if (admitted.prune !== undefined) {
      const victim = peers.get(admitted.prune)
      if (victim !== undefined) close(victim, `pruned: over the soft limit of ${s.softLimit} inbound connections`)
    }
    yield* FiberMap.run(
      fibers,
      `${peer}/idle`,
      Effect.sleep(s.idleTimeout).pipe(
        Effect.andThen(locked(Effect.sync(() => {
          const current = peers.get(peer)
          if (current === r && r.handshake === "pending") {
            close(r, `no handshake within ${Duration.format(s.idleTimeout)}`)
          }
        })))
      )
    )
  })

  const onError = Effect.fnUntraced(function*(peer: PeerId, error: ConnectionError) {
    const r = peers.get(peer)
    if (r === undefined) return
    r.error ??= error.message
    if (error._tag === "ProtocolViolation" || error._tag === "MuxError") {
      emit({ _tag: "ProtocolViolation", peer, error })
      yield* ban(peer, error.message)
    }
  })

  const onDisconnected = Effect.fnUntraced(function*(peer: PeerId) {
    const r = peers.get(peer)
    if (r === undefined) return
    peers.delete(peer)
    if (r.direction === "inbound" && r.handshake !== "rejected") admission.release(peer)
    yield* FiberMap.remove(fibers, `${peer}/idle`)
    yield* FiberMap.remove(fibers, `${peer}/block-fetch`)
    yield* Queue.shutdown(r.credits)
    const reason = r.error !== undefined
      ? r.error
      : r.closing !== undefined
      ? r.closing
      : "closed by the peer"
    emit({ _tag: "PeerDisconnected", peer, reason, served: statsOf(r) })
  })

  const onSent = (peer: PeerId, message: Message) => {
    const r = peers.get(peer)
    if (r === undefined) return
    if (message.protocol === "block-fetch" && message._tag === "MsgBlock") Queue.offerUnsafe(r.credits, undefined)
    if (r.closeAfterSent !== undefined && message._tag === r.closeAfterSent) {
      const reason = r.handshake === "queried" ? "handshake query answered" : `handshake refused: ${r.refusal}`
      r.closeAfterSent = undefined
      close(r, reason)
    }
  }

  // ---- handshake -----------------------------------------------------------------------------------

  const onPropose = Effect.fnUntraced(function*(r: PeerRecord, proposal: Handshake.VersionTable) {
    if (r.handshake !== "pending") return
    const outcome = Handshake.negotiate(ourTable, proposal)
    if (outcome._tag === "Refuse") {
      const text = outcome.reason._tag === "VersionMismatch"
        ? `no common version (ours ${[...ourTable.keys()].join(", ")}; theirs ${[...proposal.keys()].join(", ")})`
        : outcome.reason.message
      r.handshake = "refused"
      r.closeAfterSent = "MsgRefuse"
      r.refusal = text
      send(r.peer, Handshake.make.refuse(outcome.reason))
      emit({ _tag: "HandshakeRefused", peer: r.peer, reason: text })
      return
    }
    if (proposal.get(outcome.version)?.query ?? false) {
      r.handshake = "queried"
      r.closeAfterSent = "MsgQueryReply"
      send(r.peer, Handshake.make.queryReply(ourTable))
      emit({ _tag: "HandshakeQueried", peer: r.peer })
      return
    }
    r.handshake = "accepted"
    r.version = outcome.version
    r.versionData = outcome.data
    send(r.peer, Handshake.make.accept(outcome.version, outcome.data))
    yield* FiberMap.remove(fibers, `${r.peer}/idle`)
    emit({ _tag: "PeerInitialized", peer: r.peer, version: outcome.version, data: outcome.data, direction: r.direction })
  })

  // ---- chain-sync ----------------------------------------------------------------------------------

  const serveNext = Effect.fnUntraced(function*(r: PeerRecord, c: ChainSourceShape) {
    if (r.rollbackFirst !== undefined) {
      const { point } = r.rollbackFirst
      r.rollbackFirst = undefined
      const tip = yield* c.tip
      r.cursor = point
      send(r.peer, ChainSync.make.rollBackward(point, tip))
      return
    }
    const step = yield* c.next(r.cursor)
    switch (step._tag) {
      case "RollForward": {
        r.cursor = step.point
        r.headers++
        r.headersSinceTip++
        send(r.peer, ChainSync.make.rollForward(step.header, step.tip))
        return
      }
      case "RollBackward": {
        r.cursor = step.point
        send(r.peer, ChainSync.make.rollBackward(step.point, step.tip))
        return
      }
      case "AtTip": {
        r.awaiting = true
        send(r.peer, ChainSync.make.awaitReply())
        emit({ _tag: "TipReached", peer: r.peer, tip: step.tip, headers: r.headersSinceTip })
        r.headersSinceTip = 0
        return
      }
    }
  })

  /** Wakes the peers waiting at the tip after the chain changed. */
  const wakeAwaiting = Effect.fnUntraced(function*(c: ChainSourceShape) {
    for (const r of peers.values()) {
      if (!r.awaiting || r.closing !== undefined) continue
      const step = yield* c.next(r.cursor).pipe(
        Effect.catchTag("ChainSourceError", (e) => Effect.as(chainFailed(r, e), undefined))
      )
      if (step === undefined || step._tag === "AtTip") continue
      r.awaiting = false
      if (step._tag === "RollForward") {
        r.cursor = step.point
        r.headers++
        r.headersSinceTip++
        send(r.peer, ChainSync.make.rollForward(step.header, step.tip))
      } else {
        r.cursor = step.point
        send(r.peer, ChainSync.make.rollBackward(step.point, step.tip))
      }
    }
  })

  const onChainSync = Effect.fnUntraced(function*(r: PeerRecord, m: ChainSyncRequest) {
    switch (m._tag) {
      case "MsgFindIntersect": {
        if (chain !== undefined && s.mode === "auto") {
          const found = yield* chain.intersect(m.points)
          const tip = found?.tip ?? (yield* chain.tip)
          if (found === undefined) {
            send(r.peer, ChainSync.make.intersectNotFound(tip))
          } else {
            r.cursor = found.point
            r.rollbackFirst = { point: found.point, tip: undefined }
            r.awaiting = false
            send(r.peer, ChainSync.make.intersectFound(found.point, found.tip))
          }
          emit({ _tag: "IntersectionServed", peer: r.peer, points: m.points, found: found?.point, tip })
        } else {
          r.csPending = "intersect"
          emit({ _tag: "IntersectionRequested", peer: r.peer, points: m.points })
        }
        return
      }
      case "MsgRequestNext": {
        if (chain !== undefined && s.mode === "auto") return yield* serveNext(r, chain)
        if (r.rollbackFirst !== undefined && r.rollbackFirst.tip !== undefined) {
          const { point, tip } = r.rollbackFirst
          r.rollbackFirst = undefined
          r.cursor = point
          send(r.peer, ChainSync.make.rollBackward(point, tip))
          return
        }
        r.csPending = "next"
        emit({ _tag: "NextHeaderRequested", peer: r.peer })
        return
      }
      case "MsgDone": {
        r.awaiting = false
        r.csPending = undefined
        r.cursor = Point.origin
        r.rollbackFirst = s.mode === "auto" ? { point: Point.origin, tip: undefined } : undefined
        return
      }
    }
  })

  // ---- block-fetch ---------------------------------------------------------------------------------

  /**
   * Streams one range. A chain source failure (or a defect in it) closes this peer with the reason;
   * an interruption (the peer left) ends it quietly.
   */
  const streamRange = (r: PeerRecord, c: ChainSourceShape, from: Point, to: Point): Effect.Effect<void> =>
    Effect.gen(function*() {
      const stream = yield* c.range(from, to)
      if (stream === undefined) {
        yield* locked(Effect.sync(() => {
          send(r.peer, BlockFetch.make.noBlocks())
          emit({ _tag: "BlocksServed", peer: r.peer, from, to, blocks: 0, bytes: 0 })
        }))
        return
      }
      yield* locked(Effect.sync(() => send(r.peer, BlockFetch.make.startBatch())))
      let blocks = 0
      let bytes = 0
      // as many blocks as there are credits go out under one lock: one hand-off per batch, not per block
      yield* Stream.runForEachArray(stream, (chunk) =>
        Effect.gen(function*() {
          let i = 0
          while (i < chunk.length) {
            const granted = (yield* Queue.takeBetween(r.credits, 1, chunk.length - i)).length
            const end = i + granted
            yield* locked(Effect.sync(() => {
              for (; i < end; i++) {
                const block = chunk[i]!
                blocks++
                bytes += block.length
                r.blocks++
                r.blockBytes += block.length
                send(r.peer, BlockFetch.make.block(block))
              }
            }))
          }
        }))
      yield* locked(Effect.sync(() => {
        send(r.peer, BlockFetch.make.batchDone())
        emit({ _tag: "BlocksServed", peer: r.peer, from, to, blocks, bytes })
      }))
    }).pipe(Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.void
      const error = Cause.findErrorOption(cause)
      return locked(chainFailed(
        r,
        error._tag === "Some"
          ? error.value
          : new ChainSourceError({ operation: "range", detail: `defect: ${String(Cause.squash(cause))}` })
      ))
    }))

  /** Serves the queued ranges of a peer one after the other (block-fetch clients may pipeline). */
  const startStreaming = Effect.fnUntraced(function*(r: PeerRecord, c: ChainSourceShape) {
    if (r.streaming) return
    r.streaming = true
    const loop: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const range = yield* locked(Effect.sync(() => {
          const next = r.ranges.shift()
          if (next === undefined) r.streaming = false
          return next
        }))
        if (range === undefined) return
        yield* streamRange(r, c, range.from, range.to)
      }
    })
    yield* FiberMap.run(fibers, `${r.peer}/block-fetch`, loop)
  })

  const onBlockFetch = Effect.fnUntraced(function*(r: PeerRecord, m: BlockFetchRequest) {
    if (m._tag === "MsgClientDone") return
    if (chain !== undefined && s.mode === "auto") {
      r.ranges.push({ from: m.from, to: m.to })
      return yield* startStreaming(r, chain)
    }
    r.bfPending = { from: m.from, to: m.to }
    emit({ _tag: "BlockRangeRequested", peer: r.peer, from: m.from, to: m.to })
  })

  // ---- peer-sharing --------------------------------------------------------------------------------

  const sharePeers = (r: PeerRecord, requested: number, chosen: ReadonlyArray<PeerId>) => {
    const addresses = chosen.flatMap((p) => {
      const a = sharedAddress(p)
      return a === undefined ? [] : [a]
    }).slice(0, requested)
    send(r.peer, PeerSharing.make.sharePeers(addresses))
    return addresses.length
  }

  const onPeerSharing = (r: PeerRecord, m: PeerSharingRequest) => {
    if (m._tag === "MsgDone") return
    if (s.mode === "manual") {
      r.psPending = m.amount
      emit({ _tag: "PeersRequested", peer: r.peer, amount: m.amount })
      return
    }
    const enabled = s.peerSharing && (r.versionData === undefined || Handshake.sharesPeers(r.versionData))
    const chosen = enabled
      ? selectPeers({
        asker: r.peer,
        amount: m.amount,
        cap: s.maxSharedPeers,
        configured: s.sharedPeers,
        connected: [...peers.values()].map((p) => ({
          peer: p.peer,
          shareable: p.direction === "inbound" && p.handshake === "accepted" && p.closing === undefined &&
            p.versionData !== undefined && !(p.versionData.initiatorOnlyDiffusionMode ?? false)
        }))
      }).filter((p) => sharedAddress(p) !== undefined)
      : []
    sharePeers(r, m.amount, chosen)
    emit({ _tag: "PeersShared", peer: r.peer, requested: m.amount, peers: chosen.slice(0, m.amount) })
  }

  // ---- tx-submission2 ------------------------------------------------------------------------------

  const sendTxAction = (r: PeerRecord, action: ReturnType<TxWindow["start"]>) => {
    send(r.peer, action._tag === "RequestTxIds" ? TxSubmission2.make.requestTxIds(action.blocking, action.ack, action.req) : TxSubmission2.make.requestTxs(action.ids))
  }

  const onTxSubmission = Effect.fnUntraced(function*(r: PeerRecord, m: TxSubmissionReply) {
    switch (m._tag) {
      case "MsgInit": {
        r.tx = new TxWindow({ maxUnacked: s.maxUnacked, maxRequestBytes: s.maxRequestBytes, seen: seenTxs })
        sendTxAction(r, r.tx.start())
        return
      }
      case "MsgReplyTxIds": {
        if (r.tx === undefined) return yield* violate(r, "tx-submission2", "Idle", "MsgReplyTxIds before MsgInit")
        const result = r.tx.onReplyTxIds(m.txIds.map((t) => [t.txId, t.size] as const))
        if (result._tag === "TxViolation") return yield* violate(r, "tx-submission2", "TxIds", result.detail)
        sendTxAction(r, result)
        return
      }
      case "MsgReplyTxs": {
        if (r.tx === undefined) return yield* violate(r, "tx-submission2", "Idle", "MsgReplyTxs before MsgInit")
        const result = r.tx.onReplyTxs(m.txs)
        if ("_tag" in result) return yield* violate(r, "tx-submission2", "Txs", result.detail)
        m.txs.forEach((tx, i) => {
          r.txs++
          emit({ _tag: "TxReceived", peer: r.peer, tx, txId: result.ids[i] })
        })
        sendTxAction(r, result.action)
        return
      }
      case "MsgDone": {
        r.tx = undefined
        return
      }
    }
  })

  // ---- dispatch of received messages ---------------------------------------------------------------

  const onMessage = Effect.fnUntraced(function*(r: PeerRecord, message: Message) {
    // the interface runs the node-to-node protocols: their codecs make only these messages
    const m = message as NodeToNode.AnyNodeToNodeMessage
    if (m.protocol === "handshake") {
      if (m._tag === "MsgProposeVersions") {
        if (r.direction === "outbound") return // simultaneous open: the initiator's business
        return yield* onPropose(r, m.versionTable)
      }
      // answers to our own proposal on a connection we dialled: learn the negotiated version
      if (m._tag === "MsgAcceptVersion") {
        r.version = m.version
        r.versionData = m.versionData
        emit({ _tag: "PeerInitialized", peer: r.peer, version: m.version, data: m.versionData, direction: r.direction })
      }
      return
    }
    if (!isRequest(m)) return // a server's answer to our own initiator (duplex), not ours to handle
    if (r.closing !== undefined) return
    if (r.direction === "inbound" && r.handshake !== "accepted") {
      return yield* violate(r, m.protocol, "before handshake", `${message._tag} before the handshake was accepted`)
    }
    switch (m.protocol) {
      case "chain-sync":
        return yield* onChainSync(r, m).pipe(Effect.catchTag("ChainSourceError", (e) => chainFailed(r, e)))
      case "block-fetch":
        return yield* onBlockFetch(r, m)
      case "keep-alive": {
        if (m._tag === "MsgKeepAlive") send(r.peer, KeepAlive.make.response(m.cookie))
        return
      }
      case "peer-sharing":
        return onPeerSharing(r, m)
      case "tx-submission2":
        return yield* onTxSubmission(r, m)
    }
  })

  const handleIo = (event: InterfaceEvent): Effect.Effect<void> =>
    locked(Effect.gen(function*() {
      switch (event._tag) {
        case "Connected":
          return yield* onConnected(event.peer, event.direction)
        case "Disconnected":
          return yield* onDisconnected(event.peer)
        case "Error":
          return yield* onError(event.peer, event.error)
        case "Sent":
          return onSent(event.peer, event.message)
        case "Idle":
          return
        case "Recv": {
          const r = peers.get(event.peer)
          if (r === undefined) return
          if (r.direction === "inbound") admission.touch(event.peer, yield* Clock.currentTimeMillis)
          for (const message of event.messages) {
            if (!peers.has(event.peer)) return
            yield* onMessage(r, message)
          }
          return
        }
      }
    }))

  // ---- commands ------------------------------------------------------------------------------------

  const rejected = (command: ResponderCommand, reason: string) => emit({ _tag: "CommandRejected", command, reason })

  const execute = (command: ResponderCommand): Effect.Effect<void> =>
    locked(Effect.gen(function*() {
      const r = peers.get(command.peer)
      if (command._tag === "BanPeer") {
        const reason = command.reason ?? "banned by the application"
        yield* ban(command.peer, reason)
        if (r !== undefined) close(r, `banned: ${reason}`)
        return
      }
      if (r === undefined || r.closing !== undefined) return rejected(command, `${command.peer} is not connected`)
      switch (command._tag) {
        case "DisconnectPeer":
          return close(r, command.reason ?? "closed by the application")
        case "ProvideIntersection": {
          if (r.csPending !== "intersect") return rejected(command, "the peer did not ask for an intersection")
          r.csPending = undefined
          if (command.point === undefined) return send(r.peer, ChainSync.make.intersectNotFound(command.tip))
          r.cursor = command.point
          r.rollbackFirst = { point: command.point, tip: command.tip }
          return send(r.peer, ChainSync.make.intersectFound(command.point, command.tip))
        }
        case "ProvideHeader": {
          if (r.csPending !== "next" && r.csPending !== "await") {
            return rejected(command, "the peer did not ask for the next header")
          }
          r.csPending = undefined
          r.headers++
          return send(r.peer, ChainSync.make.rollForward(command.header, command.tip))
        }
        case "ProvideRollback": {
          if (r.csPending !== "next" && r.csPending !== "await") {
            return rejected(command, "the peer did not ask for the next header")
          }
          r.csPending = undefined
          r.cursor = command.point
          return send(r.peer, ChainSync.make.rollBackward(command.point, command.tip))
        }
        case "ProvideAwait": {
          if (r.csPending !== "next") return rejected(command, "the peer is not waiting for a next header")
          r.csPending = "await"
          return send(r.peer, ChainSync.make.awaitReply())
        }
        case "ProvideBlocks":
        case "ProvideNoBlocks": {
          const range = r.bfPending
          if (range === undefined) return rejected(command, "the peer did not ask for blocks")
          r.bfPending = undefined
          const blocks = command._tag === "ProvideBlocks" ? command.blocks : []
          if (blocks.length === 0) return send(r.peer, BlockFetch.make.noBlocks())
          send(r.peer, BlockFetch.make.startBatch())
          for (const b of blocks) {
            r.blocks++
            r.blockBytes += b.length
            send(r.peer, BlockFetch.make.block(b))
          }
          return send(r.peer, BlockFetch.make.batchDone())
        }
        case "ProvidePeers": {
          const amount = r.psPending
          if (amount === undefined) return rejected(command, "the peer did not ask for peers")
          r.psPending = undefined
          sharePeers(r, amount, command.peers.filter((p) => p !== r.peer))
          return
        }
      }
    }))

  // ---- background: wake followers when the chain grows ---------------------------------------------

  if (chain !== undefined && s.mode === "auto") {
    yield* chain.changes.pipe(
      Stream.runForEach(() => locked(wakeAwaiting(chain))),
      Effect.forkScoped
    )
  }

  const snapshot = (r: PeerRecord): ResponderPeerState => ({
    direction: r.direction,
    connectedAt: r.connectedAt,
    handshake: r.handshake,
    version: r.version,
    versionData: r.versionData,
    cursor: r.cursor,
    awaiting: r.awaiting || r.csPending === "await",
    streaming: r.streaming,
    txSubmission: { started: r.tx !== undefined, unacknowledged: r.tx?.unacknowledged ?? 0 },
    served: statsOf(r),
    closing: r.closing
  })

  return {
    handleIo,
    execute,
    outputs: outbound.stream,
    peers: locked(Effect.sync(() => new Map([...peers].map(([p, r]) => [p, snapshot(r)] as const))))
  }
})

/**
 * The responder's layer. In `auto` mode (the default) it needs the {@link ChainSource} service; in
 * `manual` mode it needs nothing.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GeneratedChain, Manager, Responder } from "@pallas-network2/core"
 * const ResponderLive = Manager.layer(Responder.ResponderBehavior).pipe(
 *   Layer.provideMerge(Responder.layer({ networkMagic: 2 })),
 *   Layer.provide(GeneratedChain.layer({ blocks: 100 }))
 * ) // still needs an Interface, e.g. TcpInterface.layer(...)
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export function layer(
  config: ResponderConfig & { readonly mode: "manual" }
): Layer.Layer<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState>>
export function layer(
  config?: ResponderConfig
): Layer.Layer<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState>, never, ChainSource>
export function layer(
  config: ResponderConfig = {}
): Layer.Layer<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState>, never, ChainSource> {
  return Layer.effect(
    ResponderBehavior,
    Effect.gen(function*() {
      const chain = (config.mode ?? "auto") === "auto"
        ? yield* ChainSource
        : Option.getOrUndefined(yield* Effect.serviceOption(ChainSource))
      return yield* make(config, chain)
    })
  )
}

/**
 * The responder and its Manager in one layer: needs the Interface (and the ChainSource in `auto`
 * mode); provides both the behavior and {@link ResponderManager}.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerManager = (
  config: ResponderConfig = {}
): Layer.Layer<
  | Manager.Manager<ResponderEvent, ResponderCommand>
  | Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState>,
  never,
  Interface | ChainSource
> => Manager.layer(ResponderBehavior).pipe(Layer.provideMerge(layer(config)))
