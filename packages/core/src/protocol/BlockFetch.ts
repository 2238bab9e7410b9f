/**
 * Block-fetch (node-to-node, mini-protocol 3): the client asks for a range of blocks, the server
 * streams them in a batch. Blocks are kept as the exact bytes received ({@link WrappedBlock}).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Point, PointSchema, WrappedBlock, WrappedBlockSchema } from "./Common.ts"
import * as C from "./internal/codec.ts"
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("block-fetch")
const p = "block-fetch" as const

/**
 * Client: asks for the blocks from one point to another, both included. `[0, from, to]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRequestRange = Schema.TaggedStruct("MsgRequestRange", { protocol: tag, from: PointSchema, to: PointSchema })
/**
 * Client: ends the protocol. `[1]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgClientDone = Schema.TaggedStruct("MsgClientDone", { protocol: tag })
/**
 * Server: the requested range follows, one `MsgBlock` per block. `[2]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgStartBatch = Schema.TaggedStruct("MsgStartBatch", { protocol: tag })
/**
 * Server: it does not have the whole requested range. `[3]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgNoBlocks = Schema.TaggedStruct("MsgNoBlocks", { protocol: tag })
/**
 * Server: one block of the batch, wrapped in CBOR tag 24. `[4, #6.24(block)]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgBlock = Schema.TaggedStruct("MsgBlock", { protocol: tag, block: WrappedBlockSchema })
/**
 * Server: the batch is complete. `[5]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgBatchDone = Schema.TaggedStruct("MsgBatchDone", { protocol: tag })

/**
 * Every block-fetch message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = Schema.Union([MsgRequestRange, MsgClientDone, MsgStartBatch, MsgNoBlocks, MsgBlock, MsgBatchDone])

/**
 * A block-fetch message.
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
  requestRange: (from: Point, to: Point): Message => ({ protocol: p, _tag: "MsgRequestRange", from, to }),
  clientDone: (): Message => ({ protocol: p, _tag: "MsgClientDone" }),
  startBatch: (): Message => ({ protocol: p, _tag: "MsgStartBatch" }),
  noBlocks: (): Message => ({ protocol: p, _tag: "MsgNoBlocks" }),
  block: (bytes: Uint8Array): Message => ({ protocol: p, _tag: "MsgBlock", block: WrappedBlock.fromBytes(bytes) }),
  batchDone: (): Message => ({ protocol: p, _tag: "MsgBatchDone" })
} as const

const simple = ["MsgRequestRange", "MsgClientDone", "MsgStartBatch", "MsgNoBlocks", "MsgBlock", "MsgBatchDone"] as const

/**
 * The exact codec.
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = C.makeCodec<Message, typeof MessageSchema>(p, MessageSchema, (m) => {
  switch (m._tag) {
    case "MsgRequestRange":
      return [0, Point.toCbor(m.from), Point.toCbor(m.to)]
    case "MsgBlock":
      return [4, WrappedBlock.toCbor(m.block)]
    default:
      return [simple.indexOf(m._tag)]
  }
}, (v) => {
  const [t, a] = C.messageTag(v, p)
  switch (t) {
    case 0:
      C.arrayOf(v, 3, "MsgRequestRange")
      return make.requestRange(Point.fromCbor(a[1]!), Point.fromCbor(a[2]!))
    case 4:
      C.arrayOf(v, 2, "MsgBlock")
      return { protocol: p, _tag: "MsgBlock", block: WrappedBlock.fromCbor(a[1]!) }
    case 1:
    case 2:
    case 3:
    case 5:
      C.arrayOf(v, 1, simple[t]!)
      return { protocol: p, _tag: simple[t]! } as Message
    default:
      return C.fail(`block-fetch: unknown message tag ${t}`)
  }
})

/**
 * The block-fetch protocol (channel 3; 2.5 MB per streamed block, 60 s timeouts, 100 requests in flight).
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: p,
  channel: 3,
  initialState: "Idle",
  states: {
    Idle: { agency: "client", byteLimit: 65_535 },
    Busy: { agency: "server", byteLimit: 65_535, timeout: 60_000 },
    Streaming: { agency: "server", byteLimit: 2_500_000, timeout: 60_000 },
    Done: { agency: "nobody" }
  },
  transitions: [
    { from: "Idle", message: "MsgRequestRange", to: "Busy" },
    { from: "Idle", message: "MsgClientDone", to: "Done" },
    { from: "Busy", message: "MsgStartBatch", to: "Streaming" },
    { from: "Busy", message: "MsgNoBlocks", to: "Idle" },
    { from: "Streaming", message: "MsgBlock", to: "Streaming" },
    { from: "Streaming", message: "MsgBatchDone", to: "Idle" }
  ],
  // 1.1 x max(10 x 2 097 154, 100 x 90 112)
  ingressLimit: 23_068_694,
  maxInFlight: 100,
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
    case "MsgRequestRange":
      return { msg: m._tag, from: Point.toJson(m.from), to: Point.toJson(m.to) }
    case "MsgBlock":
      return { msg: m._tag, block_type_tag: m.block.tag, block_size: m.block.bytes.length }
    default:
      return { msg: m._tag }
  }
}
