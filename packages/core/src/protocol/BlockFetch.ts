/**
 * Block-fetch (node-to-node, mini-protocol 3): the client asks for a range of blocks, the server
 * streams them in a batch. Blocks are kept as the exact bytes received ({@link WrappedBlock}).
 *
 * @since 0.1.0
 */
import { Point, PointSchema, WrappedBlock, WrappedBlockSchema } from "./Common.ts"
import * as M from "./internal/messages.ts"
import * as Protocol from "./Protocol.ts"

const point = M.F.of(PointSchema, Point, Point.toJson)

const messages = M.table("block-fetch", [
  M.msg(0, "MsgRequestRange", "requestRange", [["from", point], ["to", point]]),
  M.msg(1, "MsgClientDone", "clientDone", []),
  M.msg(2, "MsgStartBatch", "startBatch", []),
  M.msg(3, "MsgNoBlocks", "noBlocks", []),
  M.msg(4, "MsgBlock", "block", [["block", M.F.of(WrappedBlockSchema, WrappedBlock)]], {
    args: (bytes: Uint8Array) => [WrappedBlock.fromBytes(bytes)],
    json: (m) => ({ block_type_tag: m.block.tag, block_size: m.block.bytes.length })
  }),
  M.msg(5, "MsgBatchDone", "batchDone", [])
])

/**
 * Client: asks for the blocks from one point to another, both included. `[0, from, to]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRequestRange = messages.schemas.MsgRequestRange
/**
 * Client: ends the protocol. `[1]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgClientDone = messages.schemas.MsgClientDone
/**
 * Server: the requested range follows, one `MsgBlock` per block. `[2]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgStartBatch = messages.schemas.MsgStartBatch
/**
 * Server: it does not have the whole requested range. `[3]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgNoBlocks = messages.schemas.MsgNoBlocks
/**
 * Server: one block of the batch, wrapped in CBOR tag 24. `[4, #6.24(block)]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgBlock = messages.schemas.MsgBlock
/**
 * Server: the batch is complete. `[5]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgBatchDone = messages.schemas.MsgBatchDone

/**
 * Every block-fetch message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = messages.MessageSchema

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
export const make = messages.make

/**
 * The exact codec.
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = messages.codec

/**
 * The block-fetch protocol (channel 3; 2.5 MB per streamed block, 60 s timeouts, 100 requests in flight).
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocol = Protocol.define<Message>()({
  name: "block-fetch",
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
})

/**
 * The JSON form the CLI prints.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = messages.toJson
