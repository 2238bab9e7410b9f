/**
 * Tx-submission2 (node-to-node, mini-protocol 4): after the client's MsgInit, the server pulls
 * transaction ids and transactions from the client. The id, id-and-size and tx lists are
 * indefinite-length on the wire, as the reference codec writes and requires.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { EraTx, EraTxId, EraTxIdSchema, EraTxSchema } from "./Common.ts"
import * as C from "./internal/codec.ts"
import * as M from "./internal/messages.ts"

/**
 * A transaction id with its size in bytes.
 *
 * @category schemas
 * @since 0.1.0
 */
export const TxIdAndSizeSchema = Schema.Struct({ txId: EraTxIdSchema, size: Schema.Number })

const txIdAndSize = {
  toCbor: (t: typeof TxIdAndSizeSchema.Type): Cbor.Value => [EraTxId.toCbor(t.txId), t.size],
  fromCbor: (e: Cbor.Value): typeof TxIdAndSizeSchema.Type => {
    const pair = C.arrayOf(e, 2, "txIdAndSize")
    return { txId: EraTxId.fromCbor(pair[0]!), size: C.uint(pair[1]!, "size", 0xffffffff) }
  }
}

const txSubmission2 = M.protocol({
  name: "tx-submission2",
  channel: 4,
  // 1.1 x maxUnacked (10) x (44 + 65 540)
  ingressLimit: 721_424,
  maxInFlight: 1,
  messages: [
    M.msg(6, "MsgInit", "init", []),
    M.msg(0, "MsgRequestTxIds", "requestTxIds", [
      ["blocking", M.F.bool("blocking")],
      ["ack", M.F.uint("ack", 0xffff)],
      ["req", M.F.uint("req", 0xffff)]
    ]),
    M.msg(1, "MsgReplyTxIds", "replyTxIds", [[
      "txIds",
      M.withJson(
        M.F.indefiniteList(TxIdAndSizeSchema, "txIdsAndSizes", txIdAndSize, (t) => [EraTxId.toJson(t.txId), t.size]),
        "txIdsAndSizes"
      )
    ]]),
    M.msg(2, "MsgRequestTxs", "requestTxs", [["txIds", M.F.indefiniteList(EraTxIdSchema, "txIdList", EraTxId, EraTxId.toJson)]]),
    M.msg(3, "MsgReplyTxs", "replyTxs", [["txs", M.F.indefiniteList(EraTxSchema, "txList", EraTx, EraTx.toJson)]]),
    M.msg(4, "MsgDone", "done", [])
  ],
  // the spec's limits: 5 760 bytes in Init and Idle, 2.5 MB for the replies
  initialState: "Init",
  states: {
    Init: { agency: "client", byteLimit: 5_760 },
    Idle: { agency: "server", byteLimit: 5_760 },
    TxIdsBlocking: { agency: "client", byteLimit: 2_500_000 },
    TxIdsNonBlocking: { agency: "client", byteLimit: 2_500_000, timeout: 10_000 },
    Txs: { agency: "client", byteLimit: 2_500_000, timeout: 10_000 },
    Done: "nobody"
  },
  transitions: {
    Init: { MsgInit: "Idle" },
    Idle: { MsgRequestTxIds: (m) => (m.blocking ? "TxIdsBlocking" : "TxIdsNonBlocking"), MsgRequestTxs: "Txs" },
    TxIdsBlocking: { MsgReplyTxIds: "Idle", MsgDone: "Done" },
    TxIdsNonBlocking: { MsgReplyTxIds: "Idle" },
    Txs: { MsgReplyTxs: "Idle" }
  }
})

/**
 * The tx-submission2 messages, a Schema each:
 * - `MsgInit`, client (the side that has transactions): opens the protocol; from then on the server
 *   asks. `[6]`.
 * - `MsgRequestTxIds`, server: acknowledges `ack` ids and asks for up to `req` new ones; a blocking
 *   request waits for at least one. `[0, blocking, ack, req]`.
 * - `MsgReplyTxIds`, client: transaction ids with their sizes in bytes. `[1, [_ *[txId, size]]]`.
 * - `MsgRequestTxs`, server: asks for the transactions of these ids. `[2, [_ *txId]]`.
 * - `MsgReplyTxs`, client: the transactions asked for. `[3, [_ *tx]]`.
 * - `MsgDone`, client: ends the protocol, in answer to a blocking request. `[4]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgInit, MsgRequestTxIds, MsgReplyTxIds, MsgRequestTxs, MsgReplyTxs, MsgDone } = txSubmission2.schemas

/**
 * The tx-submission2 protocol (channel 4; the spec's limits: 5 760 bytes in Init/Idle, 2.5 MB for
 * replies) and its messages: `MessageSchema` (every message), `make` (their constructors), `codec`
 * (the exact CBOR codec) and `toJson` (the JSON form the CLI prints).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = txSubmission2

/**
 * A tx-submission2 message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
