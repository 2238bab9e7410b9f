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
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Behavior from "../Behavior.ts"
import { ChainSource, type ChainSourceShape } from "../chain/ChainSource.ts"
import type { Direction, Interface, InterfaceEvent } from "../Interface.ts"
import * as Manager from "../Manager.ts"
import type { ProtocolName } from "../Message.ts"
import type { AnyNodeToNodeMessage } from "../protocol/NodeToNode.ts"
import type { PeerId } from "../Primitives.ts"
import type { ConnectionError } from "../ProtocolError.ts"
import { type EraTx, type EraTxId, Point, type Tip, type WrappedHeader } from "../protocol/Common.ts"
import * as Handshake from "../protocol/Handshake.ts"
import { forEachRun } from "./internal/sentRuns.ts"
import * as BlockFetchServer from "./responder/blockFetch.ts"
import * as ChainSyncServer from "./responder/chainSync.ts"
import { type Connection, type Lifecycle, makeContext, newConnection, settingsOf, type SubBehavior } from "./responder/context.ts"
import * as HandshakeServer from "./responder/handshake.ts"
import * as KeepAliveServer from "./responder/keepAlive.ts"
import * as Limits from "./responder/limits.ts"
import * as PeerSharingServer from "./responder/peerSharing.ts"
import * as TxSubmissionServer from "./responder/txSubmission.ts"

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
  /**
   * How many blocks may wait to be written to one peer before more are read from the chain source.
   * Default 512; {@link blockFetchWindowBytes} bounds them too (docs/BENCHMARKS.md: a window of 16
   * blocks of 1.5 kB wrote 24 kB a system call; item 38: twice the multiplexer's 256 kB write).
   */
  readonly blockFetchWindow?: number
  /** How many bytes of blocks may wait to be written to one peer (at least one block always goes). Default 512 KiB. */
  readonly blockFetchWindowBytes?: number
  /** tx-submission2: the most unacknowledged tx ids (default 10) and bytes asked for per MsgRequestTxs. */
  readonly txSubmission?: { readonly maxUnacked?: number; readonly maxRequestBytes?: number }
  /** Connection limits and bans. */
  readonly limits?: ResponderLimits
}

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

// ---------------------------------------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------------------------------------

/**
 * The responder behavior's service key.
 *
 * @category services
 * @since 0.1.0
 */
