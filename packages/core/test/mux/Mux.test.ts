import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Segment from "../../src/bearer/Segment.ts"
import { ProtocolViolation } from "../../src/ProtocolError.ts"
import * as Mux from "../../src/mux/Mux.ts"
import { BlockFetch, ChainSync, Handshake, KeepAlive, NodeToNode } from "../../src/protocol/index.ts"
import { Point } from "../../src/protocol/Common.ts"
import type { Message } from "../../src/Message.ts"
import { advanceBy } from "../utils/clock.ts"
import { fedMux } from "../utils/mux.ts"
import { ping, pingProtocol } from "../utils/pingProtocol.ts"

const table = Handshake.n2nVersionTable({ magic: 42 })

/** The peer's message as the segments its initiator side would send. */
const fromInitiator = (protocol: { readonly channel: number; readonly encode: (m: any) => Uint8Array }, message: Message) =>
  Segment.cut(protocol.encode(message), protocol.channel, false, 12_288, 0)

/**
 * A responder-side multiplexer of the node-to-node protocols over a bearer the test feeds (`push`);
 * what it writes is dropped.
 */
const responderMux = Effect.gen(function*() {
  const received: Array<string> = []
  const { incoming, mux } = yield* fedMux("responder", (ms) => Effect.sync(() => void received.push(...ms.map((m) => `${m.protocol} ${m._tag}`))))
  const closed = yield* Effect.forkChild(Effect.exit(mux.closed))
  // a few turns for the fibers the input woke
  const settle = Effect.andThen(Effect.yieldNow, Effect.andThen(Effect.yieldNow, Effect.yieldNow))
  const push = (pieces: ReadonlyArray<Uint8Array>) => Effect.andThen(Queue.offer(incoming, pieces), settle)
  const handshake = Effect.gen(function*() {
    yield* push(fromInitiator(Handshake.protocol, Handshake.make.propose(table)))
    yield* mux.send(Handshake.make.accept(14, table.get(14)!))
    yield* settle
  })
  return { mux, closed, received, push, settle, handshake }
})

/** The violation that closed the connection (polled: a connection still open fails the test at once). */
const violationOf = (closed: Fiber.Fiber<Exit.Exit<void, unknown>>): ProtocolViolation => {
  const outer = closed.pollUnsafe()
  assert.isDefined(outer, "the connection is still open")
  const exit = outer !== undefined && Exit.isSuccess(outer) ? outer.value : undefined
  assert.isTrue(exit !== undefined && Exit.isFailure(exit))
  const error = exit !== undefined && Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
  assert.instanceOf(error, ProtocolViolation)
  return error as ProtocolViolation
}

