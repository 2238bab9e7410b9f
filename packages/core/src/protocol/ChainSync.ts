/**
 * Chain-sync (node-to-node, mini-protocol 2): a client follows a server's chain header by header.
 * RollForward carries the header with its hard-fork wrapping (a {@link WrappedHeader}), kept as the
 * exact bytes received.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { Point, PointSchema, Tip, TipSchema, WrappedHeader, WrappedHeaderSchema } from "./Common.ts"
import { headerHash } from "../chain/Block.ts"
import * as C from "./internal/codec.ts"
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("chain-sync")
const p = "chain-sync" as const

/** `[0]`. @category schemas @since 0.1.0 */
export const MsgRequestNext = Schema.TaggedStruct("MsgRequestNext", { protocol: tag })
/** `[1]`. @category schemas @since 0.1.0 */
export const MsgAwaitReply = Schema.TaggedStruct("MsgAwaitReply", { protocol: tag })
/** `[2, [era, #6.24(header)], tip]`. @category schemas @since 0.1.0 */
export const MsgRollForward = Schema.TaggedStruct("MsgRollForward", {
  protocol: tag,
  header: WrappedHeaderSchema,
  tip: TipSchema
})
/** `[3, point, tip]`. @category schemas @since 0.1.0 */
export const MsgRollBackward = Schema.TaggedStruct("MsgRollBackward", { protocol: tag, point: PointSchema, tip: TipSchema })
/** `[4, [* point]]`. @category schemas @since 0.1.0 */
export const MsgFindIntersect = Schema.TaggedStruct("MsgFindIntersect", { protocol: tag, points: Schema.Array(PointSchema) })
/** `[5, point, tip]`. @category schemas @since 0.1.0 */
export const MsgIntersectFound = Schema.TaggedStruct("MsgIntersectFound", {
  protocol: tag,
  point: PointSchema,
  tip: TipSchema
})
/** `[6, tip]`. @category schemas @since 0.1.0 */
export const MsgIntersectNotFound = Schema.TaggedStruct("MsgIntersectNotFound", { protocol: tag, tip: TipSchema })
/** `[7]`. @category schemas @since 0.1.0 */
export const MsgDone = Schema.TaggedStruct("MsgDone", { protocol: tag })

/**
 * Every chain-sync message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = Schema.Union([
  MsgRequestNext,
  MsgAwaitReply,
  MsgRollForward,
  MsgRollBackward,
  MsgFindIntersect,
  MsgIntersectFound,
  MsgIntersectNotFound,
  MsgDone
])

/**
 * A chain-sync message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

/**
 * Message constructors.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = {
  requestNext: (): Message => ({ protocol: p, _tag: "MsgRequestNext" }),
  awaitReply: (): Message => ({ protocol: p, _tag: "MsgAwaitReply" }),
  rollForward: (header: WrappedHeader, tip: Tip): Message => ({ protocol: p, _tag: "MsgRollForward", header, tip }),
  rollBackward: (point: Point, tip: Tip): Message => ({ protocol: p, _tag: "MsgRollBackward", point, tip }),
  findIntersect: (points: ReadonlyArray<Point>): Message => ({ protocol: p, _tag: "MsgFindIntersect", points }),
  intersectFound: (point: Point, tip: Tip): Message => ({ protocol: p, _tag: "MsgIntersectFound", point, tip }),
  intersectNotFound: (tip: Tip): Message => ({ protocol: p, _tag: "MsgIntersectNotFound", tip }),
  done: (): Message => ({ protocol: p, _tag: "MsgDone" })
} as const

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
      case "MsgRequestNext":
        return [0]
      case "MsgAwaitReply":
        return [1]
      case "MsgRollForward":
        return [2, WrappedHeader.toCbor(m.header), Tip.toCbor(m.tip)]
      case "MsgRollBackward":
        return [3, Point.toCbor(m.point), Tip.toCbor(m.tip)]
      case "MsgFindIntersect":
        return [4, m.points.map(Point.toCbor)]
      case "MsgIntersectFound":
        return [5, Point.toCbor(m.point), Tip.toCbor(m.tip)]
      case "MsgIntersectNotFound":
        return [6, Tip.toCbor(m.tip)]
      case "MsgDone":
        return [7]
    }
  },
  (v) => {
    const [t, a] = C.messageTag(v, p)
    const n = (len: number, what: string) => C.arrayOf(v, len, what)
    switch (t) {
      case 0:
        n(1, "MsgRequestNext")
        return make.requestNext()
      case 1:
        n(1, "MsgAwaitReply")
        return make.awaitReply()
      case 2:
        n(3, "MsgRollForward")
        return make.rollForward(WrappedHeader.fromCbor(a[1]!), Tip.fromCbor(a[2]!))
      case 3:
        n(3, "MsgRollBackward")
        return make.rollBackward(Point.fromCbor(a[1]!), Tip.fromCbor(a[2]!))
      case 4:
        n(2, "MsgFindIntersect")
        return make.findIntersect(C.array(a[1]!, "points").map(Point.fromCbor))
      case 5:
        n(3, "MsgIntersectFound")
        return make.intersectFound(Point.fromCbor(a[1]!), Tip.fromCbor(a[2]!))
      case 6:
        n(2, "MsgIntersectNotFound")
        return make.intersectNotFound(Tip.fromCbor(a[1]!))
      case 7:
        n(1, "MsgDone")
        return make.done()
      default:
        return C.fail(`chain-sync: unknown message tag ${t}`)
    }
  }
)

/**
 * The chain-sync state machine's moves, shared by node-to-node chain-sync and local chain-sync.
 *
 * @category protocols
 * @since 0.1.0
 */
