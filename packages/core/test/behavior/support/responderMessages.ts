/**
 * Client-side messages for the responder's tests, and readers of its answers.
 */
import type { ChainBlock } from "../../../src/chain/Block.ts"
import type { Message } from "../../../src/Message.ts"
import type { EraTx, EraTxId, Point, WrappedHeader } from "../../../src/protocol/Common.ts"

export interface VersionDataFields {
  readonly networkMagic: number
  readonly initiatorOnlyDiffusionMode: boolean
  readonly peerSharing: number
  readonly query: boolean
}

const m = (protocol: string, tag: string, fields: object = {}): Message => ({ protocol, _tag: tag, ...fields }) as Message
const data = (fields: Partial<VersionDataFields>): VersionDataFields => ({
  networkMagic: 764824073,
  initiatorOnlyDiffusionMode: false,
  peerSharing: 1,
  query: false,
  ...fields
})

export const propose = (versions: ReadonlyArray<number>, fields: Partial<VersionDataFields>): Message =>
  m("handshake", "MsgProposeVersions", { versionTable: new Map(versions.map((v) => [v, data(fields)])) })
export const acceptVersion = (version: number, fields: Partial<VersionDataFields>): Message =>
  m("handshake", "MsgAcceptVersion", { version, versionData: data(fields) })
export const acceptedVersion = (msg: Message): number => (msg as unknown as { version: number }).version

export const requestNext = (): Message => m("chain-sync", "MsgRequestNext")
export const findIntersect = (points: ReadonlyArray<Point>): Message => m("chain-sync", "MsgFindIntersect", { points })
export const pointOfRollBackward = (msg: Message): Point => (msg as unknown as { point: Point }).point
export const headerOf = (msg: Message): WrappedHeader => (msg as unknown as { header: WrappedHeader }).header
export const rollForwardFor = (block: ChainBlock): Message =>
  m("chain-sync", "MsgRollForward", { header: block.header, tip: { point: { _tag: "Origin" }, blockNo: 0 } })

export const requestRange = (from: Point, to: Point): Message => m("block-fetch", "MsgRequestRange", { from, to })
export const blockBytes = (msg: Message): Uint8Array => (msg as unknown as { block: { bytes: Uint8Array } }).block.bytes

export const keepAlive = (cookie: number): Message => m("keep-alive", "MsgKeepAlive", { cookie })
export const cookieOf = (msg: Message): number => (msg as unknown as { cookie: number }).cookie

export const shareRequest = (amount: number): Message => m("peer-sharing", "MsgShareRequest", { amount })
export const sharedPeers = (msg: Message): Array<string> =>
  (msg as unknown as { peers: ReadonlyArray<{ ip: string; port: number }> }).peers.map((p) => `${p.ip}:${p.port}`)

export const txInit = (): Message => m("tx-submission2", "MsgInit")
export const txIdsRequest = (msg: Message): { blocking: boolean; ack: number; req: number } => {
  const r = msg as unknown as { blocking: boolean; ack: number; req: number }
  return { blocking: r.blocking, ack: r.ack, req: r.req }
}
export const replyTxIds = (ids: ReadonlyArray<readonly [EraTxId, number]>): Message =>
  m("tx-submission2", "MsgReplyTxIds", { txIds: ids.map(([txId, size]) => ({ txId, size })) })
export const replyTxs = (txs: ReadonlyArray<EraTx>): Message => m("tx-submission2", "MsgReplyTxs", { txs })