describe("Mux: idle channels hold no fiber and no queue", () => {
  it.effect("no instance runs a fiber before its channel carries a message; each wakes at its first message, either way", () =>
    Effect.gen(function*() {
      const { mux, push, settle, received } = yield* responderMux
      yield* settle
      assert.deepStrictEqual(mux.awake(), [])
      yield* push(fromInitiator(Handshake.protocol, Handshake.make.propose(table)))
      assert.deepStrictEqual(mux.awake(), ["handshake responder"])
      assert.deepStrictEqual(received, ["handshake MsgProposeVersions"])
      // our accept ends the handshake: its instance sleeps again
      yield* mux.send(Handshake.make.accept(14, table.get(14)!))
      yield* settle
      assert.deepStrictEqual(mux.awake(), [])
      // a message received wakes only its own instance
      yield* push(fromInitiator(KeepAlive.protocol, KeepAlive.make.keepAlive(7)))
      assert.deepStrictEqual(mux.awake(), ["keep-alive responder"])
      assert.deepStrictEqual(received, ["handshake MsgProposeVersions", "keep-alive MsgKeepAlive"])
    }).pipe(Effect.scoped))

  it.effect("a message sent starts no fiber: only a message received does (delivery is all an instance's fiber does)", () =>
    Effect.gen(function*() {
      const received: Array<string> = []
      const { incoming, mux } = yield* fedMux("initiator", (ms) => Effect.sync(() => void received.push(...ms.map((m) => m._tag))))
      yield* Effect.yieldNow
      assert.deepStrictEqual(mux.awake(), [])
      yield* mux.send(Handshake.make.propose(table))
      yield* Effect.yieldNow
      assert.deepStrictEqual(mux.awake(), [])
      const accept = Segment.cut(Handshake.protocol.encode(Handshake.make.accept(14, table.get(14)!)), 0, true, 12_288, 0)
      yield* Queue.offer(incoming, accept)
      yield* Effect.yieldNow
      yield* Effect.yieldNow
      // the answer woke the instance, which delivered it and, the handshake over, sleeps again
      assert.deepStrictEqual(received, ["MsgAcceptVersion"])
      assert.deepStrictEqual(mux.awake(), [])
    }).pipe(Effect.scoped))

  it.effect("a message on a channel whose protocol ended wakes it, and is the driver's violation", () =>
    Effect.gen(function*() {
      const { mux, closed, push, handshake } = yield* responderMux
      yield* handshake
      assert.deepStrictEqual(mux.awake(), [])
      yield* push(fromInitiator(Handshake.protocol, Handshake.make.propose(table)))
      const v = violationOf(closed)
      assert.strictEqual(v.protocol, "handshake")
      assert.strictEqual(v.kind, "UnexpectedMessage")
      assert.include(v.detail, "after the protocol ended")
    }).pipe(Effect.scoped))
})

describe("Mux: every timeout of a connection runs on its one timer (TestClock)", () => {
  it.effect("a peer that never proposes is closed at the handshake timeout (10 s), not before", () =>
    Effect.gen(function*() {
      const { mux, closed } = yield* responderMux
      yield* advanceBy(9_900)
      assert.isUndefined(closed.pollUnsafe())
      assert.deepStrictEqual(mux.awake(), [])
      yield* advanceBy(200)
      const v = violationOf(closed)
      assert.strictEqual(v.protocol, "handshake")
      assert.strictEqual(v.state, "Propose")
      assert.strictEqual(v.kind, "Timeout")
    }).pipe(Effect.scoped))

  it.effect("a proposal whose segment arrives just in time stops the handshake timer; the next deadline (keep-alive, 97 s) still holds", () =>
    Effect.gen(function*() {
      const { mux, closed, handshake } = yield* responderMux
      yield* advanceBy(9_900)
      yield* handshake
      yield* advanceBy(80_000)
      assert.isUndefined(closed.pollUnsafe())
      yield* advanceBy(7_300) // 97.2 s from the start
      const v = violationOf(closed)
      assert.strictEqual(v.protocol, "keep-alive")
      assert.strictEqual(v.state, "Client")
      assert.strictEqual(v.kind, "Timeout")
      assert.deepStrictEqual(mux.awake(), [])
    }).pipe(Effect.scoped))

  it.effect("keep-alive waits re-armed at each message move the one timer along; chain-sync's Idle timeout (3 673 s) from the start still fires", () =>
    Effect.gen(function*() {
      const { mux, closed, push, handshake, received } = yield* responderMux
      yield* handshake
      yield* advanceBy(96_000)
      yield* push(fromInitiator(KeepAlive.protocol, KeepAlive.make.keepAlive(1)))
      assert.deepStrictEqual(mux.awake(), ["keep-alive responder"])
      yield* mux.send(KeepAlive.make.response(1))
      // the keep-alive instance now waits for the next keep-alive (97 s from the answer)
      yield* advanceBy(60_000, 1_000)
      yield* push(fromInitiator(KeepAlive.protocol, KeepAlive.make.keepAlive(2)))
      yield* mux.send(KeepAlive.make.response(2))
      yield* advanceBy(60_000, 1_000)
      yield* push(fromInitiator(KeepAlive.protocol, KeepAlive.make.keepAlive(3)))
      yield* mux.send(KeepAlive.make.response(3))
      assert.isUndefined(closed.pollUnsafe())
      assert.strictEqual(received.filter((r) => r === "keep-alive MsgKeepAlive").length, 3)
      // chain-sync never spoke: its Idle timeout (3 673 s) runs from the start
      while ((yield* Clock.currentTimeMillis) < 3_600_000) {
        yield* advanceBy(60_000, 1_000)
        yield* push(fromInitiator(KeepAlive.protocol, KeepAlive.make.keepAlive(4)))
        yield* mux.send(KeepAlive.make.response(4))
      }
      yield* advanceBy(3_672_000 - (yield* Clock.currentTimeMillis), 1_000)
      assert.isUndefined(closed.pollUnsafe())
      yield* advanceBy(2_000)
      const v = violationOf(closed)
      assert.strictEqual(v.protocol, ChainSync.protocol.name)
      assert.strictEqual(v.state, "Idle")
      assert.strictEqual(v.kind, "Timeout")
    }).pipe(Effect.scoped))
})

