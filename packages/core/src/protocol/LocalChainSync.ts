/**
 * Local chain-sync (node-to-client, mini-protocol 5): chain-sync whose RollForward carries the full
 * block `#6.24([blockTag, block])` (a {@link WrappedBlock}) instead of a header.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { Point, PointSchema, Tip, TipSchema, WrappedBlock, WrappedBlockSchema } from "./Common.ts"
import * as ChainSync from "./ChainSync.ts"
import * as C from "./internal/codec.ts"
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("local-chain-sync")
const p = "local-chain-sync" as const

/** `[0]`. @category schemas @since 0.1.0 */
export const MsgRequestNext = Schema.TaggedStruct("MsgRequestNext", { protocol: tag })
/** `[1]`. @category schemas @since 0.1.0 */
export const MsgAwaitReply = Schema.TaggedStruct("MsgAwaitReply", { protocol: tag })
/** `[2, #6.24(block), tip]`. @category schemas @since 0.1.0 */
export const MsgRollForward = Schema.TaggedStruct("MsgRollForward", {
  protocol: tag,
  block: WrappedBlockSchema,
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
 * Every local chain-sync message.
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
 * A local chain-sync message.
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
  rollForward: (block: WrappedBlock, tip: Tip): Message => ({ protocol: p, _tag: "MsgRollForward", block, tip }),
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
        return [2, WrappedBlock.toCbor(m.block), Tip.toCbor(m.tip)]
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
        return make.rollForward(WrappedBlock.fromCbor(a[1]!), Tip.fromCbor(a[2]!))
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
        return C.fail(`local-chain-sync: unknown message tag ${t}`)
    }
  }
)

/**
 * The local chain-sync protocol: channel 5, no byte limits or timeouts.
 *
 * @category protocol
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: p,
  channel: 5,
  initialState: "Idle",
  states: {
    Idle: { agency: "client" },
    CanAwait: { agency: "server" },
    MustReply: { agency: "server" },
    Intersect: { agency: "server" },
    Done: { agency: "nobody" }
  },
  transitions: ChainSync.transitions,
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  schema: codec.schema,
  encode: codec.encode,
  decode: codec.decode
}

/**
 * The JSON form the CLI prints (the block as its tag, size and hex bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> => {
  switch (m._tag) {
    case "MsgRollForward":
      return {
        msg: m._tag,
        mode: "node-to-client",
        tip: Tip.toJson(m.tip),
        block_type_tag: m.block.tag,
        block_size: m.block.bytes.length,
        block_cbor_tag24: Cbor.toHex(m.block.bytes)
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
