/**
 * The responder's chain-sync server side. In `auto` mode it answers intersections and next-header
 * requests from the ChainSource (a RollBackward to the intersection first, AwaitReply at the tip)
 * and wakes the peers waiting at the tip when the chain changes; in `manual` mode it emits
 * `IntersectionRequested` / `NextHeaderRequested` and checks the `Provide*` answers against what the
 * peer waits for.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ChainSourceError, ChainSourceShape, ChainStep } from "../../chain/ChainSource.ts"
import type { PeerId } from "../../Primitives.ts"
import * as ChainSync from "../../protocol/ChainSync.ts"
import { Point, type Tip, type WrappedHeader } from "../../protocol/Common.ts"
import type { ResponderCommand } from "../Responder.ts"
import { type Connection, ignoreSent, type ResponderContext, type SubBehavior } from "./context.ts"

/** The chain-sync requests the server side reads. */
type Request = Extract<ChainSync.Message, { readonly _tag: "MsgFindIntersect" | "MsgRequestNext" | "MsgDone" }>

/** The commands that answer chain-sync requests in `manual` mode. */
type Command = Extract<ResponderCommand, { readonly _tag: "ProvideIntersection" | "ProvideHeader" | "ProvideRollback" | "ProvideAwait" }>

/** What the peer snapshot shows of chain-sync: the last point sent and whether the peer waits at our tip. */
export interface ChainSyncView {
  readonly cursor: Point
  readonly awaiting: boolean
}

/** One peer's chain-sync state. */
interface ChainSyncState {
  readonly conn: Connection
  /** The last point sent to the peer. */
  cursor: Point
  /** The RollBackward owed before the next header (after an intersection); `tip` unknown in `auto` mode. */
  rollbackFirst: { readonly point: Point; readonly tip: Tip | undefined } | undefined
  /** `auto` mode: the peer waits at our tip (after MsgAwaitReply). */
  awaiting: boolean
  /** `manual` mode: the request the application has to answer. */
  pending: "intersect" | "next" | "await" | undefined
  /** Headers sent since the peer last reached our tip. */
  headersSinceTip: number
}

/** The chain-sync server side. */
export type ChainSyncBehavior = SubBehavior<Request, Command, ChainSyncView>

