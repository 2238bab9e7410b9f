/**
 * The contract every mini-protocol message meets: it names its protocol and its kind, and its
 * protocol's {@link Protocol} definition knows its channel and how it becomes payload bytes and back.
 *
 * @since 0.1.0
 */

/**
 * The names of the mini-protocols, node-to-node and node-to-client.
 *
 * @category models
 * @since 0.1.0
 */
export type ProtocolName =
  | "handshake"
  | "chain-sync"
  | "block-fetch"
  | "tx-submission2"
  | "keep-alive"
  | "peer-sharing"
  | "local-chain-sync"
  | "local-tx-submission"
  | "local-state-query"
  | "local-tx-monitor"

/**
 * A mini-protocol message: a plain tagged object whose `protocol` says which mini-protocol it
 * belongs to and whose `_tag` says which message it is (`"MsgRequestNext"`, ...).
 *
 * @example
 * ```ts
 * import type { Message } from "@pallas-network2/core"
 * const isRollForward = (m: Message) => m.protocol === "chain-sync" && m._tag === "MsgRollForward"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Message {
  readonly protocol: ProtocolName
  readonly _tag: string
}