describe("Mux write buffers", () => {
  /**
   * Three bursts written by a multiplexer running the ping protocol over a bearer recording its
   * writes: a ping of 200 kB (a write over the slab's 64 kB), a small one, another of 200 kB.
   */
  const threeBursts = (writesCopied: boolean) =>
    Effect.gen(function*() {
      const writes: Array<{ readonly chunk: Uint8Array; readonly copy: Uint8Array }> = []
      const incoming = yield* Queue.unbounded<ReadonlyArray<Uint8Array> | undefined>()
      const mux = yield* Mux.make({
        read: Queue.take(incoming),
        writesCopied,
        write: (chunks) => Effect.sync(() => void writes.push(...chunks.map((chunk) => ({ chunk, copy: chunk.slice() }))))
      }, {
        protocols: [pingProtocol({ maxInFlight: 8 })],
        initiator: true,
        responder: false,
        handshakeRole: "initiator",
        onReceive: () => Effect.void,
        onSent: () => Effect.void
      })
      const settle = Effect.andThen(Effect.yieldNow, Effect.andThen(Effect.yieldNow, Effect.yieldNow))
      for (const [n, size] of [[1, 200_000], [2, 100], [3, 200_000]] as const) {
        yield* mux.send(ping(n, new Uint8Array(size).fill(n)))
        yield* settle
      }
      // the three pings' bytes went out (a large one may take more than one write)
      assert.ok(writes.reduce((n, w) => n + w.copy.length, 0) > 400_100)
      return writes
    }).pipe(Effect.scoped)

  it.effect("a bearer whose writes copy gets its large writes from one reused buffer, its small ones from a slab", () =>
    Effect.gen(function*() {
      const writes = yield* threeBursts(true)
      const large = writes.filter((w) => w.chunk.length > 65_536)
      const small = writes.filter((w) => w.chunk.length <= 65_536 && w.chunk.length < 1_000)
      assert.ok(large.length >= 2 && small.length === 1)
      // the bursts before and after the small one wrote from the same buffer
      assert.strictEqual(large[0]!.chunk.buffer, large[large.length - 1]!.chunk.buffer)
      assert.notStrictEqual(small[0]!.chunk.buffer, large[0]!.chunk.buffer)
    }))

  it.effect("a bearer that keeps what it is given gets bytes nobody writes over", () =>
    Effect.gen(function*() {
      const writes = yield* threeBursts(false)
      // every write's bytes are still those it carried when written
      for (const w of writes) assert.isTrue(Buffer.from(w.chunk).equals(w.copy), "a write's bytes changed after it was written")
    }))
})