/** Makes the chain-sync server side; in `auto` mode it follows the chain's changes in the current scope. */
export const make = Effect.fnUntraced(function*(
  ctx: ResponderContext
): Effect.fn.Return<ChainSyncBehavior, never, Scope.Scope> {
  const auto = ctx.settings.mode === "auto"
  const states = new Map<PeerId, ChainSyncState>()
  const fromOrigin = () => (auto ? { point: Point.origin, tip: undefined } : undefined)

  /** Sends a header and moves the cursor to it. */
  const rollForward = (st: ChainSyncState, header: WrappedHeader, point: Point, tip: Tip) => {
    st.cursor = point
    st.conn.served.headers++
    st.headersSinceTip++
    ctx.send(st.conn, ChainSync.make.rollForward(header, tip))
  }
  /** Sends a rollback and moves the cursor to its point. */
  const rollBackward = (st: ChainSyncState, point: Point, tip: Tip) => {
    st.cursor = point
    ctx.send(st.conn, ChainSync.make.rollBackward(point, tip))
  }

  /** Answers a step of the chain source. */
  const answer = (st: ChainSyncState, step: ChainStep): void => {
    switch (step._tag) {
      case "RollForward":
        return rollForward(st, step.header, step.point, step.tip)
      case "RollBackward":
        return rollBackward(st, step.point, step.tip)
      case "AtTip": {
        st.awaiting = true
        ctx.send(st.conn, ChainSync.make.awaitReply())
        ctx.emit({ _tag: "TipReached", peer: st.conn.peer, tip: step.tip, headers: st.headersSinceTip })
        st.headersSinceTip = 0
        return
      }
    }
  }

  // the answer to each RequestNext (one at a time, it is a round trip's work): a map, no generator
  const serveNext = (st: ChainSyncState, chain: ChainSourceShape): Effect.Effect<void, ChainSourceError> => {
    if (st.rollbackFirst !== undefined) {
      const { point } = st.rollbackFirst
      st.rollbackFirst = undefined
      return Effect.map(chain.tip, (tip) => rollBackward(st, point, tip))
    }
    return Effect.map(chain.next(st.cursor), (step) => answer(st, step))
  }

  /** Wakes the peers waiting at the tip after the chain changed. */
  const wakeAwaiting = Effect.fnUntraced(function*(chain: ChainSourceShape) {
    for (const st of states.values()) {
      if (!st.awaiting || st.conn.closing !== undefined) continue
      const step = yield* chain.next(st.cursor).pipe(
        Effect.catchTag("ChainSourceError", (e) => Effect.as(ctx.chainFailed(st.conn, e), undefined))
      )
      if (step === undefined || step._tag === "AtTip") continue
      st.awaiting = false
      if (step._tag === "RollForward") rollForward(st, step.header, step.point, step.tip)
      else rollBackward(st, step.point, step.tip)
    }
  })

  const onRequest = Effect.fnUntraced(function*(conn: Connection, m: Request) {
    const st = states.get(conn.peer)
    if (st === undefined) return
    const chain = ctx.source
    switch (m._tag) {
      case "MsgFindIntersect": {
        if (chain === undefined) {
          st.pending = "intersect"
          ctx.emit({ _tag: "IntersectionRequested", peer: st.conn.peer, points: m.points })
          return
        }
        const found = yield* chain.intersect(m.points)
        const tip = found?.tip ?? (yield* chain.tip)
        if (found === undefined) {
          ctx.send(st.conn, ChainSync.make.intersectNotFound(tip))
        } else {
          st.cursor = found.point
          st.rollbackFirst = { point: found.point, tip: undefined }
          st.awaiting = false
          ctx.send(st.conn, ChainSync.make.intersectFound(found.point, found.tip))
        }
        ctx.emit({ _tag: "IntersectionServed", peer: st.conn.peer, points: m.points, found: found?.point, tip })
        return
      }
      case "MsgRequestNext": {
        if (chain !== undefined) return yield* serveNext(st, chain)
        if (st.rollbackFirst !== undefined && st.rollbackFirst.tip !== undefined) {
          const { point, tip } = st.rollbackFirst
          st.rollbackFirst = undefined
          return rollBackward(st, point, tip)
        }
        st.pending = "next"
        ctx.emit({ _tag: "NextHeaderRequested", peer: st.conn.peer })
        return
      }
      case "MsgDone": {
        st.awaiting = false
        st.pending = undefined
        st.cursor = Point.origin
        st.rollbackFirst = fromOrigin()
        return
      }
    }
  })

  const onCommand = (st: ChainSyncState, command: Command) => {
    switch (command._tag) {
      case "ProvideIntersection": {
        if (st.pending !== "intersect") return ctx.rejected(command, "the peer did not ask for an intersection")
        st.pending = undefined
        if (command.point === undefined) return ctx.send(st.conn, ChainSync.make.intersectNotFound(command.tip))
        st.cursor = command.point
        st.rollbackFirst = { point: command.point, tip: command.tip }
        return ctx.send(st.conn, ChainSync.make.intersectFound(command.point, command.tip))
      }
      case "ProvideHeader":
      case "ProvideRollback": {
        if (st.pending !== "next" && st.pending !== "await") {
          return ctx.rejected(command, "the peer did not ask for the next header")
        }
        st.pending = undefined
        if (command._tag === "ProvideRollback") return rollBackward(st, command.point, command.tip)
        st.conn.served.headers++
        return ctx.send(st.conn, ChainSync.make.rollForward(command.header, command.tip))
      }
      case "ProvideAwait": {
        if (st.pending !== "next") return ctx.rejected(command, "the peer is not waiting for a next header")
        st.pending = "await"
        return ctx.send(st.conn, ChainSync.make.awaitReply())
      }
    }
  }

  if (ctx.source !== undefined) {
    const chain = ctx.source
    yield* chain.changes.pipe(
      Stream.runForEach(() => ctx.locked(wakeAwaiting(chain))),
      Effect.forkScoped
    )
  }

  return {
    protocol: "chain-sync",
    isRequest: (m): m is Request =>
      m.protocol === "chain-sync" &&
      (m._tag === "MsgFindIntersect" || m._tag === "MsgRequestNext" || m._tag === "MsgDone"),
    connected: (conn) =>
      Effect.sync(() => {
        states.set(conn.peer, {
          conn,
          cursor: Point.origin,
          rollbackFirst: fromOrigin(),
          awaiting: false,
          pending: undefined,
          headersSinceTip: 0
        })
      }),
    disconnected: (conn) => Effect.sync(() => states.delete(conn.peer)),
    onMessage: (conn, message) => {
      const st = message._tag === "MsgRequestNext" && ctx.source !== undefined ? states.get(conn.peer) : undefined
      const served = st !== undefined ? serveNext(st, ctx.source!) : onRequest(conn, message)
      return Effect.catchTag(served, "ChainSourceError", (e) => ctx.chainFailed(conn, e))
    },
    onSent: ignoreSent,
    onCommand: (conn, command) =>
      Effect.sync(() => {
        const st = states.get(conn.peer)
        if (st !== undefined) onCommand(st, command)
      }),
    view: (conn) => {
      const st = states.get(conn.peer)
      return {
        cursor: st?.cursor ?? Point.origin,
        awaiting: st !== undefined && (st.awaiting || st.pending === "await")
      }
    }
  }
})
