/**
 * Local tx-monitor (node-to-client, mini-protocol 9): acquire a mempool snapshot, then list its
 * transactions, ask whether it holds one, or read its sizes and measures.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { EraTx, EraTxId, EraTxSchema } from "./Common.ts"
import * as C from "./internal/codec.ts"
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("local-tx-monitor")
const p = "local-tx-monitor" as const

/**
 * Client: ends the protocol. `[0]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = Schema.TaggedStruct("MsgDone", { protocol: tag })
/**
 * Client: acquires a snapshot of the mempool; sent again while one is held, waits for a newer one. `[1]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgAcquire = Schema.TaggedStruct("MsgAcquire", { protocol: tag })
/**
 * Server: a snapshot is held, taken at this slot. `[2, slot]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgAcquired = Schema.TaggedStruct("MsgAcquired", { protocol: tag, slot: Schema.Number })
/**
 * Client: releases the snapshot. `[3]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRelease = Schema.TaggedStruct("MsgRelease", { protocol: tag })
/**
 * Client: asks for the next transaction of the snapshot. `[5]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgNextTx = Schema.TaggedStruct("MsgNextTx", { protocol: tag })
/**
 * Server: the next transaction, or none once the snapshot is exhausted. `[6]` / `[6, tx]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgReplyNextTx = Schema.TaggedStruct("MsgReplyNextTx", {
  protocol: tag,
  tx: Schema.optional(Schema.UndefinedOr(EraTxSchema))
})
/**
 * Client: asks whether the snapshot holds a transaction id: a bare id `[7, txId]`, or an id with its
 * era `[7, [era, txId]]` (Byron `[7, [0, [kind, txId]]]`), kept as received.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgHasTx = Schema.TaggedStruct("MsgHasTx", {
  protocol: tag,
  txId: Schema.Uint8Array,
  era: Schema.optional(Schema.UndefinedOr(Schema.Number)),
  byronKind: Schema.optional(Schema.UndefinedOr(Schema.Number))
})
/**
 * Server: whether it does. `[8, bool]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgReplyHasTx = Schema.TaggedStruct("MsgReplyHasTx", { protocol: tag, value: Schema.Boolean })
/**
 * Client: asks for the mempool's capacity, size in bytes and transaction count. `[9]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgGetSizes = Schema.TaggedStruct("MsgGetSizes", { protocol: tag })
/**
 * Server: those three numbers. `[10, [capacity, size, count]]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgReplyGetSizes = Schema.TaggedStruct("MsgReplyGetSizes", {
  protocol: tag,
  capacityInBytes: Schema.Number,
  sizeInBytes: Schema.Number,
  numberOfTxs: Schema.Number
})
/**
 * Client: asks for the mempool's named measures. `[11]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgGetMeasures = Schema.TaggedStruct("MsgGetMeasures", { protocol: tag })

const Int = Schema.Union([Schema.Number, Schema.BigInt])

/**
 * Server: the transaction count and each measure's size and capacity, the map kept in order. `[12, txCount, {* name => [size, capacity]}]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgReplyGetMeasures = Schema.TaggedStruct("MsgReplyGetMeasures", {
  protocol: tag,
  txCount: Schema.Number,
  measures: Schema.Array(Schema.Struct({ name: Schema.String, size: Int, capacity: Int }))
})

/**
 * Every local tx-monitor message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = Schema.Union([
  MsgDone,
  MsgAcquire,
  MsgAcquired,
  MsgRelease,
  MsgNextTx,
  MsgReplyNextTx,
  MsgHasTx,
  MsgReplyHasTx,
  MsgGetSizes,
  MsgReplyGetSizes,
  MsgGetMeasures,
  MsgReplyGetMeasures
])

/**
 * A local tx-monitor message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

type Measure = { readonly name: string; readonly size: number | bigint; readonly capacity: number | bigint }

/**
 * Message constructors.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = {
  done: (): Message => ({ protocol: p, _tag: "MsgDone" }),
  acquire: (): Message => ({ protocol: p, _tag: "MsgAcquire" }),
  acquired: (slot: number): Message => ({ protocol: p, _tag: "MsgAcquired", slot }),
  release: (): Message => ({ protocol: p, _tag: "MsgRelease" }),
  nextTx: (): Message => ({ protocol: p, _tag: "MsgNextTx" }),
  replyNextTx: (tx?: EraTx): Message => ({ protocol: p, _tag: "MsgReplyNextTx", tx }),
  /** A bare id (`[7, txId]`), or an id with its era (`[7, [era, txId]]`, what the reference node reads). */
  hasTx: (txId: Uint8Array | EraTxId): Message =>
    txId instanceof Uint8Array
      ? { protocol: p, _tag: "MsgHasTx", txId }
      : txId.byronKind === undefined
      ? { protocol: p, _tag: "MsgHasTx", txId: txId.txId, era: txId.era }
      : { protocol: p, _tag: "MsgHasTx", txId: txId.txId, era: txId.era, byronKind: txId.byronKind },
  replyHasTx: (value: boolean): Message => ({ protocol: p, _tag: "MsgReplyHasTx", value }),
  getSizes: (): Message => ({ protocol: p, _tag: "MsgGetSizes" }),
  replyGetSizes: (capacityInBytes: number, sizeInBytes: number, numberOfTxs: number): Message => ({
    protocol: p,
    _tag: "MsgReplyGetSizes",
    capacityInBytes,
    sizeInBytes,
    numberOfTxs
  }),
  getMeasures: (): Message => ({ protocol: p, _tag: "MsgGetMeasures" }),
  replyGetMeasures: (txCount: number, measures: ReadonlyArray<Measure>): Message => ({
    protocol: p,
    _tag: "MsgReplyGetMeasures",
    txCount,
    measures
  })
} as const

