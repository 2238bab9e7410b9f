/**
 * Local chain-sync (node-to-client, mini-protocol 5): chain-sync whose RollForward carries the full
 * block `#6.24([blockTag, block])` (a {@link WrappedBlock}) instead of a header.
 *
 * @since 0.1.0
 */
import * as Cbor from "../cbor/Cbor.ts"
import { Tip, WrappedBlock, WrappedBlockSchema } from "./Common.ts"
import * as Family from "./internal/chainSyncFamily.ts"
import * as M from "./internal/messages.ts"
import * as Protocol from "./Protocol.ts"

const messages = Family.table("local-chain-sync", ["block", M.F.of(WrappedBlockSchema, WrappedBlock)], ({ block, tip }) => ({
  mode: "node-to-client",
  tip: Tip.toJson(tip),
  block_type_tag: block.tag,
  block_size: block.bytes.length,
  block_cbor_tag24: Cbor.toHex(block.bytes)
}))

/**
 * Client: asks for the next update after its read pointer. `[0]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRequestNext = messages.schemas.MsgRequestNext
/**
 * Server: the client has reached the tip; the next update comes when the chain moves. `[1]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgAwaitReply = messages.schemas.MsgAwaitReply
/**
 * Server: the next block, and the server's tip. `[2, #6.24(block), tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRollForward = messages.schemas.MsgRollForward
/**
 * Server: the client rolls back to this point; carries the server's tip. `[3, point, tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRollBackward = messages.schemas.MsgRollBackward
/**
 * Client: offers points, newest first, to find the newest one both chains share. `[4, [* point]]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgFindIntersect = messages.schemas.MsgFindIntersect
/**
 * Server: the first offered point on its chain, and its tip; the read pointer moves there. `[5, point, tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgIntersectFound = messages.schemas.MsgIntersectFound
/**
 * Server: none of the offered points is on its chain; carries its tip. `[6, tip]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgIntersectNotFound = messages.schemas.MsgIntersectNotFound
/**
 * Client: ends the protocol. `[7]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = messages.schemas.MsgDone

/**
 * Every local chain-sync message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = messages.MessageSchema

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
export const make = messages.make

/**
 * The CBOR codec (exact bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = messages.codec

/**
 * The local chain-sync protocol: channel 5, no byte limits or timeouts.
 *
 * @category protocol
 * @since 0.1.0
 */
export const protocol = Protocol.define<Message>()({
  name: "local-chain-sync",
  channel: 5,
  initialState: "Idle",
  states: {
    Idle: { agency: "client" },
    CanAwait: { agency: "server" },
    MustReply: { agency: "server" },
    Intersect: { agency: "server" },
    Done: { agency: "nobody" }
  },
  transitions: Family.transitions,
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  ...codec
})

/**
 * The JSON form the CLI prints (the block as its tag, size and hex bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = messages.toJson
