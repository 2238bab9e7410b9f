/**
 * A small simulated network for the initiator's behavior-level tests: an Interface whose peers are
 * scripted servers over a list of blocks, answering after a round trip driven by the Clock (so
 * TestClock runs it). It checks nothing; the protocol drivers are the mux's business.
 */
import * as Effect from "effect/Effect"
import type { ChainBlock } from "../../../src/chain/Block.ts"
import type { PeerId } from "../../../src/Primitives.ts"
import * as BlockFetch from "../../../src/protocol/BlockFetch.ts"
import * as ChainSync from "../../../src/protocol/ChainSync.ts"
import { bytesEqual, Point, type Tip } from "../../../src/protocol/Common.ts"
import * as Handshake from "../../../src/protocol/Handshake.ts"
import * as KeepAlive from "../../../src/protocol/KeepAlive.ts"
import * as PeerSharing from "../../../src/protocol/PeerSharing.ts"
import * as TxSubmission2 from "../../../src/protocol/TxSubmission2.ts"
import * as ScriptedNet from "./scriptedNet.ts"


export interface FakePeer {
  readonly blocks: ReadonlyArray<ChainBlock>
  /** Round trip (ms). */
  readonly rtt: number
  /** Refuse the connection. */
  readonly down?: boolean
  /** Close the connection after this many chain-sync answers. */
  readonly dropAfter?: number
  /** Answer keep-alive with a wrong cookie. */
  readonly badCookie?: boolean
  /** Send a header that does not link (at this index). */
  readonly lieAt?: number
  /** Peers to share. */
  readonly share?: ReadonlyArray<PeerId>
}

const tipOf = (blocks: ReadonlyArray<ChainBlock>): Tip => {
  const last = blocks[blocks.length - 1]
  return last === undefined
    ? { point: Point.origin, blockNo: 0 }
    : { point: { _tag: "Specific", slot: last.slot, hash: last.hash }, blockNo: last.blockNo }
}

const indexOf = (blocks: ReadonlyArray<ChainBlock>, p: Point): number | undefined => {
  if (p._tag === "Origin") return -1
  const i = blocks.findIndex((b) => b.slot === p.slot && bytesEqual(b.hash, p.hash))
  return i < 0 ? undefined : i
}

export const make = Effect.fnUntraced(function*(peers: ReadonlyMap<PeerId, FakePeer>) {
  const stats = { requestNext: 0, maxInFlight: 0, connects: new Map<PeerId, number>(), txs: new Array<unknown>() }
  interface ConnState extends ScriptedNet.Conn {
    cursor: number
    answered: number
    announced: number
    inFlight: number
  }
  const net = yield* ScriptedNet.make<ConnState>({
    connect: (peer) => {
      stats.connects.set(peer, (stats.connects.get(peer) ?? 0) + 1)
      const spec = peers.get(peer)
      if (spec === undefined || spec.down) return { refuseAfter: spec?.rtt ?? 10 }
      return { conn: { ...ScriptedNet.openConn(), cursor: -1, answered: 0, announced: 0, inFlight: 0 }, rtt: spec.rtt }
    },
    answer: (peer, c, message, push) => {
      const spec = peers.get(peer)!
      const tip = tipOf(spec.blocks)
      switch (message.protocol) {
        case "handshake": {
          if (message._tag !== "MsgProposeVersions") return
          const v = Math.max(...message.versionTable.keys())
          push(Handshake.make.accept(v, { ...message.versionTable.get(v)!, initiatorOnlyDiffusionMode: false }))
          return
        }
        case "chain-sync": {
          if (message._tag === "MsgFindIntersect") {
            for (const p of message.points) {
              const i = indexOf(spec.blocks, p)
              if (i !== undefined) {
                c.cursor = i
                push(ChainSync.make.intersectFound(p, tip))
                return
              }
            }
            push(ChainSync.make.intersectNotFound(tip))
            return
          }
          if (message._tag !== "MsgRequestNext") return
          stats.requestNext++
          c.inFlight++
          stats.maxInFlight = Math.max(stats.maxInFlight, c.inFlight)
          c.answered++
          if (spec.dropAfter !== undefined && c.answered > spec.dropAfter) {
            push("close")
            return
          }
          const next = spec.blocks[c.cursor + 1]
          if (next === undefined) {
            push(ChainSync.make.awaitReply())
            return
          }
          c.cursor++
          const lie = spec.lieAt !== undefined && c.cursor === spec.lieAt
          const header = lie ? spec.blocks[c.cursor + 1]!.header : next.header
          c.inFlight--
          push(ChainSync.make.rollForward(header, tip))
          return
        }
        case "block-fetch": {
          if (message._tag !== "MsgRequestRange") return
          const i = indexOf(spec.blocks, message.from)
          const j = indexOf(spec.blocks, message.to)
          if (i === undefined || j === undefined || i < 0 || j < i) {
            push(BlockFetch.make.noBlocks())
            return
          }
          push(BlockFetch.make.startBatch())
          for (let k = i; k <= j; k++) push(BlockFetch.make.block(spec.blocks[k]!.bytes))
          push(BlockFetch.make.batchDone())
          return
        }
        case "keep-alive":
          if (message._tag === "MsgKeepAlive") {
            push(KeepAlive.make.response(spec.badCookie ? (message.cookie + 1) & 0xffff : message.cookie))
          }
          return
        case "peer-sharing":
          if (message._tag === "MsgShareRequest") {
            push(PeerSharing.make.sharePeers((spec.share ?? []).slice(0, message.amount).map((p) => {
              const [ip, port] = p.split(":")
              return { _tag: "IPv4", ip: ip!, port: Number(port) }
            })))
          }
          return
        case "tx-submission2":
          if (message._tag === "MsgInit") push(TxSubmission2.make.requestTxIds(true, 0, 3))
          else if (message._tag === "MsgReplyTxIds") {
            c.announced = message.txIds.length
            push(TxSubmission2.make.requestTxs(message.txIds.map((x) => x.txId)))
          } else if (message._tag === "MsgReplyTxs") {
            stats.txs.push(...message.txs)
            push(TxSubmission2.make.requestTxIds(true, c.announced, 3))
          }
          return
      }
    }
  })
  return { iface: net.iface, stats }
})
