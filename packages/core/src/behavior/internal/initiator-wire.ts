/**
 * The messages the initiator writes and reads, in one place: its requests are built here, and what it
 * receives is classified into the answers it handles.
 *
 * @internal
 */
import type { Message } from "../../Message.ts"
import { PeerId } from "../../Primitives.ts"
import type { EraTx, EraTxId, Point, Tip, WrappedHeader } from "../../protocol/Common.ts"

/** Node-to-node version data (v11 and later). */
export interface VersionData {
  readonly networkMagic: number
  readonly initiatorOnlyDiffusionMode: boolean
  readonly peerSharing: number
  readonly query: boolean
  readonly perasSupport?: boolean | undefined
}

/** Version number to version data. */
export type VersionTable = ReadonlyMap<number, VersionData>

/** Our proposal. */
export const versionTable = (s: {
  readonly versions: ReadonlyArray<number>
  readonly networkMagic: number
  readonly initiatorOnly: boolean
  readonly peerSharing: boolean
  readonly query: boolean
}): VersionTable =>
  new Map(
    [...s.versions].sort((a, b) => a - b).map((v) => [v, {
      networkMagic: s.networkMagic,
      initiatorOnlyDiffusionMode: s.initiatorOnly,
      peerSharing: s.peerSharing ? 1 : 0,
      query: s.query,
      ...(v >= 16 ? { perasSupport: false } : {})
    }] as const)
  )

/** One line about version data. */
export const describeVersionData = (d: VersionData): string =>
  `magic ${d.networkMagic}, ${d.initiatorOnlyDiffusionMode ? "initiator-only" : "duplex"}, peer-sharing ${
    d.peerSharing > 0 ? "on" : "off"
  }${d.query ? ", query" : ""}`

// ---- outbound -------------------------------------------------------------------------------------

export const proposeVersions = (table: VersionTable): Message =>
  ({ protocol: "handshake", _tag: "MsgProposeVersions", versionTable: table }) as Message
export const findIntersect = (points: ReadonlyArray<Point>): Message =>
  ({ protocol: "chain-sync", _tag: "MsgFindIntersect", points }) as Message
export const requestNext = (): Message => ({ protocol: "chain-sync", _tag: "MsgRequestNext" })
export const requestRange = (from: Point, to: Point): Message =>
  ({ protocol: "block-fetch", _tag: "MsgRequestRange", from, to }) as Message
export const keepAlive = (cookie: number): Message =>
  ({ protocol: "keep-alive", _tag: "MsgKeepAlive", cookie }) as Message
export const isKeepAlive = (m: Message): m is Message & { readonly cookie: number } =>
  m.protocol === "keep-alive" && m._tag === "MsgKeepAlive"
export const shareRequest = (amount: number): Message =>
  ({ protocol: "peer-sharing", _tag: "MsgShareRequest", amount }) as Message
export const txInit = (): Message => ({ protocol: "tx-submission2", _tag: "MsgInit" })
export const replyTxIds = (ids: ReadonlyArray<readonly [EraTxId, number]>): Message =>
  ({ protocol: "tx-submission2", _tag: "MsgReplyTxIds", txIds: ids.map(([txId, size]) => ({ txId, size })) }) as Message
export const replyTxs = (txs: ReadonlyArray<EraTx>): Message =>
  ({ protocol: "tx-submission2", _tag: "MsgReplyTxs", txs }) as Message

// ---- inbound --------------------------------------------------------------------------------------