export const transitions: ReadonlyArray<{ readonly from: string; readonly message: Message["_tag"]; readonly to: string }> = [
    { from: "Idle", message: "MsgRequestNext", to: "CanAwait" },
    { from: "Idle", message: "MsgFindIntersect", to: "Intersect" },
    { from: "Idle", message: "MsgDone", to: "Done" },
    { from: "CanAwait", message: "MsgAwaitReply", to: "MustReply" },
    { from: "CanAwait", message: "MsgRollForward", to: "Idle" },
    { from: "CanAwait", message: "MsgRollBackward", to: "Idle" },
    { from: "MustReply", message: "MsgRollForward", to: "Idle" },
    { from: "MustReply", message: "MsgRollBackward", to: "Idle" },
    { from: "Intersect", message: "MsgIntersectFound", to: "Idle" },
    { from: "Intersect", message: "MsgIntersectNotFound", to: "Idle" }
]

/**
 * The chain-sync protocol: channel 2, the spec's byte limits and timeouts, up to 300 requests in flight.
 *
 * @category protocol
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: p,
  channel: 2,
  initialState: "Idle",
  // byte limits and timeouts of the network spec (idle: the spec's 3 673 s, the code has 3 373 s)
  states: {
    Idle: { agency: "client", byteLimit: 65_535, timeout: 3_673_000 },
    CanAwait: { agency: "server", byteLimit: 65_535, timeout: 10_000 },
    MustReply: { agency: "server", byteLimit: 65_535, timeout: [601_000, 911_000] },
    Intersect: { agency: "server", byteLimit: 65_535, timeout: 10_000 },
    Done: { agency: "nobody" }
  },
  transitions,
  // 1.1 x high mark (300) x 1 400 bytes
  ingressLimit: 462_000,
  maxInFlight: 300,
  schema: codec.schema,
  encode: codec.encode,
  decode: codec.decode
}

/**
 * The JSON form the CLI prints (the header with its wrapping, hash, size and hex bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> => {
  switch (m._tag) {
    case "MsgRollForward":
      return {
        msg: m._tag,
        mode: "node-to-node",
        tip: Tip.toJson(m.tip),
        header_wrapper: m.header.byron === undefined
          ? { hfc_era_index: m.header.era }
          : { hfc_era_index: m.header.era, byron_subtag: m.header.byron.subtag, byron_size_hint: m.header.byron.sizeHint },
        header_hash_blake2b256: Cbor.toHex(headerHash(m.header)),
        header_cbor_len: m.header.bytes.length,
        header_cbor: Cbor.toHex(m.header.bytes)
      }
    case "MsgRollBackward":
    case "MsgIntersectFound":
      return { msg: m._tag, point: Point.toJson(m.point), tip: Tip.toJson(m.tip) }
    case "MsgFindIntersect":
      return { msg: m._tag, points: m.points.map(Point.toJson) }
    case "MsgIntersectNotFound":
      return { msg: m._tag, tip: Tip.toJson(m.tip) }
    default:
      return { msg: m._tag }
  }
}
