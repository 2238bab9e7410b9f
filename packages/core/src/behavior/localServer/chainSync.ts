/**
 * The stand-in's local chain-sync: answers intersections and next-block requests with whole blocks
 * from the ChainSource (a RollBackward to the intersection first, AwaitReply at the tip), and wakes
 * the clients waiting at the tip when the chain changes.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { PeerId } from "../../Primitives.ts"
import { Point, WrappedBlock } from "../../protocol/Common.ts"
import * as LocalChainSync from "../../protocol/LocalChainSync.ts"
import type { ChainSyncView } from "../responder/chainSync.ts"
import { type Connection, ignoreSent, requests, type ServerContext, type SubBehavior } from "./context.ts"

/** The local chain-sync requests the stand-in reads. */
type Request = Extract<LocalChainSync.Message, { readonly _tag: "MsgFindIntersect" | "MsgRequestNext" | "MsgDone" }>

/** One client's local chain-sync state. */
interface ChainSyncState {
  readonly conn: Connection
  /** The last point sent to the client. */
  cursor: Point
  /** The RollBackward owed before the next block (after an intersection, or from origin). */
  rollbackFirst: Point | undefined
  /** The client waits at our tip (after MsgAwaitReply). */
  awaiting: boolean
}

/** Local chain-sync's server side: the snapshot shows the last point sent and whether the client waits at our tip. */
export type ChainSyncServer = SubBehavior<Request, ChainSyncView>

/** Makes local chain-sync's server side; it follows the chain's changes in the current scope. */
export const make = Effect.fnUntraced(function*(ctx: ServerContext): Effect.fn.Return<ChainSyncServer, never, Scope.Scope> {
  const chain = ctx.chain
  const states = new Map<PeerId, ChainSyncState>()

  /** Sends the next answer for a client at its cursor; `false` when it must wait at the tip. */
  const step = Effect.fnUntraced(function*(st: ChainSyncState) {
    if (st.rollbackFirst !== undefined) {
      const point = st.rollbackFirst
      st.rollbackFirst = undefined
      st.cursor = point
      ctx.send(st.conn, LocalChainSync.make.rollBackward(point, yield* chain.tip))
      return true
    }
    const next = yield* chain.next(st.cursor)
    if (next._tag === "RollBackward") {
      st.cursor = next.point
      ctx.send(st.conn, LocalChainSync.make.rollBackward(next.point, next.tip))
      return true
    }
    if (next._tag === "AtTip") return false
    const bytes = yield* chain.block(next.point)
    if (bytes === undefined) return false // gone between the two reads: the change wakes us again
    st.cursor = next.point
    st.conn.served.blocks++
    ctx.send(st.conn, LocalChainSync.make.rollForward(WrappedBlock.fromBytes(bytes), next.tip))
    return true
  })

  const onRequest = Effect.fnUntraced(function*(st: ChainSyncState, m: Request) {
    switch (m._tag) {
      case "MsgFindIntersect": {
        const found = yield* chain.intersect(m.points)
        if (found === undefined) return ctx.send(st.conn, LocalChainSync.make.intersectNotFound(yield* chain.tip))
        st.cursor = found.point
        st.rollbackFirst = found.point
        return ctx.send(st.conn, LocalChainSync.make.intersectFound(found.point, found.tip))
      }
      case "MsgRequestNext": {
        if (yield* step(st)) return
        st.awaiting = true
        return ctx.send(st.conn, LocalChainSync.make.awaitReply())
      }
      case "MsgDone": {
        st.cursor = Point.origin
        st.rollbackFirst = Point.origin
        st.awaiting = false
        return
      }
    }
  })

  /** Wakes the clients waiting at the tip after the chain changed. */
  const wakeAwaiting = Effect.fnUntraced(function*() {
    for (const st of states.values()) {
      if (!st.awaiting || st.conn.closing !== undefined) continue
      const stepped = yield* step(st).pipe(Effect.catchTag("ChainSourceError", (e) => Effect.as(ctx.chainFailed(st.conn, e), false)))
      if (stepped) st.awaiting = false
    }
  })

  yield* chain.changes.pipe(Stream.runForEach(() => ctx.locked(wakeAwaiting())), Effect.forkScoped)

  return {
    protocol: "local-chain-sync",
    isRequest: requests<LocalChainSync.Message>()("local-chain-sync", ["MsgFindIntersect", "MsgRequestNext", "MsgDone"]),
    connected: (conn) =>
      Effect.sync(() => states.set(conn.peer, { conn, cursor: Point.origin, rollbackFirst: Point.origin, awaiting: false })),
    disconnected: (conn) => Effect.sync(() => states.delete(conn.peer)),
    onMessage: (conn, message) => {
      const st = states.get(conn.peer)
      return st === undefined ? Effect.void : onRequest(st, message)
    },
    onSent: ignoreSent,
    view: (conn) => {
      const st = states.get(conn.peer)
      return { cursor: st?.cursor ?? Point.origin, awaiting: st?.awaiting ?? false }
    }
  }
})