describe("Mux writes at once (Bearer.writeNow)", () => {
  /**
   * A multiplexer running the ping protocol over a bearer whose writer start the test runs
   * (`start`), whose `writeNow` answers `answer()` (undefined: written within the call), and whose
   * pool takes a report at once while `takes` is true.
   */
  const setup = (answer: () => Effect.Effect<void> | undefined, takes: boolean) =>
    Effect.gen(function*() {
      const writes: Array<Uint8Array> = []
      const tried: Array<number> = []
      const reported: Array<number> = []
      const starts: Array<() => void> = []
      const incoming = yield* Queue.unbounded<ReadonlyArray<Uint8Array> | undefined>()
      const nOf = (ms: ReadonlyArray<Message>) => ms.map((m) => (m as any).n as number)
      const mux = yield* Mux.make({
        read: Queue.take(incoming),
        deferWriter: (start) => void starts.push(start),
        write: () => Effect.die("write is not used when writeNow is there"),
        writeNow: (chunks) => {
          for (const c of chunks) writes.push(c.slice())
          return answer()
        }
      }, {
        protocols: [pingProtocol({ maxInFlight: 8 })],
        initiator: true,
        responder: false,
        handshakeRole: "initiator",
        onReceive: () => Effect.void,
        trySent: (ms) => takes && (tried.push(...nOf(ms)), true),
        onSent: (ms) => Effect.sync(() => void reported.push(...nOf(ms)))
      })
      const start = () => starts.shift()!()
      const settle = Effect.andThen(Effect.yieldNow, Effect.andThen(Effect.yieldNow, Effect.yieldNow))
      return { mux, writes, tried, reported, starts, start, settle }
    })

  it.effect("a burst written within the call is reported through trySent in the same call, in one write", () =>
    Effect.gen(function*() {
      const { mux, writes, tried, reported, starts, start } = yield* setup(() => undefined, true)
      yield* mux.send(ping(1))
      yield* mux.send(ping(2))
      assert.strictEqual(starts.length, 1, "one writer start asked for the burst")
      assert.strictEqual(writes.length, 0)
      start()
      assert.strictEqual(writes.length, 1)
      assert.deepStrictEqual(tried, [1, 2])
      assert.deepStrictEqual(reported, [])
      // the next burst asks for a start again (no writer was left running)
      yield* mux.send(ping(3))
      assert.strictEqual(starts.length, 1)
      start()
      assert.strictEqual(writes.length, 2)
      assert.deepStrictEqual(tried, [1, 2, 3])
    }).pipe(Effect.scoped))

  it.effect("a report the pool cannot take at once goes through onSent", () =>
    Effect.gen(function*() {
      const { mux, tried, reported, start, settle } = yield* setup(() => undefined, false)
      yield* mux.send(ping(1))
      start()
      yield* settle
      assert.deepStrictEqual(tried, [])
      assert.deepStrictEqual(reported, [1])
    }).pipe(Effect.scoped))

  it.effect("a write that has to wait holds what is sent meanwhile until it completes, then both are reported in order", () =>
    Effect.gen(function*() {
      let gate: Deferred.Deferred<void> | undefined = yield* Deferred.make<void>()
      const first = gate
      const { mux, writes, tried, reported, start, starts, settle } = yield* setup(() => {
        const g = gate
        gate = undefined
        return g === undefined ? undefined : Deferred.await(g)
      }, true)
      yield* mux.send(ping(1))
      start()
      yield* settle
      assert.strictEqual(writes.length, 1)
      yield* mux.send(ping(2))
      // the writer is running (waiting for the first write): no second start, nothing written yet
      assert.strictEqual(starts.length, 0)
      yield* settle
      assert.strictEqual(writes.length, 1)
      assert.deepStrictEqual([...tried, ...reported], [])
      yield* Deferred.succeed(first, undefined)
      yield* settle
      assert.strictEqual(writes.length, 2)
      // the writer fiber reports through onSent, in order
      assert.deepStrictEqual(reported, [1, 2])
    }).pipe(Effect.scoped))

  it.effect("a burst over the slab's 64 kB goes to the writer fiber, which writes it with writeNow too and reports it through onSent", () =>
    Effect.gen(function*() {
      const { mux, writes, tried, reported, start, settle } = yield* setup(() => undefined, true)
      yield* mux.send(ping(1, new Uint8Array(100_000).fill(1)))
      start()
      yield* settle
      assert.ok(writes.reduce((n, w) => n + w.length, 0) > 100_000)
      assert.deepStrictEqual(tried, [])
      assert.deepStrictEqual(reported, [1])
    }).pipe(Effect.scoped))
})

