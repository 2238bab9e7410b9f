/**
 * What chain-sync (node-to-node, headers) and local chain-sync (node-to-client, whole blocks) share:
 * seven of their eight messages, the wire form of those seven, and their JSON form. Only
 * MsgRollForward's content differs, so each module passes that part in.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import type * as Cbor from "../../cbor/Cbor.ts"
import { Point, PointSchema, Tip, TipSchema } from "../Common.ts"
import * as C from "./codec.ts"

/** The seven messages both protocols have, with `protocol` set to the given name. */
export const messages = <P extends string>(name: P) => {
  const protocol = Schema.tag(name)
  return {
    protocol,
    MsgRequestNext: Schema.TaggedStruct("MsgRequestNext", { protocol }),
    MsgAwaitReply: Schema.TaggedStruct("MsgAwaitReply", { protocol }),
    MsgRollBackward: Schema.TaggedStruct("MsgRollBackward", { protocol, point: PointSchema, tip: TipSchema }),
    MsgFindIntersect: Schema.TaggedStruct("MsgFindIntersect", { protocol, points: Schema.Array(PointSchema) }),
    MsgIntersectFound: Schema.TaggedStruct("MsgIntersectFound", { protocol, point: PointSchema, tip: TipSchema }),
    MsgIntersectNotFound: Schema.TaggedStruct("MsgIntersectNotFound", { protocol, tip: TipSchema }),
    MsgDone: Schema.TaggedStruct("MsgDone", { protocol })
  }
}

/** The shared messages as the codec sees them; MsgRollForward's content is the module's business. */
type Shared =
  | { readonly _tag: "MsgRequestNext" | "MsgAwaitReply" | "MsgDone" | "MsgRollForward" }
  | { readonly _tag: "MsgRollBackward" | "MsgIntersectFound"; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "MsgFindIntersect"; readonly points: ReadonlyArray<Point> }
  | { readonly _tag: "MsgIntersectNotFound"; readonly tip: Tip }

/** The module's constructors the decoder calls. */
export interface Make<M> {
  readonly requestNext: () => M
  readonly awaitReply: () => M
  readonly rollBackward: (point: Point, tip: Tip) => M
  readonly findIntersect: (points: ReadonlyArray<Point>) => M
  readonly intersectFound: (point: Point, tip: Tip) => M
  readonly intersectNotFound: (tip: Tip) => M
  readonly done: () => M
}

/** MsgRollForward `[2, content, tip]`: the content to and from CBOR. */
export interface RollForward<M> {
  readonly toCbor: (message: M) => readonly [Cbor.Value, Tip]
  readonly fromCbor: (content: Cbor.Value, tip: Tip) => M
}

/** The tree functions of the codec (exact bytes), for `makeCodec`. */
export const tree = <M extends { readonly _tag: string }>(name: string, make: Make<M>, rollForward: RollForward<M>) => ({
  toValue: (message: M): Cbor.Value => {
    const m = message as unknown as Shared
    switch (m._tag) {
      case "MsgRequestNext":
        return [0]
      case "MsgAwaitReply":
        return [1]
      case "MsgRollForward": {
        const [content, tip] = rollForward.toCbor(message)
        return [2, content, Tip.toCbor(tip)]
      }
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
  fromValue: (v: Cbor.Value): M => {
    const [t, a] = C.messageTag(v, name)
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
        return rollForward.fromCbor(a[1]!, Tip.fromCbor(a[2]!))
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
        return C.fail(`${name}: unknown message tag ${t}`)
    }
  }
})

/** The JSON form of a message; `rollForward` gives MsgRollForward's fields after `msg`. */
export const toJson = <M extends { readonly _tag: string }>(
  message: M,
  rollForward: (message: M) => Record<string, unknown>
): Record<string, unknown> => {
  const m = message as unknown as Shared
  switch (m._tag) {
    case "MsgRollForward":
      return { msg: m._tag, ...rollForward(message) }
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
