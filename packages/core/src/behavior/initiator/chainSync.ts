/**
 * The initiator's chain-sync client side: on each hot peer it finds the intersection with the
 * application's start (the peer's tip first, for `SyncStart.tip`) and follows the peer's chain with
 * pipelined requests between the low and high marks, each header checked into the candidate chains
 * (a header that does not link, or a roll-back the peer may not make, bans it), the best tip
 * reported as it changes. A demoted peer pauses and resumes from its own head when hot again; a
 * restart waits for room in the pipeline, and the answers to earlier requests are read and dropped.
 * A peer whose chain stops making progress is demoted through the governor.
 *
 * @internal
 */
import * as Block from "../../chain/Block.ts"
import type { PeerId } from "../../Primitives.ts"
import * as ChainSync from "../../protocol/ChainSync.ts"
import { Point, type Tip } from "../../protocol/Common.ts"
import type { InitiatorCommand, SyncStart } from "../Initiator.ts"
import type { BlockFetchBehavior } from "./blockFetch.ts"
import { pointKey, recordPoint } from "./chainView.ts"
import { type Connection, ignore, type InitiatorContext, still, type SubBehavior } from "./context.ts"
import type { PeerGovernor } from "./governor.ts"

/** The chain-sync answers the client side reads. */
type Answer = Extract<
  ChainSync.Message,
  { readonly _tag: "MsgIntersectFound" | "MsgIntersectNotFound" | "MsgRollForward" | "MsgRollBackward" | "MsgAwaitReply" }
>

/** The command that starts (or restarts) chain-sync on every hot peer. */
type Command = Extract<InitiatorCommand, { readonly _tag: "StartSync" }>

/** What the peer snapshot shows of chain-sync: requests in flight, headers received, the peer's tip, our head of its chain. */
export interface ChainSyncView {
  readonly inFlight: number
  readonly headers: number
  readonly tip: Tip | undefined
  readonly head: { readonly point: Point; readonly blockNo: number } | undefined
}

