/**
 * The node-to-node protocol set: what a connection between two nodes runs.
 *
 * @since 0.1.0
 */
import * as BlockFetch from "./BlockFetch.ts"
import * as ChainSync from "./ChainSync.ts"
import * as Handshake from "./Handshake.ts"
import * as KeepAlive from "./KeepAlive.ts"
import * as PeerSharing from "./PeerSharing.ts"
import * as TxSubmission2 from "./TxSubmission2.ts"

/**
 * Any node-to-node message.
 *
 * @category models
 * @since 0.1.0
 */
export type AnyNodeToNodeMessage =
  | Handshake.Message
  | ChainSync.Message
  | BlockFetch.Message
  | TxSubmission2.Message
  | KeepAlive.Message
  | PeerSharing.Message

/**
 * The node-to-node mini-protocols, for an Interface's `protocols` option: an Interface built from
 * them carries {@link AnyNodeToNodeMessage}s.
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocols: ReadonlyArray<
  | typeof Handshake.protocol
  | typeof ChainSync.protocol
  | typeof BlockFetch.protocol
  | typeof TxSubmission2.protocol
  | typeof KeepAlive.protocol
  | typeof PeerSharing.protocol
> = [
  Handshake.protocol,
  ChainSync.protocol,
  BlockFetch.protocol,
  TxSubmission2.protocol,
  KeepAlive.protocol,
  PeerSharing.protocol
]
