/**
 * The stand-in's local tx-submission: each submitted transaction goes through the stand-in's rules
 * (size limit, validator, mempool) and is answered with MsgAcceptTx, or MsgRejectTx with the
 * rejection's reason bytes (bytes that are not one CBOR item are sent as a CBOR byte string).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Cbor from "../../cbor/Cbor.ts"
import { EraTx } from "../../protocol/Common.ts"
import * as LocalTxSubmission from "../../protocol/LocalTxSubmission.ts"
import * as W from "../internal/local-wire.ts"
import type { TxRejection } from "../LocalServer.ts"
import { ignoreSent, nothing, requests, type ServerContext, type SubBehavior } from "./context.ts"

/** The local tx-submission request the stand-in reads. */
type Request = Extract<LocalTxSubmission.Message, { readonly _tag: "MsgSubmitTx" }>

/** Takes a submitted transaction into the mempool, or rejects it. */
export type Admit = (tx: EraTx, txId: Uint8Array) => Effect.Effect<unknown, TxRejection>

/** Local tx-submission's server side. */
export type TxSubmissionServer = SubBehavior<Request>

/** Makes local tx-submission's server side; `admit` decides each transaction. */
export const make = (ctx: ServerContext, admit: Admit): TxSubmissionServer => ({
  protocol: "local-tx-submission",
  isRequest: requests<LocalTxSubmission.Message>()("local-tx-submission", ["MsgSubmitTx"]),
  connected: nothing,
  disconnected: nothing,
  onMessage: Effect.fnUntraced(function*(conn, m) {
    const txId = EraTx.txId(m.tx).txId
    const outcome = yield* Effect.result(admit(m.tx, txId))
    if (outcome._tag === "Success") {
      conn.served.txs++
      ctx.send(conn, LocalTxSubmission.make.acceptTx())
      ctx.emit({ _tag: "TxAccepted", peer: conn.peer, txId, tx: m.tx })
      return
    }
    const reason = W.isOneItem(outcome.failure.reason) ? outcome.failure.reason : Cbor.encode(outcome.failure.reason)
    ctx.send(conn, LocalTxSubmission.make.rejectTx(reason))
    ctx.emit({ _tag: "TxRejected", peer: conn.peer, txId, reason, detail: outcome.failure.detail })
  }),
  onSent: ignoreSent,
  view: () => undefined
})