/** One peer's chain-sync state. */
interface ChainSyncState {
  readonly conn: Connection
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

/** The chain-sync client side. */
export type ChainSyncBehavior = SubBehavior<Answer, Command, ChainSyncView>

/** Makes the chain-sync client side; `blockFetch` is told when new headers may let waiting blocks be fetched. */
export const make = (
  ctx: InitiatorContext,
  governor: Pick<PeerGovernor, "demote" | "govern">,
  blockFetch: Pick<BlockFetchBehavior, "schedule">
): ChainSyncBehavior => {
  const s = ctx.settings
  const chain = ctx.chain
  const states = new Map<PeerId, ChainSyncState>()
  /** Where the application asked to start; nothing syncs before its `StartSync`. */
  let sync: SyncStart | undefined

  const isHot = (peer: PeerId) => ctx.peers.get(peer)?.temperature === "hot"

  const userPoints = (): ReadonlyArray<Point> =>
    sync === undefined ? [] : sync._tag === "Origin" ? [Point.origin] : sync._tag === "Points" ? sync.points : []

  /** (Re)starts chain-sync on a hot peer from the application's start (`resume`: from our head of its chain). */
  const start = (st: ChainSyncState, resume = false) => {
    if (sync === undefined) return
    const peer = st.conn.peer
    const asking = st.phase === "probing" || st.phase === "intersecting" ? 1 : 0
    if (st.inFlight + st.stale + asking >= ChainSync.protocol.maxInFlight) {
      // no room for a FindIntersect in the pipeline yet: after the next answer
      st.restart = { resume }
      return
    }
    st.restart = undefined
    // answers to earlier requests are read and dropped
    st.stale += st.inFlight + asking
    st.inFlight = 0
    let points: ReadonlyArray<Point>
    const head = chain.head(peer)
    const fragment = chain.fragment(peer)
    if (resume && fragment !== undefined) {
      points = [...(head !== undefined ? [recordPoint(head)] : []), fragment.anchor, ...userPoints()]
    } else if (sync._tag === "Tip") {
      st.phase = "probing"
      ctx.send(peer, ChainSync.make.findIntersect([Point.origin]))
      return
    } else points = userPoints()
    st.phase = "intersecting"
    ctx.send(peer, ChainSync.make.findIntersect(points))
  }

  /** Tops the pipeline up to the high mark once it fell to the low mark. */
  const topUp = (st: ChainSyncState) => {
    if (st.phase !== "following" || st.restart !== undefined || !isHot(st.conn.peer)) return
    if (st.inFlight > s.lowMark) return
    const n = s.highMark - st.inFlight
    for (let i = 0; i < n; i++) ctx.send(st.conn.peer, ChainSync.make.requestNext())
    st.inFlight += n
  }

  const tipChanged = () => {
    const best = chain.bestTip
    if (best !== undefined) {
      ctx.emit({ _tag: "TipChanged", peer: best.peer, point: recordPoint(best.record), blockNo: best.record.blockNo })
    }
  }

  /**
   * A hot peer whose chain made no forward progress over the window (see `chainSync.noProgressWindow`)
   * goes back to warm, held there for `demotionHold`: its chain-sync pauses (only the answers already
   * asked for still come), so a peer looping roll-forward / roll-back costs at most the window's
   * messages per hold.
   */
  const stalled = (peer: PeerId, reason: string) => {
    if (!isHot(peer)) return
    governor.demote(peer, `chain-sync: ${reason}`, s.demotionHold)
    governor.govern()
  }

  const onAnswer = (st: ChainSyncState, m: Answer) => {
    const peer = st.conn.peer
    const final = m._tag !== "MsgAwaitReply"
    if (final && st.restart !== undefined) {
      const resume = st.restart.resume
      // this answer makes room: count it, then restart
      if (st.stale > 0) st.stale--
      else st.inFlight = Math.max(0, st.inFlight - 1)
      st.restart = undefined
      return start(st, resume)
    }
    if (st.stale > 0) {
      if (final) st.stale--
      return
    }
    switch (m._tag) {
      case "MsgIntersectFound": {
        if (st.phase === "probing") {
          // we asked for the origin to learn the tip: now intersect there
          st.phase = "intersecting"
          const points = m.tip.point._tag === "Origin" ? [Point.origin] : [m.tip.point, Point.origin]
          return ctx.send(peer, ChainSync.make.findIntersect(points))
        }
        const blockNo = m.point._tag === "Origin"
          ? 0
          : Point.equals(m.point, m.tip.point)
          ? m.tip.blockNo
          : chain.header(pointKey(m.point))?.blockNo
        chain.intersect(peer, m.point, blockNo)
        st.tip = m.tip
        st.phase = isHot(peer) ? "following" : "paused"
        ctx.emit({ _tag: "IntersectionFound", peer, point: m.point, tip: m.tip })
        return topUp(st)
      }
      case "MsgIntersectNotFound":
        st.tip = m.tip
        st.phase = "idle"
        return ctx.emit({ _tag: "IntersectionNotFound", peer, tip: m.tip })
      case "MsgAwaitReply":
        return
      case "MsgRollForward": {
        st.inFlight = Math.max(0, st.inFlight - 1)
        st.tip = m.tip
        let info: { slot: number; blockNo: number; prevHash: Uint8Array | undefined }
        let hash: Uint8Array
        try {
          info = Block.headerInfo(m.header)
          hash = Block.headerHash(m.header)
        } catch (e) {
          return ctx.ban(peer, `an unreadable header: ${e instanceof Error ? e.message : String(e)}`)
        }
        const r = chain.rollForward(peer, { hash, ...info })
        if (r._tag !== "Ok") return ctx.ban(peer, `chain-sync: ${r.detail}`)
        st.headers++
        ctx.peers.useful(peer)
        const point: Point = { _tag: "Specific", slot: info.slot, hash }
        ctx.emit({ _tag: "HeaderReceived", peer, header: m.header, point, blockNo: info.blockNo, prevHash: info.prevHash, tip: m.tip })
        if (r.bestChanged) tipChanged()
        if (r.stalled !== undefined) stalled(peer, r.stalled)
        topUp(st)
        return blockFetch.schedule()
      }
      case "MsgRollBackward": {
        st.inFlight = Math.max(0, st.inFlight - 1)
        st.tip = m.tip
        const r = chain.rollBackward(peer, m.point)
        if (r._tag !== "Ok") return ctx.ban(peer, `chain-sync: ${r.detail}`)
        ctx.emit({ _tag: "RolledBack", peer, point: m.point, tip: m.tip })
        if (r.bestChanged) tipChanged()
        if (r.stalled !== undefined) stalled(peer, r.stalled)
        return topUp(st)
      }
    }
  }

  return {
    ...still,
    protocol: "chain-sync",
    isAnswer: (m): m is Answer =>
      m.protocol === "chain-sync" &&
      (m._tag === "MsgIntersectFound" || m._tag === "MsgIntersectNotFound" || m._tag === "MsgRollForward" ||
        m._tag === "MsgRollBackward" || m._tag === "MsgAwaitReply"),
    connected: (conn) => {
      states.set(conn.peer, { conn, phase: "idle", inFlight: 0, stale: 0, restart: undefined, headers: 0, tip: undefined })
    },
    promoted: (conn) => {
      const st = states.get(conn.peer)
      if (st !== undefined) start(st, chain.fragment(conn.peer) !== undefined)
    },
    demoted: (conn) => {
      const st = states.get(conn.peer)
      if (st !== undefined && st.phase !== "idle") st.phase = "paused"
    },
    tick: (conn) => {
      const st = states.get(conn.peer)
      if (st !== undefined && st.phase === "paused" && isHot(conn.peer)) start(st, true)
    },
    disconnected: (conn) => {
      states.delete(conn.peer)
      if (chain.drop(conn.peer)) tipChanged()
    },
    onMessage: (conn, m) => {
      const st = states.get(conn.peer)
      if (st !== undefined) onAnswer(st, m)
    },
    onSent: ignore,
    onCommand: (command) => {
      sync = command.start
      for (const conn of ctx.connections.values()) {
        const st = states.get(conn.peer)
        if (st !== undefined && isHot(conn.peer) && conn.closing === undefined) start(st)
      }
    },
    view: (peer) => {
      const st = states.get(peer)
      const head = chain.head(peer)
      return {
        inFlight: st?.inFlight ?? 0,
        headers: st?.headers ?? 0,
        tip: st?.tip,
        head: head === undefined ? undefined : { point: recordPoint(head), blockNo: head.blockNo }
      }
    }
  }
}
