/**
 * Chain-sync (node-to-node, mini-protocol 2): a client follows a server's chain header by header.
 * RollForward carries the header with its hard-fork wrapping (a {@link WrappedHeader}), kept as the
 * exact bytes received.
 *
 * @since 0.1.0
 */
import * as Cbor from "../cbor/Cbor.ts"
import { WrappedHeader, WrappedHeaderSchema } from "./Common.ts"
import { headerHash } from "../chain/Block.ts"
import * as Family from "./internal/chainSyncFamily.ts"
import * as M from "./internal/messages.ts"

const chainSync = Family.protocol({
  name: "chain-sync",
  channel: 2,
  // 1.1 x high mark (300) x 1 400 bytes
  ingressLimit: 462_000,
  maxInFlight: 300,
  // byte limits and timeouts of the network spec (idle: the spec's 3 673 s, the code has 3 373 s)
  states: {
    Idle: { agency: "client", byteLimit: 65_535, timeout: 3_673_000 },
    CanAwait: { agency: "server", byteLimit: 65_535, timeout: 10_000 },
    MustReply: { agency: "server", byteLimit: 65_535, timeout: [601_000, 911_000] },
    Intersect: { agency: "server", byteLimit: 65_535, timeout: 10_000 },
    Done: "nobody"
  },
  content: ["header", M.F.of(WrappedHeaderSchema, WrappedHeader)],
  contentJson: (header) => ({
    header_wrapper: header.byron === undefined
      ? { hfc_era_index: header.era }
      : { hfc_era_index: header.era, byron_subtag: header.byron.subtag, byron_size_hint: header.byron.sizeHint },
    header_hash_blake2b256: Cbor.toHex(headerHash(header)),
    header_cbor_len: header.bytes.length,
    header_cbor: Cbor.toHex(header.bytes)
  })
})

/**
 * The chain-sync state machine's moves, shared by node-to-node chain-sync and local chain-sync.
 *
 * @category protocols
 * @since 0.1.0
 */
export const transitions = Family.transitions

/**
 * The chain-sync messages, a Schema each:
 * - `MsgRequestNext`, client: asks for the next update after its read pointer. `[0]`.
 * - `MsgAwaitReply`, server: the client has reached the tip; the next update comes when the chain
 *   moves. `[1]`.
 * - `MsgRollForward`, server: the next header, with its era, and the server's tip.
 *   `[2, [era, #6.24(header)], tip]`.
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
  chainSync.schemas

/**
 * The chain-sync protocol (channel 2, the spec's byte limits and timeouts, up to 300 requests in
 * flight) and its messages: `MessageSchema` (every message), `make` (their constructors), `codec`
 * (the exact CBOR codec) and `toJson` (the JSON form the CLI prints: the header with its wrapping,
 * hash, size and hex bytes).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = chainSync

/**
 * A chain-sync message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