/**
 * A responder's multiplexer over a bearer that writes with `write` (and `deferWriter`, if given),
 * handshaken and asked for a range by the initiator: ready to stream a batch.
 */
const streamingResponder = (
  write: Mux.Bearer["write"],
  options: { readonly sduSize?: number; readonly deferWriter?: Mux.Bearer["deferWriter"]; readonly onSent?: Mux.MuxOptions["onSent"] } = {}
) =>
  Effect.gen(function*() {
    const incoming = yield* Queue.unbounded<ReadonlyArray<Uint8Array> | undefined>()
    const mux = yield* Mux.make({ read: Queue.take(incoming), write, ...(options.deferWriter ? { deferWriter: options.deferWriter } : {}) }, {
      protocols: NodeToNode.protocols,
      initiator: false,
      responder: true,
      handshakeRole: "responder",
      ...(options.sduSize !== undefined ? { sduSize: options.sduSize } : {}),
      onReceive: () => Effect.void,
      onSent: options.onSent ?? (() => Effect.void)
    })
    const settle = Effect.andThen(Effect.yieldNow, Effect.andThen(Effect.yieldNow, Effect.yieldNow))
    yield* Queue.offer(incoming, fromInitiator(Handshake.protocol, Handshake.make.propose(table)))
    yield* settle
    yield* mux.send(Handshake.make.accept(14, table.get(14)!))
    yield* Queue.offer(incoming, fromInitiator(BlockFetch.protocol, BlockFetch.make.requestRange(Point.origin, Point.origin)))
    yield* settle
    return { mux, settle }
  })

describe("Mux: a block written from its tag and bytes (Protocol.encodeWrapped)", () => {
  it.effect("the payload is the codec's encoding of each block, wherever a segment ends inside a head", () =>
    Effect.gen(function*() {
      const writes: Array<Uint8Array> = []
      const sent: Array<Message> = []
      // segments of 7 bytes: every head (6 to 9 bytes) of the blocks below is cut somewhere
      const { mux, settle } = yield* streamingResponder((chunks) => Effect.sync(() => void writes.push(...chunks.map((c) => c.slice()))), {
        sduSize: 7,
        onSent: (ms) => Effect.sync(() => void sent.push(...ms))
      })
      writes.length = 0
      // byte strings whose heads take 1, 2, 3 and 5 bytes after the 4 before them
      const sizes = [0, 5, 23, 24, 255, 256, 70_000]
      const blocks = sizes.map((n, i) => BlockFetch.make.block(new Uint8Array(n).fill(i + 1)))
      yield* mux.sendAll([BlockFetch.make.startBatch(), ...blocks, BlockFetch.make.batchDone()])
      yield* settle
      // the block-fetch payload, segment headers taken off
      const payload: Array<number> = []
      for (const w of writes) {
        for (let at = 0; at < w.length;) {
          const h = Segment.readHeader(w, at)
          if (h.protocol === BlockFetch.protocol.channel) payload.push(...w.subarray(at + Segment.HEADER_LENGTH, at + Segment.HEADER_LENGTH + h.length))
          at += Segment.HEADER_LENGTH + h.length
        }
      }
      const expected = [BlockFetch.make.startBatch(), ...blocks, BlockFetch.make.batchDone()].flatMap((m) => [...BlockFetch.protocol.encode(m)])
      assert.strictEqual(payload.length, expected.length)
      assert.isTrue(Buffer.from(payload).equals(Buffer.from(expected)), "the payload differs from the codec's encoding")
      // the blocks after the first are queued as one run (Driver.sendAgain): each is still reported
      // written once, in order, as the very message sent
      const reported = sent.filter((m) => m.protocol === "block-fetch")
      assert.strictEqual(reported.length, blocks.length + 2)
      assert.isTrue(blocks.every((b, i) => reported[i + 1] === b), "each block reported as sent, in order")
    }).pipe(Effect.scoped))
})

