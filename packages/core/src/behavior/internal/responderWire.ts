/**
 * The messages the responder reads and writes, in one place: received messages are classified into
 * the requests it serves, and its answers are built here.
 *
 * @internal
 */
import type { Message } from "../../Message.ts"
import type { PeerId } from "../../Primitives.ts"
import type { EraTx, EraTxId, Point, Tip, WrappedHeader } from "../../protocol/Common.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import { parseIpv4, tcpAddress } from "./peerSelection.ts"

// TODO(wire): replace with the Handshake module's types once it lands
export interface VersionData {
  readonly networkMagic: number
  readonly initiatorOnlyDiffusionMode: boolean
  readonly peerSharing: number
  readonly query: boolean
  readonly perasSupport?: boolean | undefined
  /** Set when the peer's data for this version could not be read (see Handshake.VersionData). */
  readonly undecoded?: unknown
}
export type VersionTable = ReadonlyMap<number, VersionData>

export const versionTable = (s: {
  readonly versions: ReadonlyArray<number>
  readonly networkMagic: number
  readonly initiatorOnly: boolean
  readonly peerSharing: boolean
}): VersionTable =>
  new Map(
    [...s.versions].sort((a, b) => a - b).map((v) => [v, {
      networkMagic: s.networkMagic,
      initiatorOnlyDiffusionMode: s.initiatorOnly,
      peerSharing: s.peerSharing ? 1 : 0,
      query: false,
      ...(v >= 16 ? { perasSupport: false } : {})
    }] as const)
  )

export const describeVersionData = (d: VersionData): string =>
  `magic ${d.networkMagic}, ${d.initiatorOnlyDiffusionMode ? "initiator-only" : "duplex"}, peer-sharing ${
    d.peerSharing > 0 ? "on" : "off"
  }${d.query ? ", query" : ""}`

export const sharesPeers = (d: VersionData): boolean => d.peerSharing > 0
export const initiatorOnly = (d: VersionData): boolean => d.initiatorOnlyDiffusionMode

export type Negotiation =
  | { readonly _tag: "Accept"; readonly version: number; readonly data: VersionData; readonly query: boolean }
  | { readonly _tag: "Refuse"; readonly reason: unknown; readonly text: string }

/** The reference negotiation (Handshake.negotiate), with a line for the log and the peer's query flag. */
export const negotiate = (ours: VersionTable, theirs: VersionTable): Negotiation => {
  const n = Handshake.negotiate(ours, theirs)
  if (n._tag === "Accept") return { _tag: "Accept", version: n.version, data: n.data as VersionData, query: theirs.get(n.version)?.query ?? false }
  const r = n.reason
  const text = r._tag === "VersionMismatch"
    ? `no common version (ours ${[...ours.keys()].join(", ")}; theirs ${[...theirs.keys()].join(", ")})`
    : r.message
  return { _tag: "Refuse", reason: r, text }
}

export const refuseTag = "MsgRefuse"
export const queryReplyTag = "MsgQueryReply"
export const refuse = (reason: unknown): Message => ({ protocol: "handshake", _tag: "MsgRefuse", reason } as Message)
export const queryReply = (table: VersionTable): Message =>
  ({ protocol: "handshake", _tag: "MsgQueryReply", versionTable: table }) as Message
export const accept = (version: number, data: VersionData): Message =>
  ({ protocol: "handshake", _tag: "MsgAcceptVersion", version, versionData: data }) as Message

// chain-sync
export const rollForward = (header: WrappedHeader, tip: Tip): Message =>
  ({ protocol: "chain-sync", _tag: "MsgRollForward", header, tip }) as Message
export const rollBackward = (point: Point, tip: Tip): Message =>
  ({ protocol: "chain-sync", _tag: "MsgRollBackward", point, tip }) as Message
export const awaitReply = (): Message => ({ protocol: "chain-sync", _tag: "MsgAwaitReply" })
export const intersectFound = (point: Point, tip: Tip): Message =>
  ({ protocol: "chain-sync", _tag: "MsgIntersectFound", point, tip }) as Message
export const intersectNotFound = (tip: Tip): Message =>
  ({ protocol: "chain-sync", _tag: "MsgIntersectNotFound", tip }) as Message

// block-fetch
export const noBlocks = (): Message => ({ protocol: "block-fetch", _tag: "MsgNoBlocks" })
export const startBatch = (): Message => ({ protocol: "block-fetch", _tag: "MsgStartBatch" })
export const batchDone = (): Message => ({ protocol: "block-fetch", _tag: "MsgBatchDone" })
export const block = (bytes: Uint8Array): Message =>
  ({ protocol: "block-fetch", _tag: "MsgBlock", block: { tag: -1, bytes } }) as Message
export const isBlock = (m: Message): boolean => m.protocol === "block-fetch" && m._tag === "MsgBlock"

// keep-alive
export const keepAliveResponse = (cookie: number): Message =>
  ({ protocol: "keep-alive", _tag: "MsgKeepAliveResponse", cookie }) as Message

// peer-sharing
export type SharedAddress = unknown
export const peerAddress = (peer: PeerId): SharedAddress | undefined => {
  const a = tcpAddress(peer)
  if (a === undefined) return undefined
  const ip = parseIpv4(a.host)
  return ip === undefined ? undefined : { _tag: "IPv4", ip: a.host, port: a.port }
}
export const sharePeers = (peers: ReadonlyArray<SharedAddress>): Message =>
  ({ protocol: "peer-sharing", _tag: "MsgSharePeers", peers }) as Message

