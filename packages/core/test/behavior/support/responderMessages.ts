/**
 * Client-side messages for the responder's tests (made by the protocol modules' constructors, version
 * tables by `Handshake.n2nVersionTable`), and readers of its answers.
 */
import type { ChainBlock } from "../../../src/chain/Block.ts"
import * as BlockFetch from "../../../src/protocol/BlockFetch.ts"
import * as ChainSync from "../../../src/protocol/ChainSync.ts"
import { type EraTx, type EraTxId, Point, type WrappedHeader } from "../../../src/protocol/Common.ts"
import * as Handshake from "../../../src/protocol/Handshake.ts"
import * as KeepAlive from "../../../src/protocol/KeepAlive.ts"
import type { AnyNodeToNodeMessage } from "../../../src/protocol/NodeToNode.ts"
import * as PeerSharing from "../../../src/protocol/PeerSharing.ts"
import * as TxSubmission2 from "../../../src/protocol/TxSubmission2.ts"

/** A version table's options, as `Handshake.n2nVersionTable` takes them (the magic defaults to mainnet's). */
export type TableOptions = Partial<Parameters<typeof Handshake.n2nVersionTable>[0]>

const table = (versions: ReadonlyArray<number>, options: TableOptions): Handshake.VersionTable =>
  Handshake.n2nVersionTable({ magic: 764824073, ...options, versions })

const unexpected = (msg: AnyNodeToNodeMessage, what: string): never => {
  throw new Error(`expected ${what}, got ${msg.protocol} ${msg._tag}`)
}

export const propose = (versions: ReadonlyArray<number>, options: TableOptions): AnyNodeToNodeMessage =>
  Handshake.make.propose(table(versions, options))
export const acceptVersion = (version: number, options: TableOptions): AnyNodeToNodeMessage =>
  Handshake.make.accept(version, table([version], options).get(version)!)
export const acceptedVersion = (msg: AnyNodeToNodeMessage): number =>
  msg.protocol === "handshake" && msg._tag === "MsgAcceptVersion" ? msg.version : unexpected(msg, "MsgAcceptVersion")

export const requestNext = (): AnyNodeToNodeMessage => ChainSync.make.requestNext()
export const findIntersect = (points: ReadonlyArray<Point>): AnyNodeToNodeMessage => ChainSync.make.findIntersect(points)
export const pointOfRollBackward = (msg: AnyNodeToNodeMessage): Point =>
  msg.protocol === "chain-sync" && msg._tag === "MsgRollBackward" ? msg.point : unexpected(msg, "MsgRollBackward")
export const headerOf = (msg: AnyNodeToNodeMessage): WrappedHeader =>
  msg.protocol === "chain-sync" && msg._tag === "MsgRollForward" ? msg.header : unexpected(msg, "MsgRollForward")
export const rollForwardFor = (block: ChainBlock): AnyNodeToNodeMessage =>
  ChainSync.make.rollForward(block.header, { point: Point.origin, blockNo: 0 })

export const requestRange = (from: Point, to: Point): AnyNodeToNodeMessage => BlockFetch.make.requestRange(from, to)
export const blockBytes = (msg: AnyNodeToNodeMessage): Uint8Array =>
  msg.protocol === "block-fetch" && msg._tag === "MsgBlock" ? msg.block.bytes : unexpected(msg, "MsgBlock")

export const keepAlive = (cookie: number): AnyNodeToNodeMessage => KeepAlive.make.keepAlive(cookie)
export const cookieOf = (msg: AnyNodeToNodeMessage): number =>
  msg.protocol === "keep-alive" && msg._tag === "MsgKeepAliveResponse" ? msg.cookie : unexpected(msg, "MsgKeepAliveResponse")

export const shareRequest = (amount: number): AnyNodeToNodeMessage => PeerSharing.make.shareRequest(amount)
export const sharedPeers = (msg: AnyNodeToNodeMessage): Array<string> =>
  msg.protocol === "peer-sharing" && msg._tag === "MsgSharePeers"
    ? msg.peers.map((p) => `${p.ip}:${p.port}`)
    : unexpected(msg, "MsgSharePeers")

export const txInit = (): AnyNodeToNodeMessage => TxSubmission2.make.init()
export const txIdsRequest = (msg: AnyNodeToNodeMessage): { blocking: boolean; ack: number; req: number } =>
  msg.protocol === "tx-submission2" && msg._tag === "MsgRequestTxIds"
    ? { blocking: msg.blocking, ack: msg.ack, req: msg.req }
    : unexpected(msg, "MsgRequestTxIds")
export const replyTxIds = (ids: ReadonlyArray<readonly [EraTxId, number]>): AnyNodeToNodeMessage =>
  TxSubmission2.make.replyTxIds(ids.map(([txId, size]) => ({ txId, size })))
export const replyTxs = (txs: ReadonlyArray<EraTx>): AnyNodeToNodeMessage => TxSubmission2.make.replyTxs(txs)
