/**
 * Chain-sync (node-to-node, mini-protocol 2): a client follows a server's chain header by header.
 * RollForward carries the header with its hard-fork wrapping (a {@link WrappedHeader}), kept as the
 * exact bytes received.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { Point, Tip, TipSchema, WrappedHeader, WrappedHeaderSchema } from "./Common.ts"
import { headerHash } from "../chain/Block.ts"
import * as C from "./internal/codec.ts"
import * as Family from "./internal/chainSyncFamily.ts"
import type { Protocol } from "./Protocol.ts"

const p = "chain-sync" as const
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
 * Server: the next header, with its era, and the server's tip. `[2, [era, #6.24(header)], tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRollForward = Schema.TaggedStruct("MsgRollForward", {
  protocol: shared.protocol,
  header: WrappedHeaderSchema,
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

const tree = Family.tree<Message>(p, make, {
  toCbor: (m) => {
    const f = m as Extract<Message, { _tag: "MsgRollForward" }>
    return [WrappedHeader.toCbor(f.header), f.tip]
  },
  fromCbor: (content, tip) => make.rollForward(WrappedHeader.fromCbor(content), tip)
})

/**
 * The CBOR codec (exact bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = C.makeCodec<Message, typeof MessageSchema>(p, MessageSchema, tree.toValue, tree.fromValue)

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
  ...codec
}

/**
 * The JSON form the CLI prints (the header with its wrapping, hash, size and hex bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> =>
  Family.toJson(m, (m) => {
    const { header, tip } = m as Extract<Message, { _tag: "MsgRollForward" }>
    return {
      mode: "node-to-node",
      tip: Tip.toJson(tip),
      header_wrapper: header.byron === undefined
        ? { hfc_era_index: header.era }
        : { hfc_era_index: header.era, byron_subtag: header.byron.subtag, byron_size_hint: header.byron.sizeHint },
      header_hash_blake2b256: Cbor.toHex(headerHash(header)),
      header_cbor_len: header.bytes.length,
      header_cbor: Cbor.toHex(header.bytes)
    }
  })
