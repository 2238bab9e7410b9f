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
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("tx-submission2")
const p = "tx-submission2" as const

/**
 * A transaction id with its size in bytes.
 *
 * @category schemas
 * @since 0.1.0
 */
export const TxIdAndSizeSchema = Schema.Struct({ txId: EraTxIdSchema, size: Schema.Number })

/**
 * Client (the side that has transactions): opens the protocol; from then on the server asks. `[6]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgInit = Schema.TaggedStruct("MsgInit", { protocol: tag })
/**
 * Server: acknowledges `ack` ids and asks for up to `req` new ones; a blocking request waits for at least one. `[0, blocking, ack, req]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRequestTxIds = Schema.TaggedStruct("MsgRequestTxIds", { protocol: tag, blocking: Schema.Boolean, ack: Schema.Number, req: Schema.Number })
/**
 * Client: transaction ids with their sizes in bytes. `[1, [_ *[txId, size]]]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgReplyTxIds = Schema.TaggedStruct("MsgReplyTxIds", { protocol: tag, txIds: Schema.Array(TxIdAndSizeSchema) })
/**
 * Server: asks for the transactions of these ids. `[2, [_ *txId]]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRequestTxs = Schema.TaggedStruct("MsgRequestTxs", { protocol: tag, txIds: Schema.Array(EraTxIdSchema) })
/**
 * Client: the transactions asked for. `[3, [_ *tx]]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgReplyTxs = Schema.TaggedStruct("MsgReplyTxs", { protocol: tag, txs: Schema.Array(EraTxSchema) })
/**
 * Client: ends the protocol, in answer to a blocking request. `[4]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = Schema.TaggedStruct("MsgDone", { protocol: tag })

/**
 * Every tx-submission2 message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = Schema.Union([MsgInit, MsgRequestTxIds, MsgReplyTxIds, MsgRequestTxs, MsgReplyTxs, MsgDone])
/**
 * A tx-submission2 message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

/**
 * Constructors.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = {
  init: (): Message => ({ protocol: p, _tag: "MsgInit" }),
  requestTxIds: (blocking: boolean, ack: number, req: number): Message => ({ protocol: p, _tag: "MsgRequestTxIds", blocking, ack, req }),
  replyTxIds: (txIds: ReadonlyArray<{ readonly txId: EraTxId; readonly size: number }>): Message => ({ protocol: p, _tag: "MsgReplyTxIds", txIds }),
  requestTxs: (txIds: ReadonlyArray<EraTxId>): Message => ({ protocol: p, _tag: "MsgRequestTxs", txIds }),
  replyTxs: (txs: ReadonlyArray<EraTx>): Message => ({ protocol: p, _tag: "MsgReplyTxs", txs }),
  done: (): Message => ({ protocol: p, _tag: "MsgDone" })
} as const

const indefiniteList = (v: Cbor.Value, what: string): ReadonlyArray<Cbor.Value> => {
  const a = C.array(v, what)
  if (!Cbor.isIndefinite(a)) C.fail(`${what}: expected an indefinite-length list`)
  return a
}

/**
 * The exact codec.
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = C.makeCodec<Message, typeof MessageSchema>(p, MessageSchema, (m) => {
  switch (m._tag) {
    case "MsgInit":
      return [6]
    case "MsgRequestTxIds":
      return [0, m.blocking, m.ack, m.req]
    case "MsgReplyTxIds":
      return [1, Cbor.indefinite(m.txIds.map((t) => [EraTxId.toCbor(t.txId), t.size]))]
    case "MsgRequestTxs":
      return [2, Cbor.indefinite(m.txIds.map(EraTxId.toCbor))]
    case "MsgReplyTxs":
      return [3, Cbor.indefinite(m.txs.map(EraTx.toCbor))]
    case "MsgDone":
      return [4]
  }
}, (v) => {
  const [t, a] = C.messageTag(v, p)
  switch (t) {
    case 6:
      C.arrayOf(v, 1, "MsgInit")
      return make.init()
    case 0:
      C.arrayOf(v, 4, "MsgRequestTxIds")
      return make.requestTxIds(C.bool(a[1]!, "blocking"), C.uint(a[2]!, "ack", 0xffff), C.uint(a[3]!, "req", 0xffff))
    case 1:
      C.arrayOf(v, 2, "MsgReplyTxIds")
      return make.replyTxIds(indefiniteList(a[1]!, "txIdsAndSizes").map((e) => {
        const pair = C.arrayOf(e, 2, "txIdAndSize")
        return { txId: EraTxId.fromCbor(pair[0]!), size: C.uint(pair[1]!, "size", 0xffffffff) }
      }))
    case 2:
      C.arrayOf(v, 2, "MsgRequestTxs")
      return make.requestTxs(indefiniteList(a[1]!, "txIdList").map(EraTxId.fromCbor))
    case 3:
      C.arrayOf(v, 2, "MsgReplyTxs")
      return make.replyTxs(indefiniteList(a[1]!, "txList").map(EraTx.fromCbor))
    case 4:
      C.arrayOf(v, 1, "MsgDone")
      return make.done()
    default:
      return C.fail(`tx-submission2: unknown message tag ${t}`)
  }
})

/**
 * The tx-submission2 protocol (channel 4; the spec's limits: 5 760 bytes in Init/Idle, 2.5 MB for replies).
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: p,
  channel: 4,
  initialState: "Init",
  states: {
    Init: { agency: "client", byteLimit: 5_760 },
    Idle: { agency: "server", byteLimit: 5_760 },
    TxIdsBlocking: { agency: "client", byteLimit: 2_500_000 },
    TxIdsNonBlocking: { agency: "client", byteLimit: 2_500_000, timeout: 10_000 },
    Txs: { agency: "client", byteLimit: 2_500_000, timeout: 10_000 },
    Done: { agency: "nobody" }
  },
  transitions: [
    { from: "Init", message: "MsgInit", to: "Idle" },
    { from: "Idle", message: "MsgRequestTxIds", to: (m) => (m._tag === "MsgRequestTxIds" && m.blocking ? "TxIdsBlocking" : "TxIdsNonBlocking") },
    { from: "Idle", message: "MsgRequestTxs", to: "Txs" },
    { from: "TxIdsBlocking", message: "MsgReplyTxIds", to: "Idle" },
    { from: "TxIdsBlocking", message: "MsgDone", to: "Done" },
    { from: "TxIdsNonBlocking", message: "MsgReplyTxIds", to: "Idle" },
    { from: "Txs", message: "MsgReplyTxs", to: "Idle" }
  ],
  // 1.1 x maxUnacked (10) x (44 + 65 540)
  ingressLimit: 721_424,
  maxInFlight: 1,
  ...codec
}

/**
 * The JSON form the CLI prints.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> => {
  switch (m._tag) {
    case "MsgRequestTxIds":
      return { msg: m._tag, blocking: m.blocking, ack: m.ack, req: m.req }
    case "MsgReplyTxIds":
      return { msg: m._tag, txIdsAndSizes: m.txIds.map((t) => [EraTxId.toJson(t.txId), t.size]) }
    case "MsgRequestTxs":
      return { msg: m._tag, txIds: m.txIds.map(EraTxId.toJson) }
    case "MsgReplyTxs":
      return { msg: m._tag, txs: m.txs.map(EraTx.toJson) }
    default:
      return { msg: m._tag }
  }
}