describe("Mux: a run of blocks queued as one entry", () => {
  it.effect("counts against the egress limit: a run past 64 MB waiting closes the connection, as single sends do", () =>
    Effect.gen(function*() {
      const writes: Array<number> = []
      // a bearer whose writer never starts: what is queued stays queued
      const { mux } = yield* streamingResponder((chunks) => Effect.sync(() => void writes.push(chunks.length)), { deferWriter: () => {} })
      const closed = yield* Effect.forkChild(Effect.exit(mux.closed))
      // 70 blocks of 1 MB (one array, counted 70 times): the run passes the limit at once
      const block = new Uint8Array(1_048_576)
      yield* mux.sendAll([BlockFetch.make.startBatch(), ...Array.from({ length: 70 }, () => BlockFetch.make.block(block))])
      const exit = yield* Fiber.join(closed)
      assert.ok(Exit.isFailure(exit))
      const error = Cause.squash(exit.cause) as { readonly _tag?: string; readonly detail?: string }
      assert.strictEqual(error._tag, "TransportError")
      assert.match(String(error.detail), /the peer is not reading/)
      assert.deepStrictEqual(writes, [])
    }).pipe(Effect.scoped))
})

describe("Mux.sendAll", () => {
  it.effect("sends every message in order in one write; at a message the driver refuses, the connection closes and nothing after it is queued", () =>
    Effect.gen(function*() {
      const writes: Array<Uint8Array> = []
      const incoming = yield* Queue.unbounded<ReadonlyArray<Uint8Array> | undefined>()
      const mux = yield* Mux.make({ read: Queue.take(incoming), write: (chunks) => Effect.sync(() => void writes.push(...chunks)) }, {
        protocols: NodeToNode.protocols,
        initiator: true,
        responder: false,
        handshakeRole: "initiator",
        onReceive: () => Effect.void,
        onSent: () => Effect.void
      })
      const closed = yield* Effect.forkChild(Effect.exit(mux.closed))
      const settle = Effect.andThen(Effect.yieldNow, Effect.andThen(Effect.yieldNow, Effect.yieldNow))
      yield* mux.sendAll([Handshake.make.propose(table), KeepAlive.make.keepAlive(5), ChainSync.make.requestNext()])
      yield* settle
      // one write: the three messages, each in a segment of its protocol (protocols take turns, so
      // only each protocol's own order is kept)
      assert.strictEqual(writes.length, 1)
      const channels: Array<number> = []
      for (let at = 0; at < writes[0]!.length;) {
        const h = Segment.readHeader(writes[0]!, at)
        channels.push(h.protocol)
        at += Segment.HEADER_LENGTH + h.length
      }
      assert.deepStrictEqual(channels.sort(), [Handshake.protocol.channel, ChainSync.protocol.channel, KeepAlive.protocol.channel].sort())
      // a server's message from the client side: refused; the valid (pipelined) request after it is not queued
      yield* mux.sendAll([ChainSync.make.awaitReply(), ChainSync.make.requestNext()])
      yield* settle
      assert.strictEqual(writes.length, 1, "nothing written after the refused message")
      const exit = yield* Fiber.join(closed)
      assert.ok(Exit.isFailure(exit))
    }).pipe(Effect.scoped))
})
