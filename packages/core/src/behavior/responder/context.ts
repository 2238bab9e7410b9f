/**
 * What the responder's sub-behaviors share: the settings, one record per connection, the outputs
 * (commands to the interface, events to the application), the lock, the fibers, bans and closing a
 * peer; and {@link SubBehavior}, the one shape every mini-protocol's server side has.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import type * as Stream from "effect/Stream"
import type { BehaviorOutput, Outbox } from "../../Behavior.ts"
import type { ChainSourceError, ChainSourceShape } from "../../chain/ChainSource.ts"
import { type Direction, InterfaceCommand } from "../../Interface.ts"
import type { AnyNodeToNodeMessage } from "../../protocol/NodeToNode.ts"
import * as OutboundQueue from "../../OutboundQueue.ts"
import { NetworkMagic, PeerId } from "../../Primitives.ts"
import { ProtocolViolation } from "../../ProtocolError.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import type { ResponderCommand, ResponderConfig, ResponderEvent, ResponderPeerState, ServedStats } from "../Responder.ts"
import { AdmissionControl } from "../internal/admission.ts"

/** The responder's configuration with every default filled in. */
export interface Settings {
  readonly mode: "auto" | "manual"
  readonly networkMagic: number
  readonly versions: ReadonlyArray<number>
  readonly initiatorOnly: boolean
  readonly peerSharing: boolean
  readonly sharedPeers: ReadonlyArray<PeerId>
  readonly maxSharedPeers: number
  readonly blockFetchWindow: number
  readonly blockFetchWindowBytes: number
  readonly maxUnacked: number
  readonly maxRequestBytes: number
  readonly hardLimit: number
  readonly softLimit: number
  readonly perIpLimit: number
  readonly idleTimeout: Duration.Duration
  readonly banDuration: Duration.Duration
}

/** Fills in the defaults of a {@link ResponderConfig}. */
export const settingsOf = (config: ResponderConfig): Settings => ({
  mode: config.mode ?? "auto",
  networkMagic: config.networkMagic ?? NetworkMagic.mainnet,
  versions: config.versions ?? Handshake.N2N_ACCEPTED_VERSIONS,
  initiatorOnly: config.initiatorOnly ?? false,
  peerSharing: config.peerSharing ?? true,
  sharedPeers: config.sharedPeers ?? [],
  maxSharedPeers: config.maxSharedPeers ?? 10,
  blockFetchWindow: Math.max(1, config.blockFetchWindow ?? 512),
  blockFetchWindowBytes: Math.max(1, config.blockFetchWindowBytes ?? 524_288),
  maxUnacked: config.txSubmission?.maxUnacked ?? 10,
  maxRequestBytes: config.txSubmission?.maxRequestBytes ?? 131_072,
  hardLimit: config.limits?.hardLimit ?? 512,
  softLimit: config.limits?.softLimit ?? 384,
  perIpLimit: config.limits?.perIpLimit ?? 10,
  idleTimeout: Duration.fromInputUnsafe(config.limits?.idleTimeout ?? "5 seconds"),
  banDuration: Duration.fromInputUnsafe(config.limits?.banDuration ?? "15 minutes")
})

/**
 * What every sub-behavior may read of one connection. The composition makes it; the handshake
 * writes the negotiated fields (the limits write `rejected`); chain-sync, block-fetch and
 * tx-submission count what was served.
 */
export interface Connection {
  readonly peer: PeerId
  readonly direction: Direction
  /** When the connection came up (ms, from the Clock). */
  readonly connectedAt: number
  handshake: ResponderPeerState["handshake"]
  version: number | undefined
  versionData: Handshake.VersionData | undefined
  /** Why we asked to close it, if we did. */
  closing: string | undefined
  /** The interface's error on it, the reason reported when it closes. */
  error: string | undefined
  readonly served: { -readonly [K in keyof ServedStats]: ServedStats[K] }
}

/** A new connection's record: an inbound one waits for a proposal, a dialled one is the initiator's. */
export const newConnection = (peer: PeerId, direction: Direction, now: number): Connection => ({
  peer,
  direction,
  connectedAt: now,
  handshake: direction === "inbound" ? "pending" : "remote",
  version: undefined,
  versionData: undefined,
  closing: undefined,
  error: undefined,
  served: { headers: 0, blocks: 0, blockBytes: 0, txs: 0 }
})

/** What the responder's parts share; made once per responder by {@link makeContext}. */
export interface ResponderContext {
  readonly settings: Settings
  /** The chain answered from in `auto` mode; `undefined` in `manual` mode. */
  readonly source: ChainSourceShape | undefined
  /** Every connection, in the order they came up (written by the composition only). */
  readonly connections: Map<PeerId, Connection>
  /** Per-peer background work (`<peer>/idle`, `<peer>/block-fetch`). */
  readonly fibers: FiberMap.FiberMap<string>
  /** Limits and bans by IP. */
  readonly admission: AdmissionControl
  /** Everything the responder emits, in order. */
  readonly outputs: Stream.Stream<BehaviorOutput<ResponderEvent, AnyNodeToNodeMessage>>
  /** The same outputs as a buffer the Manager empties after each event (see `Behavior.outbox`). */
  readonly outbox: Outbox<ResponderEvent, AnyNodeToNodeMessage>
  /** Runs `effect` holding the responder's one lock (every handler runs under it). */
  readonly locked: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Queues a message to the peer. */
  readonly send: (conn: Connection, message: AnyNodeToNodeMessage) => void
  /** Queues messages to the peer, in order, as one command (a run of blocks). */
  readonly sendMany: (conn: Connection, messages: ReadonlyArray<AnyNodeToNodeMessage>) => void
  /** Queues an event for the application. */
  readonly emit: (event: ResponderEvent) => void
  /** Asks the interface to close the connection (once; the first reason is kept). */
  readonly close: (conn: Connection, reason: string) => void
  /** Reports a command that does not fit what the peer waits for. */
  readonly rejected: (command: ResponderCommand, reason: string) => void
  /** Bans the peer's IP for the ban duration. */
  readonly ban: (peer: PeerId, reason: string) => Effect.Effect<void>
  /** A rule broken that the protocol driver cannot see: reported, banned, closed. */
  readonly violate: (conn: Connection, protocol: string, state: string, detail: string) => Effect.Effect<void>
  /** The chain source failed while serving `conn`: that peer alone is closed, the reason logged. */
  readonly chainFailed: (conn: Connection, error: ChainSourceError) => Effect.Effect<void>
}

