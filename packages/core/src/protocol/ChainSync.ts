/**
 * Chain-sync (node-to-node, mini-protocol 2): a client follows a server's chain header by header.
 * RollForward carries the header with its hard-fork wrapping (a {@link WrappedHeader}), kept as the
 * exact bytes received.
 *
 * @since 0.1.0
 */
import * as Cbor from "../cbor/Cbor.ts"
import { Tip, WrappedHeader, WrappedHeaderSchema } from "./Common.ts"
import { headerHash } from "../chain/Block.ts"
import * as Family from "./internal/chainSyncFamily.ts"
import * as M from "./internal/messages.ts"
import * as Protocol from "./Protocol.ts"

const messages = Family.table("chain-sync", ["header", M.F.of(WrappedHeaderSchema, WrappedHeader)], ({ header, tip }) => ({
  mode: "node-to-node",
  tip: Tip.toJson(tip),
  header_wrapper: header.byron === undefined
    ? { hfc_era_index: header.era }
    : { hfc_era_index: header.era, byron_subtag: header.byron.subtag, byron_size_hint: header.byron.sizeHint },
  header_hash_blake2b256: Cbor.toHex(headerHash(header)),
  header_cbor_len: header.bytes.length,
  header_cbor: Cbor.toHex(header.bytes)
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
 * Server: the next header, with its era, and the server's tip. `[2, [era, #6.24(header)], tip]`.
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
 * Every chain-sync message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = messages.MessageSchema

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
export const make = messages.make

/**
 * The CBOR codec (exact bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = messages.codec

/**
 * The chain-sync state machine's moves, shared by node-to-node chain-sync and local chain-sync.
 *
 * @category protocols
 * @since 0.1.0
 */
export const transitions = Family.transitions

/**
 * The chain-sync protocol: channel 2, the spec's byte limits and timeouts, up to 300 requests in flight.
 *
 * @category protocol
 * @since 0.1.0
 */
export const protocol = Protocol.define<Message>()({
  name: "chain-sync",
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
})

/**
 * The JSON form the CLI prints (the header with its wrapping, hash, size and hex bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = messages.toJson
