/**
 * Local tx-monitor (node-to-client, mini-protocol 9): acquire a mempool snapshot, then list its
 * transactions, ask whether it holds one, or read its sizes and measures.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { EraTx, EraTxId, EraTxSchema } from "./Common.ts"
import * as C from "./internal/codec.ts"
import * as M from "./internal/messages.ts"

const W32 = 0xffffffff
const Int = Schema.Union([Schema.Number, Schema.BigInt])
const MeasureSchema = Schema.Struct({ name: Schema.String, size: Int, capacity: Int })
type Measure = typeof MeasureSchema.Type

const measures: M.Field<Schema.$Array<typeof MeasureSchema>> = {
  schema: Schema.Array(MeasureSchema),
  toCbor: (ms) => new Map(ms.map((x) => [x.name, [x.size, x.capacity]] as const)),
  fromCbor: (v) => {
    const out: Array<Measure> = []
    for (const [k, x] of C.map(v, "measures")) {
      const pair = C.arrayOf(x, 2, "measure")
      out.push({ name: C.text(k, "measure name"), size: C.int(pair[0]!, "size"), capacity: C.int(pair[1]!, "capacity") })
    }
    return out
  },
  json: (ms) => Object.fromEntries(ms.map((x) => [x.name, [String(x.size), String(x.capacity)]]))
}

const nextTx: M.Field<Schema.optional<Schema.UndefinedOr<typeof EraTxSchema>>> = {
  schema: Schema.optional(Schema.UndefinedOr(EraTxSchema)),
  toCbor: (tx) => EraTx.toCbor(tx!),
  fromCbor: (v) => EraTx.fromCbor(v),
  optional: true,
  json: (tx) => tx === undefined ? null : EraTx.toJson(tx)
}

const optionalNumber = (jsonKey: string): M.Field<Schema.optional<Schema.UndefinedOr<typeof Schema.Number>>> => ({
  schema: Schema.optional(Schema.UndefinedOr(Schema.Number)),
  omitIfUndefined: true,
  jsonKey
})

const localTxMonitor = M.protocol({
  name: "local-tx-monitor",
  channel: 9,
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  messages: [
    M.msg(0, "MsgDone", "done", []),
    M.msg(1, "MsgAcquire", "acquire", []),
    M.msg(2, "MsgAcquired", "acquired", [["slot", M.F.uint("slot")]]),
    M.msg(3, "MsgRelease", "release", []),
    M.msg(5, "MsgNextTx", "nextTx", []),
    M.msg(6, "MsgReplyNextTx", "replyNextTx", [["tx", nextTx]], { args: (tx?: EraTx) => [tx] }),
    M.msg(7, "MsgHasTx", "hasTx", [
      ["txId", M.withJson(M.F.bytes("tx id"), "txid")],
      ["era", optionalNumber("era")],
      ["byronKind", optionalNumber("byron_kind")]
    ], {
      /** A bare id (`[7, txId]`), or an id with its era (`[7, [era, txId]]`, what the reference node reads). */
      args: (txId: Uint8Array | EraTxId) =>
        txId instanceof Uint8Array ? [txId, undefined, undefined] : [txId.txId, txId.era, txId.byronKind],
      wire: {
        tags: [7],
        toCbor: (m) =>
          m.era === undefined ? [7, m.txId] : [7, EraTxId.toCbor({ era: m.era, txId: m.txId, byronKind: m.byronKind })],
        fromCbor: (_, a, v) => {
          C.arrayOf(v, 2, "MsgHasTx")
          if (a[1] instanceof Uint8Array) return [a[1], undefined, undefined]
          const id = EraTxId.fromCbor(a[1]!)
          return [id.txId, id.era, id.byronKind]
        }
      }
    }),
    M.msg(8, "MsgReplyHasTx", "replyHasTx", [["value", M.F.bool("has tx")]]),
    M.msg(9, "MsgGetSizes", "getSizes", []),
    M.msg(10, "MsgReplyGetSizes", "replyGetSizes", [
      ["capacityInBytes", M.F.uint("capacity", W32)],
      ["sizeInBytes", M.F.uint("size", W32)],
      ["numberOfTxs", M.F.uint("count", W32)]
    ], {
      // `[10, [capacity, size, count]]`: the three numbers in one inner array
      wire: {
        tags: [10],
        toCbor: (m) => [10, [m.capacityInBytes, m.sizeInBytes, m.numberOfTxs]],
        fromCbor: (_, a, v) => {
          C.arrayOf(v, 2, "MsgReplyGetSizes")
          const s = C.arrayOf(a[1]!, 3, "sizes")
          return [C.uint(s[0]!, "capacity", W32), C.uint(s[1]!, "size", W32), C.uint(s[2]!, "count", W32)]
        }
      }
    }),
    M.msg(11, "MsgGetMeasures", "getMeasures", []),
    M.msg(12, "MsgReplyGetMeasures", "replyGetMeasures", [["txCount", M.F.uint("tx count", W32)], ["measures", measures]])
  ],
  // node-to-client: no byte limits or timeouts
  initialState: "Idle",
  states: {
    Idle: "client",
    Acquiring: "server",
    Acquired: "client",
    BusyNextTx: "server",
    BusyHasTx: "server",
    BusyGetSizes: "server",
    BusyGetMeasures: "server",
    Done: "nobody"
  },
  transitions: {
    Idle: { MsgAcquire: "Acquiring", MsgDone: "Done" },
    Acquiring: { MsgAcquired: "Acquired" },
    Acquired: {
      MsgAcquire: "Acquiring",
      MsgRelease: "Idle",
      MsgNextTx: "BusyNextTx",
      MsgHasTx: "BusyHasTx",
      MsgGetSizes: "BusyGetSizes",
      MsgGetMeasures: "BusyGetMeasures"
    },
    BusyNextTx: { MsgReplyNextTx: "Acquired" },
    BusyHasTx: { MsgReplyHasTx: "Acquired" },
    BusyGetSizes: { MsgReplyGetSizes: "Acquired" },
    BusyGetMeasures: { MsgReplyGetMeasures: "Acquired" }
  }
})