/** Makes the shared parts of a responder in the current scope. */
export const makeContext = Effect.fnUntraced(function*(
  settings: Settings,
  source: ChainSourceShape | undefined
): Effect.fn.Return<ResponderContext, never, Scope.Scope> {
  const outbound = yield* OutboundQueue.make<ResponderEvent, AnyNodeToNodeMessage>()
  const lock = yield* Semaphore.make(1)
  const fibers = yield* FiberMap.make<string>()
  const admission = new AdmissionControl({
    hardLimit: settings.hardLimit,
    softLimit: settings.softLimit,
    perIpLimit: settings.perIpLimit,
    banDuration: Duration.toMillis(settings.banDuration)
  })
  const emit = (event: ResponderEvent) => outbound.event(event)
  const close = (conn: Connection, reason: string) => {
    if (conn.closing !== undefined) return
    conn.closing = reason
    outbound.command(InterfaceCommand.Disconnect(conn.peer, reason))
  }
  const ban = Effect.fnUntraced(function*(peer: PeerId, reason: string) {
    const now = yield* Clock.currentTimeMillis
    admission.ban(peer, now, reason)
    emit({ _tag: "PeerBanned", peer, ip: PeerId.host(peer), reason, until: now + Duration.toMillis(settings.banDuration) })
  })
  return {
    settings,
    source,
    connections: new Map(),
    fibers,
    admission,
    outputs: outbound.stream,
    outbox: outbound,
    locked: (effect) => Semaphore.withPermit(lock, effect),
    send: (conn, message) => outbound.command(InterfaceCommand.Send(conn.peer, message)),
    sendMany: (conn, messages) => {
      if (messages.length === 1) outbound.command(InterfaceCommand.Send(conn.peer, messages[0]!))
      else if (messages.length > 1) outbound.command(InterfaceCommand.SendMany(conn.peer, messages))
    },
    emit,
    close,
    rejected: (command, reason) => emit({ _tag: "CommandRejected", command, reason }),
    ban,
    violate: Effect.fnUntraced(function*(conn: Connection, protocol: string, state: string, detail: string) {
      const error = new ProtocolViolation({ protocol, state, kind: "UnexpectedMessage", detail })
      emit({ _tag: "ProtocolViolation", peer: conn.peer, error })
      yield* ban(conn.peer, error.message)
      close(conn, `protocol violation: ${error.message}`)
    }),
    chainFailed: Effect.fnUntraced(function*(conn: Connection, error: ChainSourceError) {
      if (conn.closing !== undefined) return
      const reason = `chain source failed: ${error.message}`
      yield* Effect.logWarning(`${conn.peer} closed: ${reason}`)
      close(conn, reason)
    })
  }
})

/** What every part of the responder does as connections come and go (made and dropped in one order). */
export interface Lifecycle {
  /** A connection came up: make this part's state for it. */
  readonly connected: (conn: Connection) => Effect.Effect<void>
  /** A connection is gone: drop its state and stop its work. */
  readonly disconnected: (conn: Connection) => Effect.Effect<void>
}

/**
 * The one shape of a mini-protocol's server side. It keeps its per-peer state itself (made on
 * `connected` or on the peer's first request, dropped on `disconnected`), reacts to the peer's
 * requests and to the application's commands, and sends and emits through the
 * {@link ResponderContext} it was made with. Every handler runs under the responder's lock.
 *
 * - `Request`: the messages its server side reads (the protocol's others answer our own initiator
 *   on a connection that carries both roles).
 * - `Command`: the application commands it answers; `View`: what the peer snapshot shows of it.
 */
export interface SubBehavior<Request extends AnyNodeToNodeMessage, Command = never, View = undefined> extends Lifecycle {
  /** The mini-protocol it serves: the composition routes that protocol's messages to it. */
  readonly protocol: Request["protocol"]
  /** Whether a received message is one this side reads. */
  readonly isRequest: (message: AnyNodeToNodeMessage) => message is Request
  /** A request from the peer. */
  readonly onMessage: (conn: Connection, message: Request) => Effect.Effect<void>
  /** This protocol's messages of one write were written to the peer (in order). */
  readonly onSent: (conn: Connection, messages: ReadonlyArray<AnyNodeToNodeMessage>) => void
  /** A command of the application's for this protocol. */
  readonly onCommand: (conn: Connection, command: Command) => Effect.Effect<void>
  /** What the peer snapshot shows of this protocol's state. */
  readonly view: (conn: Connection) => View
}

/** A handler with nothing to do. */
export const nothing = (): Effect.Effect<void> => Effect.void

/** An `onSent` with nothing to do. */
export const ignoreSent = (): void => {}
