/**
 * The initiator's peer governor: it keeps the peer set at its targets (dials cold peers, promotes
 * warm ones, demotes and drops the spare), moves a peer between temperatures and tells every part of
 * it, churns the worst peer now and then, gives up on dials that never come up, and carries out the
 * application's peer commands. Connection-level, not a mini-protocol: it reaches the mini-protocols'
 * client sides only through their {@link Lifecycle} steps.
 *
 * @internal
 */
import type { PeerId } from "../../Primitives.ts"
import type { ConnectionError } from "../../ProtocolError.ts"
import type { InitiatorCommand } from "../Initiator.ts"
import type { GovernorAction } from "../internal/initiator-peers.ts"
import { type Connection, endedInFailure, type InitiatorContext, type Lifecycle } from "./context.ts"

/** The application commands the governor carries out. */
export type GovernorCommand = Extract<InitiatorCommand, { readonly _tag: "IncludePeer" | "BanPeer" | "DemotePeer" }>

/** The peer governor. */
export interface PeerGovernor {
  /** A pass: acts on the targets now, then tells the parts. */
  readonly govern: () => void
  /** Hot to warm, not promoted again for `hold` ms. */
  readonly demote: (peer: PeerId, reason: string, hold: number) => void
  /** The handshake was accepted: cold to warm, the warm protocols start, then a pass. */
  readonly established: (conn: Connection) => void
  /** A dial came up: whether we still want it (a connection not wanted is closed). */
  readonly dialled: (peer: PeerId) => boolean
  /** The interface reported an error: a violation bans, a dial that failed counts as a failure. */
  readonly failed: (peer: PeerId, conn: Connection | undefined, error: ConnectionError) => void
  /** The connection (or dial) is gone and the parts dropped its state: back to cold, then a pass. */
  readonly closed: (peer: PeerId, conn: Connection | undefined) => void
  /** The housekeeping timer: dials that never came up are given up, then a pass. */
  readonly tick: (now: number) => void
  /** The churn timer: the worst hot and warm peers make room, then a pass. */
  readonly churn: () => void
  /** An application command on a peer. */
  readonly onCommand: (command: GovernorCommand) => void
}

/** Errors that get the peer banned; the rest (transport failures, a peer too slow to answer) are failures. */
const isViolation = (e: ConnectionError): boolean =>
  (e._tag === "ProtocolViolation" && e.kind !== "Timeout") || (e._tag === "MuxError" && e.reason !== "SegmentTimeout")

/**
 * Makes the peer governor. `parts` gives the mini-protocols' client sides in the order each step
 * reaches them (read when a step happens, so the composition may make them after the governor).
 */
export const make = (ctx: InitiatorContext, parts: () => ReadonlyArray<Lifecycle>): PeerGovernor => {
  const s = ctx.settings
  const peers = ctx.peers

  const promote = (peer: PeerId) => {
    const conn = ctx.connections.get(peer)
    if (conn === undefined || conn.handshake !== "accepted" || conn.closing !== undefined) return
    peers.promote(peer)
    ctx.emit({ _tag: "PeerPromoted", peer, from: "warm", to: "hot" })
    for (const part of parts()) part.promoted(conn)
  }

  const demote = (peer: PeerId, reason: string, hold: number) => {
    const conn = ctx.connections.get(peer)
    peers.demote(peer, ctx.now(), hold)
    ctx.emit({ _tag: "PeerDemoted", peer, from: "hot", to: "warm", reason })
    if (conn !== undefined) for (const part of parts()) part.demoted(conn)
  }

  const apply = (actions: ReadonlyArray<GovernorAction>) => {
    for (const a of actions) {
      switch (a._tag) {
        case "Connect":
          peers.connecting(a.peer, ctx.now())
          ctx.dial(a.peer)
          break
        case "Promote":
          promote(a.peer)
          break
        case "Demote":
          demote(a.peer, a.reason, a.reason === "churn" ? s.demotionHold : 0)
          break
        case "Disconnect": {
          const r = peers.get(a.peer)
          if (r !== undefined && a.reason === "churn") r.holdUntil = ctx.now() + s.demotionHold
          ctx.close(a.peer, a.reason, false)
          break
        }
        case "Forget":
          peers.forget(a.peer)
          break
      }
    }
  }

  const govern = () => {
    apply(peers.govern(ctx.now()))
    for (const part of parts()) part.governed()
  }

  /** A dial that never came up is gone: a failure, then a pass. */
  const dialFailed = (peer: PeerId, reason: string) => {
    if (peers.get(peer)?.phase !== "connecting") return
    ctx.disconnected(peer, reason, true)
    govern()
  }

  return {
    govern,
    demote,
    established: (conn) => {
      const t = ctx.now()
      peers.established(conn.peer, t)
      ctx.emit({ _tag: "PeerPromoted", peer: conn.peer, from: "cold", to: "warm" })
      for (const part of parts()) part.established(conn, t)
      govern()
    },
    dialled: (peer) => {
      const r = peers.get(peer)
      if (r === undefined || r.phase !== "connecting" || r.temperature === "banned") {
        ctx.hangUp(peer, "not wanted any more")
        return false
      }
      peers.handshaking(peer, ctx.now())
      return true
    },
    failed: (peer, conn, error) => {
      if (isViolation(error)) ctx.ban(peer, error.message)
      else if (conn === undefined) dialFailed(peer, error.message)
    },
    closed: (peer, conn) => {
      if (conn === undefined) return dialFailed(peer, "the connection failed")
      const reason = conn.closing?.reason ?? conn.error?.message ?? "the peer closed the connection"
      ctx.disconnected(peer, reason, endedInFailure(conn))
      if (s.query && conn.handshake === "finished") peers.forget(peer)
      govern()
    },
    tick: (t) => {
      for (const r of peers.all()) {
        if (r.phase === "connecting" && t - r.phaseSince >= s.connectTimeout && !ctx.connections.has(r.peer)) {
          ctx.hangUp(r.peer, "connect: no answer in time")
          ctx.disconnected(r.peer, "connect: no answer in time", true)
        }
      }
      govern()
    },
    churn: () => {
      apply(peers.churn(ctx.now()))
      govern()
    },
    onCommand: (command) => {
      const t = ctx.now()
      switch (command._tag) {
        case "IncludePeer":
          peers.add(command.peer, "included", t)
          govern()
          return
        case "BanPeer":
          peers.add(command.peer, "included", t)
          ctx.ban(command.peer, command.reason ?? "banned by the application")
          return
        case "DemotePeer": {
          const r = peers.get(command.peer)
          if (r === undefined) return
          if (r.temperature === "hot") demote(command.peer, "demoted by the application", s.demotionHold)
          else if (r.temperature === "warm" || r.phase !== "idle") {
            r.holdUntil = t + s.demotionHold
            ctx.close(command.peer, "demoted by the application", false)
            r.retryAt = Math.max(r.retryAt, t + s.demotionHold)
          }
          govern()
          return
        }
      }
    }
  }
}