export const ResponderBehavior = Behavior.key<ResponderEvent, ResponderCommand, ResponderPeerState, AnyNodeToNodeMessage>(
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
): Effect.fn.Return<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState, AnyNodeToNodeMessage>, never, Scope.Scope> {
  const settings = settingsOf(config)
  if (settings.mode === "auto" && chain === undefined) {
    return yield* Effect.die(new Error("Responder: auto mode needs a ChainSource"))
  }
  const ctx = yield* makeContext(settings, settings.mode === "auto" ? chain : undefined)
  const connections = ctx.connections
  const handshake = HandshakeServer.make(ctx)
  const chainSync = yield* ChainSyncServer.make(ctx)
  const blockFetch = BlockFetchServer.make(ctx)
  const keepAlive = KeepAliveServer.make(ctx)
  const peerSharing = PeerSharingServer.make(ctx)
  const txSubmission = TxSubmissionServer.make(ctx)
  // a peer streaming blocks is never pruned to make room
  const limits = Limits.make(ctx, (peer) => {
    const conn = connections.get(peer)
    return conn !== undefined && blockFetch.view(conn).streaming
  })
  /** The limits and every mini-protocol's server side, in the order a connection's state is made and dropped. */
  const parts: ReadonlyArray<Lifecycle> = [limits, handshake, chainSync, blockFetch, keepAlive, peerSharing, txSubmission]

  /** A sub-behavior as the router sees it: any message of its protocol in. */
  interface Port {
    readonly receive: (conn: Connection, message: AnyNodeToNodeMessage) => Effect.Effect<void>
    readonly sent: (conn: Connection, messages: ReadonlyArray<AnyNodeToNodeMessage>) => void
  }
  /**
   * The port of a sub-behavior: it sees the requests it reads (the rest answer our own initiator on a
   * connection that carries both roles); unless `always`, only once the handshake was accepted on an
   * inbound connection and never once we are closing the connection.
   */
  const port = <R extends AnyNodeToNodeMessage, C, V>(server: SubBehavior<R, C, V>, always = false): readonly [ProtocolName, Port] => [
    server.protocol,
    {
      receive: (conn, m) => {
        if (!server.isRequest(m)) return Effect.void
        if (always) return server.onMessage(conn, m)
        if (conn.closing !== undefined) return Effect.void
        if (conn.direction === "inbound" && conn.handshake !== "accepted") {
          return ctx.violate(conn, m.protocol, "before handshake", `${m._tag} before the handshake was accepted`)
        }
        return server.onMessage(conn, m)
      },
      sent: server.onSent
    }
  ]
  /** Each mini-protocol's port, by its name (the interface runs the node-to-node ones). */
  const ports = new Map<ProtocolName, Port>([
    port(handshake, true),
    port(chainSync),
    port(blockFetch),
    port(keepAlive),
    port(peerSharing),
    port(txSubmission)
  ])

  // ---- connection lifecycle ------------------------------------------------------------------------

  const onConnected = Effect.fnUntraced(function*(peer: PeerId, direction: Direction) {
    const conn = newConnection(peer, direction, yield* Clock.currentTimeMillis)
    connections.set(peer, conn)
    for (const part of parts) yield* part.connected(conn)
  })

  const onDisconnected = Effect.fnUntraced(function*(peer: PeerId) {
    const conn = connections.get(peer)
    if (conn === undefined) return
    connections.delete(peer)
    for (const part of parts) yield* part.disconnected(conn)
    const reason = conn.error ?? conn.closing ?? "closed by the peer"
    ctx.emit({ _tag: "PeerDisconnected", peer, reason, served: { ...conn.served } })
  })

  const onError = Effect.fnUntraced(function*(peer: PeerId, error: ConnectionError) {
    const conn = connections.get(peer)
    if (conn === undefined) return
    conn.error ??= error.message
    if (error._tag === "ProtocolViolation" || error._tag === "MuxError") {
      ctx.emit({ _tag: "ProtocolViolation", peer, error })
      yield* ctx.ban(peer, error.message)
    }
  })

  // ---- messages: each to the port of its mini-protocol ---------------------------------------------

  const onSent = (peer: PeerId, messages: ReadonlyArray<AnyNodeToNodeMessage>) => {
    const conn = connections.get(peer)
    if (conn !== undefined) forEachRun(messages, (protocol, run) => ports.get(protocol)?.sent(conn, run))
  }

  // hoisted: a generator function written inline is built again at every call, which costs more
  // than the whole event's work (bench/probe notes in docs/BENCHMARKS.md)
  const onIo = Effect.fnUntraced(function*(event: InterfaceEvent<AnyNodeToNodeMessage>) {
      switch (event._tag) {
        case "Connected":
          return yield* onConnected(event.peer, event.direction)
        case "Disconnected":
          return yield* onDisconnected(event.peer)
        case "Error":
          return yield* onError(event.peer, event.error)
        case "Sent":
          return onSent(event.peer, event.messages)
        case "Idle":
        case "Recv": // handleIo passes a read's messages to onRecv
          return
      }
    })
  /** Each message to its port, in order, while the connection lasts. */
  const receiveAll = Effect.fnUntraced(function*(conn: Connection, messages: ReadonlyArray<AnyNodeToNodeMessage>) {
    for (const message of messages) {
      if (!connections.has(conn.peer)) return
      const port = ports.get(message.protocol)
      if (port !== undefined) yield* port.receive(conn, message)
    }
  })
  // a read's messages (one at a time, a request is a round trip's work): no generator for one message
  const onRecv = (peer: PeerId, messages: ReadonlyArray<AnyNodeToNodeMessage>): Effect.Effect<void> => {
    const conn = connections.get(peer)
    if (conn === undefined) return Effect.void
    if (messages.length !== 1) return Effect.andThen(limits.received(conn), receiveAll(conn, messages))
    const message = messages[0]!
    const port = ports.get(message.protocol)
    return port === undefined ? limits.received(conn) : Effect.andThen(limits.received(conn), () => port.receive(conn, message))
  }
  // what an event reads and changes is read under the lock (the suspend), not when the effect is made
  const handleIo = (event: InterfaceEvent<AnyNodeToNodeMessage>): Effect.Effect<void> =>
    ctx.locked(event._tag === "Recv" ? Effect.suspend(() => onRecv(event.peer, event.messages)) : onIo(event))

  // ---- commands: the connection's own, and the answers of `manual` mode -----------------------------

  const execute = (command: ResponderCommand): Effect.Effect<void> =>
    ctx.locked(Effect.gen(function*() {
      const conn = connections.get(command.peer)
      if (command._tag === "BanPeer") {
        const reason = command.reason ?? "banned by the application"
        yield* ctx.ban(command.peer, reason)
        if (conn !== undefined) ctx.close(conn, `banned: ${reason}`)
        return
      }
      if (conn === undefined || conn.closing !== undefined) {
        return ctx.rejected(command, `${command.peer} is not connected`)
      }
      switch (command._tag) {
        case "DisconnectPeer":
          return ctx.close(conn, command.reason ?? "closed by the application")
        case "ProvideIntersection":
        case "ProvideHeader":
        case "ProvideRollback":
        case "ProvideAwait":
          return yield* chainSync.onCommand(conn, command)
        case "ProvideBlocks":
        case "ProvideNoBlocks":
          return yield* blockFetch.onCommand(conn, command)
        case "ProvidePeers":
          return yield* peerSharing.onCommand(conn, command)
      }
    }))

  const snapshot = (conn: Connection): ResponderPeerState => {
    const { awaiting, cursor } = chainSync.view(conn)
    return {
      direction: conn.direction,
      connectedAt: conn.connectedAt,
      handshake: conn.handshake,
      version: conn.version,
      versionData: conn.versionData,
      cursor,
      awaiting,
      streaming: blockFetch.view(conn).streaming,
      txSubmission: txSubmission.view(conn),
      served: { ...conn.served },
      closing: conn.closing
    }
  }

  return {
    handleIo,
    execute,
    outputs: ctx.outputs,
    outbox: ctx.outbox,
    peers: ctx.locked(Effect.sync(() => new Map([...connections].map(([p, conn]) => [p, snapshot(conn)] as const))))
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
): Layer.Layer<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState, AnyNodeToNodeMessage>>
export function layer(
  config?: ResponderConfig
): Layer.Layer<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState, AnyNodeToNodeMessage>, never, ChainSource>
export function layer(
  config: ResponderConfig = {}
): Layer.Layer<Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState, AnyNodeToNodeMessage>, never, ChainSource> {
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
  | Behavior.Behavior<ResponderEvent, ResponderCommand, ResponderPeerState, AnyNodeToNodeMessage>,
  never,
  Interface<AnyNodeToNodeMessage> | ChainSource
> => Manager.layer(ResponderBehavior).pipe(Layer.provideMerge(layer(config)))
