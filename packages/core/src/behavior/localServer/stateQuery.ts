/**
 * The stand-in's local state query: acquires the ledger state at a point of the chain (or its tip)
 * and answers queries against it through the query handler. A query the handler does not answer, or
 * answers with anything but one CBOR item, closes the client with the query in the reason, as the
 * node does with a query it cannot read; so does a query with no state acquired.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Block from "../../chain/Block.ts"
import * as Cbor from "../../cbor/Cbor.ts"
import type { PeerId } from "../../Primitives.ts"
import type { Point, Tip } from "../../protocol/Common.ts"
import * as LocalStateQuery from "../../protocol/LocalStateQuery.ts"
import * as W from "../internal/local-wire.ts"
import type { AcquiredState, QueryHandler } from "../LocalServer.ts"
import { type Connection, ignoreSent, requests, type ServerContext, type SubBehavior } from "./context.ts"

/** The local state query requests the stand-in reads. */
type Request = Extract<
  LocalStateQuery.Message,
  { readonly _tag: "MsgAcquire" | "MsgReAcquire" | "MsgQuery" | "MsgRelease" | "MsgDone" }
>

/** Local state query's server side: the snapshot shows the state a client acquired. */
export type StateQueryServer = SubBehavior<Request, AcquiredState | undefined>

/** Makes local state query's server side, answering queries with `answer`. */
export const make = (ctx: ServerContext, answer: QueryHandler["Service"]["answer"]): StateQueryServer => {
  const { chain, settings } = ctx
  /** By client: the state it acquired (absent: none). */
  const acquired = new Map<PeerId, AcquiredState>()

  /** The state at a point on the chain; `undefined` when the point is not on it. */
  const stateAt = Effect.fnUntraced(function*(point: Point, tip: Tip) {
    if (point._tag === "Origin") {
      return { point, tip, blockNo: undefined, slot: 0, era: settings.originEra } satisfies AcquiredState
    }
    const bytes = yield* chain.block(point)
    if (bytes === undefined) return undefined
    try {
      const b = Block.parse(bytes)
      return { point, tip, blockNo: b.blockNo, slot: b.slot, era: b.header.era } satisfies AcquiredState
    } catch {
      return { point, tip, blockNo: undefined, slot: point.slot, era: settings.originEra } satisfies AcquiredState
    }
  })

  const onQuery = Effect.fnUntraced(function*(conn: Connection, query: Uint8Array) {
    const state = acquired.get(conn.peer)
    if (state === undefined) return ctx.close(conn, "local state query: MsgQuery with no state acquired")
    const result = yield* Effect.result(answer(query, state))
    if (result._tag === "Failure") {
      ctx.emit({ _tag: "QueryRefused", peer: conn.peer, query, detail: result.failure.detail })
      return ctx.close(conn, result.failure.message)
    }
    if (!W.isOneItem(result.success)) {
      ctx.emit({ _tag: "QueryRefused", peer: conn.peer, query, detail: "the query handler's answer is not one CBOR item" })
      return ctx.close(conn, `query not answered: the handler's answer to ${Cbor.toHex(query)} is not one CBOR item`)
    }
    conn.served.queries++
    return ctx.send(conn, LocalStateQuery.make.result(result.success))
  })

  const onRequest = Effect.fnUntraced(function*(conn: Connection, m: Request) {
    switch (m._tag) {
      case "MsgAcquire":
      case "MsgReAcquire": {
        const tip = yield* chain.tip
        const state = yield* stateAt(m.target._tag === "Point" ? m.target.point : tip.point, tip)
        if (state === undefined) {
          acquired.delete(conn.peer)
          return ctx.send(conn, LocalStateQuery.make.failure(1))
        }
        acquired.set(conn.peer, state)
        return ctx.send(conn, LocalStateQuery.make.acquired())
      }
      case "MsgQuery":
        return yield* onQuery(conn, m.query)
      case "MsgRelease":
      case "MsgDone": {
        acquired.delete(conn.peer)
        return
      }
    }
  })

  return {
    protocol: "local-state-query",
    isRequest: requests<LocalStateQuery.Message>()("local-state-query", ["MsgAcquire", "MsgReAcquire", "MsgQuery", "MsgRelease", "MsgDone"]),
    connected: () => Effect.void,
    disconnected: (conn) => Effect.sync(() => acquired.delete(conn.peer)),
    onMessage: onRequest,
    onSent: ignoreSent,
    view: (conn) => acquired.get(conn.peer)
  }
}
