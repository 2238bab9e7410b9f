/**
 * A small simulated network for the initiator's behavior-level tests: an Interface whose peers are
 * scripted servers over a list of blocks, answering after a round trip driven by the Clock (so
 * TestClock runs it). It checks nothing; the protocol drivers are the mux's business.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { ChainBlock } from "../../../src/chain/Block.ts"
import type { InterfaceCommand, InterfaceEvent, InterfaceShape } from "../../../src/Interface.ts"
import type { Message } from "../../../src/Message.ts"
import type { PeerId } from "../../../src/Primitives.ts"
import type * as Handshake from "../../../src/protocol/Handshake.ts"
import { bytesEqual, type Point, type Tip } from "../../../src/protocol/Common.ts"
import { TransportError } from "../../../src/ProtocolError.ts"

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

const m = (protocol: string, tag: string, fields: object = {}): Message => ({ protocol, _tag: tag, ...fields }) as Message

const tipOf = (blocks: ReadonlyArray<ChainBlock>): Tip => {
  const last = blocks[blocks.length - 1]
  return last === undefined
    ? { point: { _tag: "Origin" }, blockNo: 0 }
    : { point: { _tag: "Specific", slot: last.slot, hash: last.hash }, blockNo: last.blockNo }
}

const indexOf = (blocks: ReadonlyArray<ChainBlock>, p: Point): number | undefined => {
  if (p._tag === "Origin") return -1
  const i = blocks.findIndex((b) => b.slot === p.slot && bytesEqual(b.hash, p.hash))
  return i < 0 ? undefined : i
}

export const make = Effect.fnUntraced(function*(peers: ReadonlyMap<PeerId, FakePeer>) {
  const events = yield* Queue.unbounded<InterfaceEvent>()
  const clock = yield* Clock.Clock
  const stats = { requestNext: 0, maxInFlight: 0, connects: new Map<PeerId, number>(), txs: [] as Array<unknown> }
  interface ConnState {
    cursor: number
    answered: number
    announced: number
    inFlight: number
    open: boolean
    readonly outbox: Array<readonly [number, Message | "close"]>
    wake: (() => void) | undefined
  }
  const conns = new Map<PeerId, ConnState>()

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
        c.outbox.shift()
        if (head[1] === "close") {
          c.open = false
          conns.delete(peer)
          Queue.offerUnsafe(events, { _tag: "Error", peer, error: new TransportError({ detail: "connection reset" }) })
          Queue.offerUnsafe(events, { _tag: "Disconnected", peer })
          return
        }
        Queue.offerUnsafe(events, { _tag: "Recv", peer, messages: [head[1]] })
      }
    })

  const answer = (c: ConnState, spec: FakePeer, message: Message) => {
    const at = clock.currentTimeMillisUnsafe() + spec.rtt
    const push = (reply: Message | "close") => {
      c.outbox.push([at, reply])
      c.wake?.()
    }
    const a = message as any
    const tip = tipOf(spec.blocks)
    switch (message._tag) {
      case "MsgProposeVersions": {
        const versions = [...(a.versionTable as Handshake.VersionTable).keys()]
        const v = Math.max(...versions)
        push(m("handshake", "MsgAcceptVersion", { version: v, versionData: { ...a.versionTable.get(v), initiatorOnlyDiffusionMode: false } }))
        return
      }
      case "MsgFindIntersect": {
        for (const p of a.points as ReadonlyArray<Point>) {
          const i = indexOf(spec.blocks, p)
          if (i !== undefined) {
            c.cursor = i
            push(m("chain-sync", "MsgIntersectFound", { point: p, tip }))
            return
          }
        }
        push(m("chain-sync", "MsgIntersectNotFound", { tip }))
        return
      }
      case "MsgRequestNext": {
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
          push(m("chain-sync", "MsgAwaitReply"))
          return
        }
        c.cursor++
        const lie = spec.lieAt !== undefined && c.cursor === spec.lieAt
        const header = lie ? spec.blocks[c.cursor + 1]!.header : next.header
        c.inFlight--
        push(m("chain-sync", "MsgRollForward", { header, tip }))
        return
      }
      case "MsgRequestRange": {
        const i = indexOf(spec.blocks, a.from)
        const j = indexOf(spec.blocks, a.to)
        if (i === undefined || j === undefined || i < 0 || j < i) {
          push(m("block-fetch", "MsgNoBlocks"))
          return
        }
        push(m("block-fetch", "MsgStartBatch"))
        for (let k = i; k <= j; k++) push(m("block-fetch", "MsgBlock", { block: { tag: 6, bytes: spec.blocks[k]!.bytes } }))
        push(m("block-fetch", "MsgBatchDone"))
        return
      }
      case "MsgKeepAlive":
        push(m("keep-alive", "MsgKeepAliveResponse", { cookie: spec.badCookie ? (a.cookie + 1) & 0xffff : a.cookie }))
        return
      case "MsgShareRequest":
        push(m("peer-sharing", "MsgSharePeers", {
          peers: (spec.share ?? []).slice(0, a.amount).map((p) => {
            const [ip, port] = p.split(":")
            return { ip, port: Number(port) }
          })
        }))
        return
      case "MsgInit":
        push(m("tx-submission2", "MsgRequestTxIds", { blocking: true, ack: 0, req: 3 }))
        return
      case "MsgReplyTxIds":
        c.announced = a.txIds.length
        push(m("tx-submission2", "MsgRequestTxs", { txIds: a.txIds.map((x: any) => x.txId) }))
        return
      case "MsgReplyTxs":
        stats.txs.push(...a.txs)
        push(m("tx-submission2", "MsgRequestTxIds", { blocking: true, ack: c.announced, req: 3 }))
        return
    }
  }

  const dispatch = (command: InterfaceCommand) =>
    Effect.gen(function*() {
      const peer = command.peer
      const spec = peers.get(peer)
      switch (command._tag) {
        case "Connect": {
          stats.connects.set(peer, (stats.connects.get(peer) ?? 0) + 1)
          if (spec === undefined || spec.down) {
            yield* Effect.forkDetach(Effect.sleep(spec?.rtt ?? 10).pipe(Effect.andThen(Effect.sync(() => {
              Queue.offerUnsafe(events, { _tag: "Error", peer, error: new TransportError({ detail: "connection refused" }) })
              Queue.offerUnsafe(events, { _tag: "Disconnected", peer })
            }))))
            return
          }
          const c: ConnState = { cursor: -1, answered: 0, announced: 0, inFlight: 0, open: true, outbox: [], wake: undefined }
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
          answer(c, spec, command.message)
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

  const iface: InterfaceShape = { dispatch, events: Stream.fromQueue(events) }
  return { iface, stats }
})
