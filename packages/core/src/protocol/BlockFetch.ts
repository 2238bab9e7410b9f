/**
 * Block-fetch (node-to-node, mini-protocol 3): the client asks for a range of blocks, the server
 * streams them in a batch. Blocks are kept as the exact bytes received ({@link WrappedBlock}).
 *
 * @since 0.1.0
 */
import { Point, PointSchema, WrappedBlock, WrappedBlockSchema } from "./Common.ts"
import * as M from "./internal/messages.ts"

const point = M.F.of(PointSchema, Point, Point.toJson)

const blockFetch = M.protocol({
  name: "block-fetch",
  channel: 3,
  // 1.1 x max(10 x 2 097 154, 100 x 90 112)
  ingressLimit: 23_068_694,
  maxInFlight: 100,
  messages: [
    M.msg(0, "MsgRequestRange", "requestRange", [["from", point], ["to", point]]),
    M.msg(1, "MsgClientDone", "clientDone", []),
    M.msg(2, "MsgStartBatch", "startBatch", []),
    M.msg(3, "MsgNoBlocks", "noBlocks", []),
    M.msg(4, "MsgBlock", "block", [["block", M.F.of(WrappedBlockSchema, WrappedBlock)]], {
      args: (bytes: Uint8Array) => [WrappedBlock.fromBytes(bytes)],
      json: (m) => ({ block_type_tag: m.block.tag, block_size: m.block.bytes.length })
    }),
    M.msg(5, "MsgBatchDone", "batchDone", [])
  ],
  initialState: "Idle",
  states: {
    Idle: { agency: "client", byteLimit: 65_535 },
    Busy: { agency: "server", byteLimit: 65_535, timeout: 60_000 },
    Streaming: { agency: "server", byteLimit: 2_500_000, timeout: 60_000 },
    Done: "nobody"
  },
  transitions: {
    Idle: { MsgRequestRange: "Busy", MsgClientDone: "Done" },
    Busy: { MsgStartBatch: "Streaming", MsgNoBlocks: "Idle" },
    Streaming: { MsgBlock: "Streaming", MsgBatchDone: "Idle" }
  }
})

/**
 * The block-fetch messages, a Schema each:
 * - `MsgRequestRange`, client: asks for the blocks from one point to another, both included. `[0, from, to]`.
 * - `MsgClientDone`, client: ends the protocol. `[1]`.
 * - `MsgStartBatch`, server: the requested range follows, one `MsgBlock` per block. `[2]`.
 * - `MsgNoBlocks`, server: it does not have the whole requested range. `[3]`.
 * - `MsgBlock`, server: one block of the batch, wrapped in CBOR tag 24. `[4, #6.24(block)]`.
 * - `MsgBatchDone`, server: the batch is complete. `[5]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgRequestRange, MsgClientDone, MsgStartBatch, MsgNoBlocks, MsgBlock, MsgBatchDone } = blockFetch.schemas

/**
 * The block-fetch protocol (channel 3; 2.5 MB per streamed block, 60 s timeouts, 100 requests in
 * flight) and its messages: `MessageSchema` (every message), `make` (their constructors), `codec`
 * (the exact CBOR codec) and `toJson` (the JSON form the CLI prints).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = blockFetch

/**
 * A block-fetch message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
