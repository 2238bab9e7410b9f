/**
 * Local chain-sync (node-to-client, mini-protocol 5): chain-sync whose RollForward carries the full
 * block `#6.24([blockTag, block])` (a {@link WrappedBlock}) instead of a header.
 *
 * @since 0.1.0
 */
import * as Cbor from "../cbor/Cbor.ts"
import { WrappedBlock, WrappedBlockSchema } from "./Common.ts"
import * as Family from "./internal/chainSyncFamily.ts"
import * as M from "./internal/messages.ts"

const localChainSync = Family.protocol({
  name: "local-chain-sync",
  channel: 5,
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  // node-to-client: no byte limits or timeouts
  states: { Idle: "client", CanAwait: "server", MustReply: "server", Intersect: "server", Done: "nobody" },
  content: ["block", M.F.of(WrappedBlockSchema, WrappedBlock)],
  contentJson: (block) => ({
    block_type_tag: block.tag,
    block_size: block.bytes.length,
    block_cbor_tag24: Cbor.toHex(block.bytes)
  })
})

/**
 * The local chain-sync messages, a Schema each:
 * - `MsgRequestNext`, client: asks for the next update after its read pointer. `[0]`.
 * - `MsgAwaitReply`, server: the client has reached the tip; the next update comes when the chain
 *   moves. `[1]`.
 * - `MsgRollForward`, server: the next block, and the server's tip. `[2, #6.24(block), tip]`.
 * - `MsgRollBackward`, server: the client rolls back to this point; carries the server's tip.
 *   `[3, point, tip]`.
 * - `MsgFindIntersect`, client: offers points, newest first, to find the newest one both chains
 *   share. `[4, [* point]]`.
 * - `MsgIntersectFound`, server: the first offered point on its chain, and its tip; the read pointer
 *   moves there. `[5, point, tip]`.
 * - `MsgIntersectNotFound`, server: none of the offered points is on its chain; carries its tip.
 *   `[6, tip]`.
 * - `MsgDone`, client: ends the protocol. `[7]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgRequestNext, MsgAwaitReply, MsgRollForward, MsgRollBackward, MsgFindIntersect, MsgIntersectFound, MsgIntersectNotFound, MsgDone } =
  localChainSync.schemas

/**
 * The local chain-sync protocol (channel 5, no byte limits or timeouts) and its messages:
 * `MessageSchema` (every message), `make` (their constructors), `codec` (the exact CBOR codec) and
 * `toJson` (the JSON form the CLI prints: the block as its tag, size and hex bytes).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = localChainSync

/**
 * A local chain-sync message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
