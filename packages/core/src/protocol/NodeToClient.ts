/**
 * The node-to-client mini-protocols, by channel: local chain-sync (5), local tx-submission (6),
 * local state query (7) and local tx-monitor (9). (The node-to-client handshake on channel 0 has its
 * own module.)
 *
 * @since 0.1.0
 */
import type * as Handshake from "./Handshake.ts"
import * as LocalChainSync from "./LocalChainSync.ts"
import * as LocalStateQuery from "./LocalStateQuery.ts"
import * as LocalTxMonitor from "./LocalTxMonitor.ts"
import * as LocalTxSubmission from "./LocalTxSubmission.ts"
import type { Protocol } from "./Protocol.ts"

/**
 * Any node-to-client mini-protocol message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = LocalChainSync.Message | LocalTxSubmission.Message | LocalStateQuery.Message | LocalTxMonitor.Message

/**
 * Any message of a node-to-client connection: the handshake's and the four local mini-protocols'.
 *
 * @category models
 * @since 0.3.0
 */
export type AnyNodeToClientMessage = Handshake.Message | Message

/**
 * The node-to-client mini-protocols, in channel order.
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocols: ReadonlyArray<
  | typeof LocalChainSync.protocol
  | typeof LocalTxSubmission.protocol
  | typeof LocalStateQuery.protocol
  | typeof LocalTxMonitor.protocol
> = [
  LocalChainSync.protocol,
  LocalTxSubmission.protocol,
  LocalStateQuery.protocol,
  LocalTxMonitor.protocol
]

/**
 * The node-to-client mini-protocol on a channel, if any.
 *
 * @category protocols
 * @since 0.1.0
 */
export const byChannel = (channel: number): Protocol<any> | undefined => protocols.find((x) => x.channel === channel)