/** What the initiator handles of a received message. */
export type Inbound =
  | { readonly _tag: "Accept"; readonly version: number; readonly data: VersionData | undefined }
  | { readonly _tag: "Refuse"; readonly reason: string }
  | { readonly _tag: "QueryReply"; readonly table: VersionTable }
  | { readonly _tag: "IntersectFound"; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "IntersectNotFound"; readonly tip: Tip }
  | { readonly _tag: "RollForward"; readonly header: WrappedHeader; readonly tip: Tip }
  | { readonly _tag: "RollBackward"; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "AwaitReply" }
  | { readonly _tag: "StartBatch" }
  | { readonly _tag: "NoBlocks" }
  | { readonly _tag: "Block"; readonly bytes: Uint8Array }
  | { readonly _tag: "BatchDone" }
  | { readonly _tag: "KeepAliveResponse"; readonly cookie: number }
  | { readonly _tag: "SharePeers"; readonly peers: ReadonlyArray<PeerId> }
  | { readonly _tag: "RequestTxIds"; readonly blocking: boolean; readonly ack: number; readonly req: number }
  | { readonly _tag: "RequestTxs"; readonly ids: ReadonlyArray<EraTxId> }
  | { readonly _tag: "Other" }

const OTHER: Inbound = { _tag: "Other" }

/** Reads a received message (anything that is not an answer to the initiator is `Other`). */
export const classify = (m: Message): Inbound => {
  const a = m as unknown as Record<string, any>
  switch (m.protocol) {
    case "handshake":
      switch (m._tag) {
        case "MsgAcceptVersion":
          return { _tag: "Accept", version: a.version, data: a.versionData }
        case "MsgRefuse":
          return { _tag: "Refuse", reason: describeRefuse(a.reason) }
        case "MsgQueryReply":
          return { _tag: "QueryReply", table: a.versionTable }
      }
      return OTHER
    case "chain-sync":
      switch (m._tag) {
        case "MsgIntersectFound":
          return { _tag: "IntersectFound", point: a.point, tip: a.tip }
        case "MsgIntersectNotFound":
          return { _tag: "IntersectNotFound", tip: a.tip }
        case "MsgRollForward":
          return { _tag: "RollForward", header: a.header, tip: a.tip }
        case "MsgRollBackward":
          return { _tag: "RollBackward", point: a.point, tip: a.tip }
        case "MsgAwaitReply":
          return { _tag: "AwaitReply" }
      }
      return OTHER
    case "block-fetch":
      switch (m._tag) {
        case "MsgStartBatch":
          return { _tag: "StartBatch" }
        case "MsgNoBlocks":
          return { _tag: "NoBlocks" }
        case "MsgBlock":
          return { _tag: "Block", bytes: a.block.bytes }
        case "MsgBatchDone":
          return { _tag: "BatchDone" }
      }
      return OTHER
    case "keep-alive":
      return m._tag === "MsgKeepAliveResponse" ? { _tag: "KeepAliveResponse", cookie: a.cookie } : OTHER
    case "peer-sharing":
      return m._tag === "MsgSharePeers"
        ? { _tag: "SharePeers", peers: (a.peers as ReadonlyArray<any>).flatMap((p) => addressToPeer(p)) }
        : OTHER
    case "tx-submission2":
      switch (m._tag) {
        case "MsgRequestTxIds":
          return { _tag: "RequestTxIds", blocking: a.blocking, ack: a.ack, req: a.req }
        case "MsgRequestTxs":
          return { _tag: "RequestTxs", ids: a.txIds }
      }
      return OTHER
  }
  return OTHER
}

/** A shared peer address as a peer id (`[]` when it cannot be one). */
export const addressToPeer = (address: any): Array<PeerId> => {
  if (address === null || typeof address !== "object") return []
  if (typeof address.ip === "string" && typeof address.port === "number") {
    return [PeerId.tcp(address.ip, address.port)]
  }
  return []
}

/** A refuse reason as text. */
export const describeRefuse = (reason: any): string => {
  if (reason === null || typeof reason !== "object") return String(reason)
  switch (reason._tag) {
    case "VersionMismatch":
      return `version mismatch (the peer supports ${(reason.versions as Array<number>).join(", ")})`
    case "HandshakeDecodeError":
      return `the peer could not decode our version data for v${reason.version}: ${reason.message}`
    case "Refused":
      return `refused v${reason.version}: ${reason.message}`
  }
  return JSON.stringify(reason)
}
