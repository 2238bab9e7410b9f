/**
 * The initiator's peer-sharing client side: while the known set is under its target, each warm peer
 * that negotiated peer-sharing (as we did) is asked for peers, one request at a time and again every
 * interval; the addresses it shares join the known set as discovered peers, then the governor runs.
 *
 * @internal
 */
import type { PeerId } from "../../Primitives.ts"
import * as PeerSharing from "../../protocol/PeerSharing.ts"
import { peerOfAddress } from "../internal/peerSelection.ts"
import { type Connection, ignore, type InitiatorContext, still, type SubBehavior } from "./context.ts"
import type { PeerGovernor } from "./governor.ts"

/** The peer-sharing answer the client side reads. */
type Answer = Extract<PeerSharing.Message, { readonly _tag: "MsgSharePeers" }>

/** One peer's peer-sharing state. */
interface PeerSharingState {
  /** A request is out. */
  pending: boolean
  /** Not asked again before this (ms). */
  nextAt: number
}

/** The peer-sharing client side. */
export type PeerSharingBehavior = SubBehavior<Answer>

/** Makes the peer-sharing client side. */
export const make = (ctx: InitiatorContext, governor: Pick<PeerGovernor, "govern">): PeerSharingBehavior => {
  const s = ctx.settings
  const states = new Map<PeerId, PeerSharingState>()
  /** Whether we asked for peer-sharing in our own version data. */
  const weShare = (s.table.values().next().value?.peerSharing ?? 0) !== 0

  /** Asks the peer for as many peers as the known set lacks, when it is time and both sides share. */
  const ask = (conn: Connection, t: number) => {
    const st = states.get(conn.peer)
    if (st === undefined || conn.handshake !== "accepted" || st.pending || t < st.nextAt) return
    if ((conn.versionData?.peerSharing ?? 0) === 0 || !weShare) return
    const deficit = s.targets.known - ctx.peers.counts(t).known
    if (deficit <= 0) return
    st.pending = true
    st.nextAt = t + s.shareInterval
    ctx.send(conn.peer, PeerSharing.make.shareRequest(Math.min(s.shareAmount, deficit)))
  }

  return {
    ...still,
    protocol: "peer-sharing",
    isAnswer: (m): m is Answer => m.protocol === "peer-sharing" && m._tag === "MsgSharePeers",
    connected: (conn) => {
      states.set(conn.peer, { pending: false, nextAt: conn.connectedAt })
    },
    established: ask,
    tick: ask,
    disconnected: (conn) => {
      states.delete(conn.peer)
    },
    onMessage: (conn, m) => {
      const st = states.get(conn.peer)
      if (st !== undefined) st.pending = false
      const t = ctx.now()
      for (const address of m.peers) {
        const peer = peerOfAddress(address)
        if (ctx.peers.add(peer, "discovered", t)) ctx.emit({ _tag: "PeerDiscovered", peer, via: conn.peer })
      }
      governor.govern()
    },
    onSent: ignore,
    onCommand: ignore,
    view: () => undefined
  }
}