// tx-submission2
export const requestTxIds = (blocking: boolean, ack: number, req: number): Message =>
  ({ protocol: "tx-submission2", _tag: "MsgRequestTxIds", blocking, ack, req }) as Message
export const requestTxs = (ids: ReadonlyArray<EraTxId>): Message =>
  ({ protocol: "tx-submission2", _tag: "MsgRequestTxs", txIds: ids }) as Message

// received requests
export type ChainSyncRequest =
  | { readonly protocol: "chain-sync"; readonly _tag: "FindIntersect"; readonly points: ReadonlyArray<Point> }
  | { readonly protocol: "chain-sync"; readonly _tag: "RequestNext" }
  | { readonly protocol: "chain-sync"; readonly _tag: "Done" }
export type BlockFetchRequest =
  | { readonly protocol: "block-fetch"; readonly _tag: "RequestRange"; readonly from: Point; readonly to: Point }
  | { readonly protocol: "block-fetch"; readonly _tag: "Done" }
export type PeerSharingRequest =
  | { readonly protocol: "peer-sharing"; readonly _tag: "ShareRequest"; readonly amount: number }
  | { readonly protocol: "peer-sharing"; readonly _tag: "Done" }
export type TxSubmissionReply =
  | { readonly protocol: "tx-submission2"; readonly _tag: "Init" }
  | {
    readonly protocol: "tx-submission2"
    readonly _tag: "ReplyTxIds"
    readonly ids: ReadonlyArray<readonly [EraTxId, number]>
  }
  | { readonly protocol: "tx-submission2"; readonly _tag: "ReplyTxs"; readonly txs: ReadonlyArray<EraTx> }
  | { readonly protocol: "tx-submission2"; readonly _tag: "Done" }
export type KeepAliveRequest =
  | { readonly protocol: "keep-alive"; readonly _tag: "KeepAlive"; readonly cookie: number }
  | { readonly protocol: "keep-alive"; readonly _tag: "Done" }
export type HandshakeMessage =
  | { readonly protocol: "handshake"; readonly _tag: "Propose"; readonly versions: VersionTable }
  | { readonly protocol: "handshake"; readonly _tag: "Accept"; readonly version: number; readonly data: VersionData }
  | { readonly protocol: "handshake"; readonly _tag: "Other" }

export type Request =
  | ChainSyncRequest
  | BlockFetchRequest
  | PeerSharingRequest
  | TxSubmissionReply
  | KeepAliveRequest
  | HandshakeMessage

/**
 * The request a received message carries, or `undefined` for a message that is an answer to our own
 * initiator side (a client-side message on a duplex connection).
 */
export const classify = (m: Message): Request | undefined => {
  const f = m as unknown as Record<string, any>
  switch (m.protocol) {
    case "handshake":
      switch (m._tag) {
        case "MsgProposeVersions":
          return { protocol: "handshake", _tag: "Propose", versions: f.versionTable }
        case "MsgAcceptVersion":
          return { protocol: "handshake", _tag: "Accept", version: f.version, data: f.versionData }
        default:
          return { protocol: "handshake", _tag: "Other" }
      }
    case "chain-sync":
      switch (m._tag) {
        case "MsgFindIntersect":
          return { protocol: "chain-sync", _tag: "FindIntersect", points: f.points }
        case "MsgRequestNext":
          return { protocol: "chain-sync", _tag: "RequestNext" }
        case "MsgDone":
          return { protocol: "chain-sync", _tag: "Done" }
      }
      return undefined
    case "block-fetch":
      switch (m._tag) {
        case "MsgRequestRange":
          return { protocol: "block-fetch", _tag: "RequestRange", from: f.from, to: f.to }
        case "MsgClientDone":
          return { protocol: "block-fetch", _tag: "Done" }
      }
      return undefined
    case "keep-alive":
      switch (m._tag) {
        case "MsgKeepAlive":
          return { protocol: "keep-alive", _tag: "KeepAlive", cookie: f.cookie }
        case "MsgDone":
          return { protocol: "keep-alive", _tag: "Done" }
      }
      return undefined
    case "peer-sharing":
      switch (m._tag) {
        case "MsgShareRequest":
          return { protocol: "peer-sharing", _tag: "ShareRequest", amount: f.amount }
        case "MsgDone":
          return { protocol: "peer-sharing", _tag: "Done" }
      }
      return undefined
    case "tx-submission2":
      switch (m._tag) {
        case "MsgInit":
          return { protocol: "tx-submission2", _tag: "Init" }
        case "MsgReplyTxIds":
          return {
            protocol: "tx-submission2",
            _tag: "ReplyTxIds",
            ids: (f.txIds as ReadonlyArray<{ txId: EraTxId; size: number }>).map((t) => [t.txId, t.size] as const)
          }
        case "MsgReplyTxs":
          return { protocol: "tx-submission2", _tag: "ReplyTxs", txs: f.txs }
        case "MsgDone":
          return { protocol: "tx-submission2", _tag: "Done" }
      }
      return undefined
    default:
      return undefined
  }
}
