/**
 * A simulated network of scripted chain-sync servers for the initiator's behavior-level tests: each
 * peer accepts the handshake, answers keep-alive, intersects where its script says, and answers the
 * n-th MsgRequestNext with whatever chain-sync message its script returns (a roll forward or back to
 * anything, honest or not), after a round trip driven by the Clock (TestClock runs it). It counts
 * what it was asked and what it sent, so tests can bound the work a hostile peer causes.
 */
import * as Effect from "effect/Effect"
import type { ChainBlock } from "../../../src/chain/Block.ts"
import type { PeerId } from "../../../src/Primitives.ts"
import * as ChainSync from "../../../src/protocol/ChainSync.ts"
import { Point, type Tip } from "../../../src/protocol/Common.ts"
import * as Handshake from "../../../src/protocol/Handshake.ts"
import * as KeepAlive from "../../../src/protocol/KeepAlive.ts"
import type { AnyNodeToNodeMessage } from "../../../src/protocol/NodeToNode.ts"
import * as ScriptedNet from "./scriptedNet.ts"

type Message = AnyNodeToNodeMessage

/** One scripted server. */
export interface ScriptedPeer {
  /** Round trip (ms). */
  readonly rtt: number
  /** Where every FindIntersect is found (default the origin), and the tip announced then. */
  readonly intersect?: { readonly point: Point; readonly tip: Tip }
  /**
   * The answer to the i-th MsgRequestNext of the connection (from 0): a chain-sync message (build
   * it with {@link rollForward} or {@link rollBackward}); `undefined` answers MsgAwaitReply and
   * nothing after it.
   */
  readonly next: (i: number) => Message | undefined
}

/** The point of a block. */
export const pointOf = (b: ChainBlock): Point => ({ _tag: "Specific", slot: b.slot, hash: b.hash })

/** The tip at a block. */
export const tipOf = (b: ChainBlock): Tip => ({ point: pointOf(b), blockNo: b.blockNo })

/** MsgRollForward with a block's header. */
export const rollForward = (b: ChainBlock, tip: Tip = tipOf(b)): Message =>
  ChainSync.make.rollForward(b.header, tip)

/** MsgRollBackward to a point. */
export const rollBackward = (point: Point, tip: Tip): Message => ChainSync.make.rollBackward(point, tip)

/** What the servers saw and sent. */
export interface ScriptStats {
  /** MsgRequestNext received, per peer (over all its connections). */
  readonly requestNext: Map<PeerId, number>
  /** Chain-sync answers sent (roll forward or back), per peer. */
  readonly answers: Map<PeerId, number>
}

export const make = Effect.fnUntraced(function*(peers: ReadonlyMap<PeerId, ScriptedPeer>) {
  const stats: ScriptStats = { requestNext: new Map(), answers: new Map() }
  const bump = (map: Map<PeerId, number>, peer: PeerId) => map.set(peer, (map.get(peer) ?? 0) + 1)
  const net = yield* ScriptedNet.make<ScriptedNet.Conn & { asked: number }>({
    connect: (peer) => {
      const spec = peers.get(peer)
      return spec === undefined ? undefined : { conn: { ...ScriptedNet.openConn(), asked: 0 }, rtt: spec.rtt }
    },
    answer: (peer, c, message, push) => {
      const spec = peers.get(peer)!
      switch (message.protocol) {
        case "handshake": {
          if (message._tag !== "MsgProposeVersions") return
          const v = Math.max(...message.versionTable.keys())
          push(Handshake.make.accept(v, { ...message.versionTable.get(v)!, peerSharing: 0 }))
          return
        }
        case "chain-sync": {
          if (message._tag === "MsgFindIntersect") {
            const at = spec.intersect ?? { point: Point.origin, tip: { point: Point.origin, blockNo: 0 } }
            push(ChainSync.make.intersectFound(at.point, at.tip))
          } else if (message._tag === "MsgRequestNext") {
            bump(stats.requestNext, peer)
            const reply = spec.next(c.asked++)
            if (reply === undefined) {
              push(ChainSync.make.awaitReply())
              return
            }
            bump(stats.answers, peer)
            push(reply)
          }
          return
        }
        case "keep-alive":
          if (message._tag === "MsgKeepAlive") push(KeepAlive.make.response(message.cookie))
          return
      }
    }
  })
  return { iface: net.iface, stats, connected: net.connected }
})