const W32 = 0xffffffff

/**
 * The CBOR codec (exact bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = C.makeCodec<Message, typeof MessageSchema>(
  p,
  MessageSchema,
  (m) => {
    switch (m._tag) {
      case "MsgDone":
        return [0]
      case "MsgAcquire":
        return [1]
      case "MsgAcquired":
        return [2, m.slot]
      case "MsgRelease":
        return [3]
      case "MsgNextTx":
        return [5]
      case "MsgReplyNextTx":
        return m.tx === undefined ? [6] : [6, EraTx.toCbor(m.tx)]
      case "MsgHasTx":
        return m.era === undefined ? [7, m.txId] : [7, EraTxId.toCbor({ era: m.era, txId: m.txId, byronKind: m.byronKind })]
      case "MsgReplyHasTx":
        return [8, m.value]
      case "MsgGetSizes":
        return [9]
      case "MsgReplyGetSizes":
        return [10, [m.capacityInBytes, m.sizeInBytes, m.numberOfTxs]]
      case "MsgGetMeasures":
        return [11]
      case "MsgReplyGetMeasures":
        return [12, m.txCount, new Map(m.measures.map((x) => [x.name, [x.size, x.capacity]] as const))]
    }
  },
  (v) => {
    const [t, a] = C.messageTag(v, p)
    const n = (len: number, what: string) => C.arrayOf(v, len, what)
    switch (t) {
      case 0:
        n(1, "MsgDone")
        return make.done()
      case 1:
        n(1, "MsgAcquire")
        return make.acquire()
      case 2:
        n(2, "MsgAcquired")
        return make.acquired(C.uint(a[1]!, "slot"))
      case 3:
        n(1, "MsgRelease")
        return make.release()
      case 5:
        n(1, "MsgNextTx")
        return make.nextTx()
      case 6:
        if (a.length === 1) return make.replyNextTx()
        n(2, "MsgReplyNextTx")
        return make.replyNextTx(EraTx.fromCbor(a[1]!))
      case 7:
        n(2, "MsgHasTx")
        return make.hasTx(a[1] instanceof Uint8Array ? a[1] : EraTxId.fromCbor(a[1]!))
      case 8:
        n(2, "MsgReplyHasTx")
        return make.replyHasTx(C.bool(a[1]!, "has tx"))
      case 9:
        n(1, "MsgGetSizes")
        return make.getSizes()
      case 10: {
        n(2, "MsgReplyGetSizes")
        const s = C.arrayOf(a[1]!, 3, "sizes")
        return make.replyGetSizes(C.uint(s[0]!, "capacity", W32), C.uint(s[1]!, "size", W32), C.uint(s[2]!, "count", W32))
      }
      case 11:
        n(1, "MsgGetMeasures")
        return make.getMeasures()
      case 12: {
        n(3, "MsgReplyGetMeasures")
        const measures: Array<Measure> = []
        for (const [k, x] of C.map(a[2]!, "measures")) {
          const pair = C.arrayOf(x, 2, "measure")
          measures.push({ name: C.text(k, "measure name"), size: C.int(pair[0]!, "size"), capacity: C.int(pair[1]!, "capacity") })
        }
        return make.replyGetMeasures(C.uint(a[1]!, "tx count", W32), measures)
      }
      default:
        return C.fail(`local-tx-monitor: unknown message tag ${t}`)
    }
  }
)

/**
 * The local tx-monitor protocol: channel 9, no byte limits or timeouts.
 *
 * @category protocol
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: p,
  channel: 9,
  initialState: "Idle",
  states: {
    Idle: { agency: "client" },
    Acquiring: { agency: "server" },
    Acquired: { agency: "client" },
    BusyNextTx: { agency: "server" },
    BusyHasTx: { agency: "server" },
    BusyGetSizes: { agency: "server" },
    BusyGetMeasures: { agency: "server" },
    Done: { agency: "nobody" }
  },
  transitions: [
    { from: "Idle", message: "MsgAcquire", to: "Acquiring" },
    { from: "Idle", message: "MsgDone", to: "Done" },
    { from: "Acquiring", message: "MsgAcquired", to: "Acquired" },
    { from: "Acquired", message: "MsgAcquire", to: "Acquiring" },
    { from: "Acquired", message: "MsgRelease", to: "Idle" },
    { from: "Acquired", message: "MsgNextTx", to: "BusyNextTx" },
    { from: "Acquired", message: "MsgHasTx", to: "BusyHasTx" },
    { from: "Acquired", message: "MsgGetSizes", to: "BusyGetSizes" },
    { from: "Acquired", message: "MsgGetMeasures", to: "BusyGetMeasures" },
    { from: "BusyNextTx", message: "MsgReplyNextTx", to: "Acquired" },
    { from: "BusyHasTx", message: "MsgReplyHasTx", to: "Acquired" },
    { from: "BusyGetSizes", message: "MsgReplyGetSizes", to: "Acquired" },
    { from: "BusyGetMeasures", message: "MsgReplyGetMeasures", to: "Acquired" }
  ],
  ingressLimit: 0xffffffff,
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
    case "MsgAcquired":
      return { msg: m._tag, slot: m.slot }
    case "MsgReplyNextTx":
      return { msg: m._tag, tx: m.tx === undefined ? null : EraTx.toJson(m.tx) }
    case "MsgHasTx":
      return {
        msg: m._tag,
        txid: Cbor.toHex(m.txId),
        ...(m.era === undefined ? {} : { era: m.era }),
        ...(m.byronKind === undefined ? {} : { byron_kind: m.byronKind })
      }
    case "MsgReplyHasTx":
      return { msg: m._tag, value: m.value }
    case "MsgReplyGetSizes":
      return { msg: m._tag, capacityInBytes: m.capacityInBytes, sizeInBytes: m.sizeInBytes, numberOfTxs: m.numberOfTxs }
    case "MsgReplyGetMeasures":
      return {
        msg: m._tag,
        txCount: m.txCount,
        measures: Object.fromEntries(m.measures.map((x) => [x.name, [String(x.size), String(x.capacity)]]))
      }
    default:
      return { msg: m._tag }
  }
}
