/**
 * Local chain-sync (node-to-client, mini-protocol 5): chain-sync whose RollForward carries the full
 * block `#6.24([blockTag, block])` (a {@link WrappedBlock}) instead of a header.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { Point, Tip, TipSchema, WrappedBlock, WrappedBlockSchema } from "./Common.ts"
import * as ChainSync from "./ChainSync.ts"
import * as C from "./internal/codec.ts"
import * as Family from "./internal/chainSyncFamily.ts"
import type { Protocol } from "./Protocol.ts"

const p = "local-chain-sync" as const
const shared = Family.messages(p)

/**
 * Client: asks for the next update after its read pointer. `[0]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRequestNext = shared.MsgRequestNext
/**
 * Server: the client has reached the tip; the next update comes when the chain moves. `[1]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgAwaitReply = shared.MsgAwaitReply
/**
 * Server: the next block, and the server's tip. `[2, #6.24(block), tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRollForward = Schema.TaggedStruct("MsgRollForward", {
  protocol: shared.protocol,
  block: WrappedBlockSchema,
  tip: TipSchema
})
/**
 * Server: the client rolls back to this point; carries the server's tip. `[3, point, tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRollBackward = shared.MsgRollBackward
/**
 * Client: offers points, newest first, to find the newest one both chains share. `[4, [* point]]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgFindIntersect = shared.MsgFindIntersect
/**
 * Server: the first offered point on its chain, and its tip; the read pointer moves there. `[5, point, tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgIntersectFound = shared.MsgIntersectFound
/**
 * Server: none of the offered points is on its chain; carries its tip. `[6, tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgIntersectNotFound = shared.MsgIntersectNotFound
/**
 * Client: ends the protocol. `[7]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = shared.MsgDone

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

const tree = Family.tree<Message>(p, make, {
  toCbor: (m) => {
    const f = m as Extract<Message, { _tag: "MsgRollForward" }>
    return [WrappedBlock.toCbor(f.block), f.tip]
  },
  fromCbor: (content, tip) => make.rollForward(WrappedBlock.fromCbor(content), tip)
})

/**
 * The CBOR codec (exact bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = C.makeCodec<Message, typeof MessageSchema>(p, MessageSchema, tree.toValue, tree.fromValue)

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
  ...codec
}

/**
 * The JSON form the CLI prints (the block as its tag, size and hex bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> =>
  Family.toJson(m, (m) => {
    const { block, tip } = m as Extract<Message, { _tag: "MsgRollForward" }>
    return {
      mode: "node-to-client",
      tip: Tip.toJson(tip),
      block_type_tag: block.tag,
      block_size: block.bytes.length,
      block_cbor_tag24: Cbor.toHex(block.bytes)
    }
  })
