/**
 * A simulated network of scripted chain-sync servers for the initiator's behavior-level tests: each
 * peer accepts the handshake, answers keep-alive, intersects where its script says, and answers the
 * n-th MsgRequestNext with whatever chain-sync message its script returns (a roll forward or back to
 * anything, honest or not), after a round trip driven by the Clock (TestClock runs it). It counts
 * what it was asked and what it sent, so tests can bound the work a hostile peer causes.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { ChainBlock } from "../../../src/chain/Block.ts"
import type { InterfaceCommand, InterfaceEvent, InterfaceShape } from "../../../src/Interface.ts"
import type { PeerId } from "../../../src/Primitives.ts"
import * as ChainSync from "../../../src/protocol/ChainSync.ts"
import { Point, type Tip } from "../../../src/protocol/Common.ts"
import * as Handshake from "../../../src/protocol/Handshake.ts"
import * as KeepAlive from "../../../src/protocol/KeepAlive.ts"
import type { AnyNodeToNodeMessage } from "../../../src/protocol/NodeToNode.ts"

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
  const events = yield* Queue.unbounded<InterfaceEvent<Message>>()
  const clock = yield* Clock.Clock
  const stats: ScriptStats = { requestNext: new Map(), answers: new Map() }
  interface ConnState {
    asked: number
    open: boolean
    readonly outbox: Array<readonly [number, Message]>
    wake: (() => void) | undefined
  }
  const conns = new Map<PeerId, ConnState>()
  const bump = (map: Map<PeerId, number>, peer: PeerId) => map.set(peer, (map.get(peer) ?? 0) + 1)

  const deliver = (peer: PeerId, c: ConnState) =>
    Effect.gen(function*() {
      while (c.open) {
        const head = c.outbox[0]
        if (head === undefined) {
          yield* Effect.callback<void>((resume) => {
            c.wake = () => resume(Effect.void)
          })
          c.wake = undefined
          continue
        }
        const wait = head[0] - clock.currentTimeMillisUnsafe()
        if (wait > 0) yield* Effect.sleep(wait)
        if (!c.open) return
        c.outbox.shift()
        Queue.offerUnsafe(events, { _tag: "Recv", peer, messages: [head[1]] })
      }
    })

  const answer = (peer: PeerId, c: ConnState, spec: ScriptedPeer, message: Message) => {
    const push = (reply: Message) => {
      c.outbox.push([clock.currentTimeMillisUnsafe() + spec.rtt, reply])
      c.wake?.()
    }
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

  const dispatch = (command: InterfaceCommand<Message>) =>
    Effect.gen(function*() {
      const peer = command.peer
      const spec = peers.get(peer)
      switch (command._tag) {
        case "Connect": {
          if (spec === undefined) return
          const c: ConnState = { asked: 0, open: true, outbox: [], wake: undefined }
          conns.set(peer, c)
          yield* Effect.forkDetach(Effect.sleep(spec.rtt).pipe(
            Effect.andThen(Effect.sync(() => Queue.offerUnsafe(events, { _tag: "Connected", peer, direction: "outbound" }))),
            Effect.andThen(deliver(peer, c))
          ))
          return
        }
        case "Send": {
          const c = conns.get(peer)
          if (c === undefined || spec === undefined) return
          Queue.offerUnsafe(events, { _tag: "Sent", peer, messages: [command.message] })
          answer(peer, c, spec, command.message)
          return
        }
        case "Disconnect": {
          const c = conns.get(peer)
          if (c === undefined) return
          c.open = false
          c.wake?.()
          conns.delete(peer)
          Queue.offerUnsafe(events, { _tag: "Disconnected", peer })
          return
        }
      }
    })

  const iface: InterfaceShape<Message> = { dispatch, events: Stream.fromQueue(events) }
  return { iface, stats, connected: (peer: PeerId) => conns.has(peer) }
})
