/**
 * Local tx-submission (node-to-client, mini-protocol 6): a client submits one transaction at a
 * time and the node accepts or rejects it. The reject reason is kept as the exact CBOR bytes
 * received (with the era index when it has the hard-fork wrapping `[[era, ...]]`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { EraTx, EraTxSchema } from "./Common.ts"
import * as C from "./internal/codec.ts"
import { encodeTagged, withRaw } from "./internal/raw.ts"
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("local-tx-submission")

/**
 * `[0, tx]`: submit a transaction (`[era, #6.24(bytes)]`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgSubmitTx = Schema.TaggedStruct("MsgSubmitTx", { protocol: tag, tx: EraTxSchema })

/**
 * `[1]`: the transaction was accepted into the mempool.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgAcceptTx = Schema.TaggedStruct("MsgAcceptTx", { protocol: tag })

/**
 * `[2, reason]`: the transaction was rejected; `reason` is the exact CBOR bytes of the ledger error,
 * `era` its era index when the reason is wrapped as `[[era, ...]]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRejectTx = Schema.TaggedStruct("MsgRejectTx", {
  protocol: tag,
  reason: Schema.Uint8Array,
  era: Schema.optional(Schema.UndefinedOr(Schema.Number))
})

/**
 * `[3]`: the client ends the protocol.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = Schema.TaggedStruct("MsgDone", { protocol: tag })

/**
 * Every local tx-submission message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = Schema.Union([MsgSubmitTx, MsgAcceptTx, MsgRejectTx, MsgDone])

/**
 * A local tx-submission message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

/**
 * The era index of a reject reason wrapped as `[[era, ...]]`, if it is.
 *
 * @category encoding
 * @since 0.1.0
 */
export const reasonEra = (reason: Uint8Array): number | undefined => {
  try {
    const v = Cbor.decode(reason)
    if (Array.isArray(v) && v.length === 1) {
      const inner = v[0]
      if (Array.isArray(inner) && inner.length >= 1 && typeof inner[0] === "number" && inner[0] >= 0 && inner[0] < 256) {
        return inner[0]
      }
    }
  } catch {
    // not CBOR: no era
  }
  return undefined
}

/**
 * Message constructors.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = {
  submitTx: (tx: EraTx): Message => ({ protocol: "local-tx-submission", _tag: "MsgSubmitTx", tx }),
  acceptTx: (): Message => ({ protocol: "local-tx-submission", _tag: "MsgAcceptTx" }),
  rejectTx: (reason: Uint8Array): Message => ({
    protocol: "local-tx-submission",
    _tag: "MsgRejectTx",
    reason,
    era: reasonEra(reason)
  }),
  done: (): Message => ({ protocol: "local-tx-submission", _tag: "MsgDone" })
} as const

/**
 * The CBOR codec (exact bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = withRaw<Message>((rawSecond) =>
  C.makeCodec<Message, typeof MessageSchema>(
    "local-tx-submission",
    MessageSchema,
    (m) => {
      switch (m._tag) {
        case "MsgSubmitTx":
          return [0, EraTx.toCbor(m.tx)]
        case "MsgAcceptTx":
          return [1]
        case "MsgRejectTx":
          return [2, Cbor.decode(m.reason)]
        case "MsgDone":
          return [3]
      }
    },
    (v) => {
      const [t, a] = C.messageTag(v, "local-tx-submission")
      switch (t) {
        case 0:
          C.arrayOf(v, 2, "MsgSubmitTx")
          return make.submitTx(EraTx.fromCbor(a[1]!))
        case 1:
          C.arrayOf(v, 1, "MsgAcceptTx")
          return make.acceptTx()
        case 2:
          C.arrayOf(v, 2, "MsgRejectTx")
          return make.rejectTx(rawSecond(a[1]!))
        case 3:
          C.arrayOf(v, 1, "MsgDone")
          return make.done()
        default:
          return C.fail(`local-tx-submission: unknown message tag ${t}`)
      }
    }
  )
)

const encode = (m: Message): Uint8Array => (m._tag === "MsgRejectTx" ? encodeTagged(2, m.reason) : codec.encode(m))

/**
 * The local tx-submission protocol: channel 6, no byte limits or timeouts.
 *
 * @category protocol
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: "local-tx-submission",
  channel: 6,
  initialState: "Idle",
  states: {
    Idle: { agency: "client" },
    Busy: { agency: "server" },
    Done: { agency: "nobody" }
  },
  transitions: [
    { from: "Idle", message: "MsgSubmitTx", to: "Busy" },
    { from: "Busy", message: "MsgAcceptTx", to: "Idle" },
    { from: "Busy", message: "MsgRejectTx", to: "Idle" },
    { from: "Idle", message: "MsgDone", to: "Done" }
  ],
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  schema: codec.schema,
  encode,
  decode: codec.decode
}

/**
 * The JSON form the CLI prints.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> => {
  switch (m._tag) {
    case "MsgSubmitTx":
      return { msg: m._tag, tx: EraTx.toJson(m.tx) }
    case "MsgRejectTx":
      return m.era === undefined
        ? { msg: m._tag, reason_cbor: Cbor.toHex(m.reason) }
        : { msg: m._tag, reason_cbor: Cbor.toHex(m.reason), era_index: m.era }
    default:
      return { msg: m._tag }
  }
}
