/**
 * The responder's tx-submission2 server side (the side that pulls transactions): after the client's
 * MsgInit it asks for tx ids and transactions within the window rules of {@link TxWindow}, emits
 * `TxReceived` for each transaction, and treats a reply that breaks those rules as a violation. Ids
 * seen from any peer are fetched once.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { PeerId } from "../../Primitives.ts"
import * as TxSubmission2 from "../../protocol/TxSubmission2.ts"
import { SeenTxs, type TxAction, TxWindow } from "../internal/txWindow.ts"
import { type Connection, ignoreSent, nothing, type ResponderContext, type SubBehavior } from "./context.ts"

/** The tx-submission2 messages the server side reads (the client's: that protocol's server asks). */
type Request = Extract<TxSubmission2.Message, { readonly _tag: "MsgInit" | "MsgReplyTxIds" | "MsgReplyTxs" | "MsgDone" }>

/** What the peer snapshot shows of tx-submission2: whether it started and how many ids are unacknowledged. */
export interface TxSubmissionView {
  readonly started: boolean
  readonly unacknowledged: number
}

/** The tx-submission2 server side. */
export type TxSubmissionBehavior = SubBehavior<Request, never, TxSubmissionView>

/** How many tx ids are remembered across peers. */
const SEEN_CAPACITY = 20_000

/** Makes the tx-submission2 server side. */
export const make = (ctx: ResponderContext): TxSubmissionBehavior => {
  const s = ctx.settings
  const seen = new SeenTxs(SEEN_CAPACITY)
  /** Each peer's window, from its MsgInit to its MsgDone. */
  const windows = new Map<PeerId, TxWindow>()

  const request = (conn: Connection, action: TxAction) =>
    ctx.send(
      conn,
      action._tag === "RequestTxIds"
        ? TxSubmission2.make.requestTxIds(action.blocking, action.ack, action.req)
        : TxSubmission2.make.requestTxs(action.ids)
    )

  return {
    protocol: "tx-submission2",
    isRequest: (m): m is Request =>
      m.protocol === "tx-submission2" &&
      (m._tag === "MsgInit" || m._tag === "MsgReplyTxIds" || m._tag === "MsgReplyTxs" || m._tag === "MsgDone"),
    connected: nothing,
    disconnected: (conn) => Effect.sync(() => windows.delete(conn.peer)),
    onMessage: Effect.fnUntraced(function*(conn: Connection, m: Request) {
      switch (m._tag) {
        case "MsgInit": {
          const window = new TxWindow({ maxUnacked: s.maxUnacked, maxRequestBytes: s.maxRequestBytes, seen })
          windows.set(conn.peer, window)
          return request(conn, window.start())
        }
        case "MsgReplyTxIds": {
          const window = windows.get(conn.peer)
          if (window === undefined) return yield* ctx.violate(conn, "tx-submission2", "Idle", "MsgReplyTxIds before MsgInit")
          const result = window.onReplyTxIds(m.txIds.map((t) => [t.txId, t.size] as const))
          if (result._tag === "TxViolation") return yield* ctx.violate(conn, "tx-submission2", "TxIds", result.detail)
          return request(conn, result)
        }
        case "MsgReplyTxs": {
          const window = windows.get(conn.peer)
          if (window === undefined) return yield* ctx.violate(conn, "tx-submission2", "Idle", "MsgReplyTxs before MsgInit")
          const result = window.onReplyTxs(m.txs)
          if ("_tag" in result) return yield* ctx.violate(conn, "tx-submission2", "Txs", result.detail)
          m.txs.forEach((tx, i) => {
            conn.served.txs++
            ctx.emit({ _tag: "TxReceived", peer: conn.peer, tx, txId: result.ids[i] })
          })
          return request(conn, result.action)
        }
        case "MsgDone": {
          windows.delete(conn.peer)
          return
        }
      }
    }),
    onSent: ignoreSent,
    onCommand: nothing,
    view: (conn) => {
      const window = windows.get(conn.peer)
      return { started: window !== undefined, unacknowledged: window?.unacknowledged ?? 0 }
    }
  }
}
