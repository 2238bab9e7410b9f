/**
 * What the initiator's sub-behaviors share: the settings, the peer set, the candidate chains, one
 * record per connection, the outputs (commands to the interface, events to the application), closing
 * and banning a peer; and {@link SubBehavior}, the one shape every mini-protocol's client side has.
 *
 * The initiator has no lock: every handler is synchronous and runs inside one `Effect.sync` of the
 * composition, so a handler never sees another half done.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { BehaviorOutput, Outbox } from "../../Behavior.ts"
import { InterfaceCommand } from "../../Interface.ts"
import { initiatorProbe } from "../../internal/observability.ts"
import type { AnyNodeToNodeMessage } from "../../protocol/NodeToNode.ts"
import * as OutboundQueue from "../../OutboundQueue.ts"
import { NetworkMagic, type PeerId } from "../../Primitives.ts"
import type { ConnectionError } from "../../ProtocolError.ts"
import * as ChainSync from "../../protocol/ChainSync.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import type { InitiatorConfig, InitiatorEvent, RootPeers } from "../Initiator.ts"
import { PeerSet } from "../internal/initiator-peers.ts"
import { ChainView } from "./chainView.ts"

/** The initiator's configuration with every default filled in (durations in ms). */
export interface Settings {
  readonly table: Handshake.VersionTable
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

/** Fills in the defaults of an {@link InitiatorConfig}. */
export const settingsOf = (config: InitiatorConfig): Settings => {
  const networkMagic = config.networkMagic ?? NetworkMagic.mainnet
  const query = config.query ?? false
  const highMark = Math.max(1, Math.min(ChainSync.protocol.maxInFlight, config.chainSync?.highMark ?? 300))
  const securityParam = Math.max(1, Math.floor(config.securityParam ?? 2160))
  return {
    table: config.versionTable ?? Handshake.n2nVersionTable({
      magic: networkMagic,
      versions: [...(config.versions ?? Handshake.N2N_VERSIONS)].sort((a, b) => a - b),
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

/**
 * What every sub-behavior may read of one connection we dialled. The composition makes it when the
 * dial comes up; the handshake writes the negotiated fields; `close` writes `closing`.
 */
export interface Connection {
  readonly peer: PeerId
  /** When the connection came up (ms, from the Clock). */
  readonly connectedAt: number
  /** `proposed` (waiting for the answer), `accepted`, or `finished` (refused or queried: closing). */
  handshake: "proposed" | "accepted" | "finished"
  version: number | undefined
  versionData: Handshake.VersionData | undefined
  /** We asked to close it: the reason, and whether it counts as a failure. */
  closing: { readonly reason: string; readonly failed: boolean } | undefined
  /** The interface's error on it. */
  error: ConnectionError | undefined
}

/** A new connection's record: our proposal is on its way. */
export const newConnection = (peer: PeerId, now: number): Connection => ({
  peer,
  connectedAt: now,
  handshake: "proposed",
  version: undefined,
  versionData: undefined,
  closing: undefined,
  error: undefined
})

/** Whether a connection that is gone counts as a failure: an error, or a close we did not ask for or asked for as one. */
export const endedInFailure = (conn: Connection): boolean => conn.error !== undefined || (conn.closing?.failed ?? true)

/** What the initiator's parts share; made once per initiator by {@link makeContext}. */
export interface InitiatorContext {
  readonly settings: Settings
  /** Every known peer, its temperature and backoff (the governor decides; everyone reads). */
  readonly peers: PeerSet
  /** The candidate chains: written by chain-sync, read by block-fetch and the peer snapshot. */
  readonly chain: ChainView
  /** Every connection we dialled that came up, in the order they came up (written by the composition only). */
  readonly connections: Map<PeerId, Connection>
  /** The Clock's time (ms). */
  readonly now: () => number
  /** A number in [0, 1) from Effect's Random. */
  readonly random: () => number
  /** Everything the initiator emits, in order. */
  readonly outputs: Stream.Stream<BehaviorOutput<InitiatorEvent, AnyNodeToNodeMessage>>
  /** The same outputs as a buffer the Manager empties after each event (see `Behavior.outbox`). */
  readonly outbox: Outbox<InitiatorEvent, AnyNodeToNodeMessage>
  /** Queues a message to the peer. */
  readonly send: (peer: PeerId, message: AnyNodeToNodeMessage) => void
  /** Asks the interface to dial a peer. */
  readonly dial: (peer: PeerId) => void
  /** Asks the interface to drop a peer's connection (or dial in flight), whatever our records say. */
  readonly hangUp: (peer: PeerId, reason: string) => void
  /** Queues an event for the application (and the metrics). */
  readonly emit: (event: InitiatorEvent) => void
  /**
   * Closes the peer's connection once (the first reason is kept), `failed` saying whether it counts
   * towards the backoff; a dial still in flight is dropped at once.
   */
  readonly close: (peer: PeerId, reason: string, failed: boolean) => void
  /** Bans the peer for the ban duration and closes its connection. */
  readonly ban: (peer: PeerId, reason: string) => void
  /** The peer's connection or dial is gone: back to cold, with `PeerDemoted` or `ConnectFailed`. */
  readonly disconnected: (peer: PeerId, reason: string, failed: boolean) => void
}

/** Makes the shared parts of an initiator in the current scope. */
export const makeContext = Effect.fnUntraced(function*(
  settings: Settings,
  roots: RootPeers | (() => RootPeers) | undefined
): Effect.fn.Return<InitiatorContext, never, Scope.Scope> {
  const clock = yield* Clock.Clock
  const rng = yield* Random.Random
  const now = () => clock.currentTimeMillisUnsafe()
  const random = () => rng.nextDoubleUnsafe()
  const out = yield* OutboundQueue.make<InitiatorEvent, AnyNodeToNodeMessage>()
  const peers = new PeerSet(settings.targets, settings.backoff, typeof roots === "function" ? roots : () => roots)
  const chain = new ChainView(settings.maxHeadersPerPeer, {
    securityParam: settings.securityParam,
    noProgressWindow: settings.noProgressWindow
  })
  const connections = new Map<PeerId, Connection>()
  const probe = yield* initiatorProbe((t) => peers.at(t).length)
  const emit = (event: InitiatorEvent) => (probe.event(event), out.event(event))
  const hangUp = (peer: PeerId, reason: string) => out.command(InterfaceCommand.Disconnect(peer, reason))

  const disconnected = (peer: PeerId, reason: string, failed: boolean) => {
    const t = now()
    const record = peers.get(peer)
    const wasPhase = record?.phase
    const was = peers.disconnected(peer, t, failed, random, failed ? 0 : settings.backoff.base)
    if (was === undefined) return
    if (was === "warm" || was === "hot") {
      emit({ _tag: "PeerDemoted", peer, from: was, to: "cold", reason })
    } else if (was === "cold" && (wasPhase === "connecting" || wasPhase === "handshaking")) {
      emit({ _tag: "ConnectFailed", peer, reason, retryIn: Math.max(0, (record?.retryAt ?? t) - t) })
    }
  }

  const close = (peer: PeerId, reason: string, failed: boolean) => {
    const conn = connections.get(peer)
    if (conn === undefined) {
      if (peers.get(peer)?.phase === "connecting") {
        // no connection yet: stop waiting for it
        hangUp(peer, reason)
        disconnected(peer, reason, failed)
      }
      return
    }
    if (conn.closing !== undefined) return
    conn.closing = { reason, failed }
    hangUp(peer, reason)
  }

  const ban = (peer: PeerId, reason: string) => {
    const t = now()
    const was = peers.ban(peer, t, settings.banDuration, reason)
    if (was === undefined || was === "banned") return
    emit({ _tag: "PeerBanned", peer, reason, until: t + settings.banDuration })
    if (connections.has(peer)) close(peer, `banned: ${reason}`, true)
    else if (peers.get(peer)?.phase === "connecting") {
      hangUp(peer, reason)
      peers.disconnected(peer, t, true, random)
    }
  }

  return {
    settings,
    peers,
    chain,
    connections,
    now,
    random,
    outputs: out.stream,
    outbox: out,
    send: (peer, message) => out.command(InterfaceCommand.Send(peer, message)),
    dial: (peer) => out.command(InterfaceCommand.Connect(peer)),
    hangUp,
    emit,
    close,
    ban,
    disconnected
  }
})

/**
 * What every part of the initiator does as a peer moves: its connection comes up, the handshake makes
 * it warm, the governor makes it hot or warm again, the housekeeping timer ticks, the connection goes.
 * The composition (and the governor, for the temperatures) calls each part in one order.
 */
export interface Lifecycle {
  /** The dial came up: make this part's state for the connection. */
  readonly connected: (conn: Connection) => void
  /** The handshake was accepted: the peer is warm (the warm protocols start). */
  readonly established: (conn: Connection, now: number) => void
  /** Warm to hot (the hot protocols start). */
  readonly promoted: (conn: Connection) => void
  /** Hot to warm (the hot protocols pause). */
  readonly demoted: (conn: Connection) => void
  /** The housekeeping timer, once per connection: this part's deadlines and retries. */
  readonly tick: (conn: Connection, now: number) => void
  /** A governor pass ended: peers may have changed temperature. */
  readonly governed: () => void
  /** The connection is gone: drop its state and hand its work to others. */
  readonly disconnected: (conn: Connection) => void
}

/** A lifecycle with nothing to do at any step: spread it, then name the steps a part reacts to. */
export const still: Lifecycle = {
  connected: () => {},
  established: () => {},
  promoted: () => {},
  demoted: () => {},
  tick: () => {},
  governed: () => {},
  disconnected: () => {}
}

/**
 * The one shape of a mini-protocol's client side (the initiator's counterpart of the responder's
 * `SubBehavior`, synchronous where the responder's handlers are effects). It keeps its per-peer state
 * itself (made on `connected`, dropped on `disconnected`), reacts to the peer's messages, to the
 * {@link Lifecycle} steps and to the application's commands, and sends and emits through the
 * {@link InitiatorContext} it was made with.
 *
 * - `Answer`: the messages its client side reads (the server's answers; in tx-submission2, the
 *   server's requests, which the client answers).
 * - `Command`: the application commands it carries out; `View`: what the peer snapshot shows of it.
 */
export interface SubBehavior<Answer extends AnyNodeToNodeMessage, Command = never, View = undefined> extends Lifecycle {
  /** The mini-protocol it runs: the composition routes that protocol's messages to it. */
  readonly protocol: Answer["protocol"]
  /** Whether a received message is one this side reads. */
  readonly isAnswer: (message: AnyNodeToNodeMessage) => message is Answer
  /** A message from the peer. */
  readonly onMessage: (conn: Connection, message: Answer) => void
  /** This protocol's messages of one write were written to the peer (in order). */
  readonly onSent: (conn: Connection, messages: ReadonlyArray<AnyNodeToNodeMessage>) => void
  /** A command of the application's for this protocol. */
  readonly onCommand: (command: Command) => void
  /** What the peer snapshot shows of this protocol's state for a peer (connected or not). */
  readonly view: (peer: PeerId) => View
}

/** An `onSent` or `onCommand` with nothing to do. */
export const ignore = (): void => {}