/**
 * The local tx-monitor messages, a Schema each:
 * - `MsgDone`, client: ends the protocol. `[0]`.
 * - `MsgAcquire`, client: acquires a snapshot of the mempool; sent again while one is held, waits
 *   for a newer one. `[1]`.
 * - `MsgAcquired`, server: a snapshot is held, taken at this slot. `[2, slot]`.
 * - `MsgRelease`, client: releases the snapshot. `[3]`.
 * - `MsgNextTx`, client: asks for the next transaction of the snapshot. `[5]`.
 * - `MsgReplyNextTx`, server: the next transaction, or none once the snapshot is exhausted. `[6]` /
 *   `[6, tx]`.
 * - `MsgHasTx`, client: asks whether the snapshot holds a transaction id: a bare id `[7, txId]`, or
 *   an id with its era `[7, [era, txId]]` (Byron `[7, [0, [kind, txId]]]`), kept as received.
 * - `MsgReplyHasTx`, server: whether it does. `[8, bool]`.
 * - `MsgGetSizes`, client: asks for the mempool's capacity, size in bytes and transaction count. `[9]`.
 * - `MsgReplyGetSizes`, server: those three numbers. `[10, [capacity, size, count]]`.
 * - `MsgGetMeasures`, client: asks for the mempool's named measures. `[11]`.
 * - `MsgReplyGetMeasures`, server: the transaction count and each measure's size and capacity, the
 *   map kept in order. `[12, txCount, {* name => [size, capacity]}]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const {
  MsgDone, MsgAcquire, MsgAcquired, MsgRelease,
  MsgNextTx, MsgReplyNextTx, MsgHasTx, MsgReplyHasTx,
  MsgGetSizes, MsgReplyGetSizes, MsgGetMeasures, MsgReplyGetMeasures
} = localTxMonitor.schemas

/**
 * The local tx-monitor protocol (channel 9, no byte limits or timeouts) and its messages:
 * `MessageSchema` (every message), `make` (their constructors), `codec` (the exact CBOR codec) and
 * `toJson` (the JSON form the CLI prints).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = localTxMonitor

/**
 * A local tx-monitor message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
