import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { BlockFetch, ChainSync, Driver, NodeToClient, NodeToNode } from "../../src/protocol/index.ts"
import { Point } from "../../src/protocol/Common.ts"
import type { Protocol } from "../../src/protocol/Protocol.ts"
import { ping, pingProtocol, pong } from "../utils/pingProtocol.ts"

const violation = (step: Driver.Step<any>) => (step._tag === "Violation" ? step.error.kind : undefined)

describe("Driver: early messages (the peer ahead of our answers)", () => {
  it("a block nobody asked for is a violation at once, not queued", () => {
    const client = Driver.make(BlockFetch.protocol, "initiator")
    // block-fetch client in Idle (our agency): no answer of ours makes MsgBlock allowed next
    const step = client.recv(BlockFetch.make.block(new Uint8Array([0x80])), 2)
    assert.strictEqual(violation(step), "UnexpectedMessage")
    assert.strictEqual(client.heldBytes(), 0)
    // MsgStartBatch could follow a request of ours: held, its bytes counted, then MsgBlock may follow it
    const c2 = Driver.make(BlockFetch.protocol, "initiator")
    assert.strictEqual(c2.recv(BlockFetch.make.startBatch(), 2)._tag, "Deliver")
    assert.strictEqual(c2.recv(BlockFetch.make.block(new Uint8Array([0x80])), 40)._tag, "Deliver")
    assert.strictEqual(c2.heldBytes(), 42 + 2 * Driver.HELD_MESSAGE_CHARGE)
    assert.strictEqual(violation(c2.recv(BlockFetch.make.startBatch(), 2)), "UnexpectedMessage", "StartBatch inside a batch")
  })

  it("a pipelining client's requests wait for our answers; once answered they are delivered and no longer held", () => {
    const server = Driver.make(ChainSync.protocol, "responder")
    assert.deepStrictEqual((server.recv(ChainSync.make.requestNext(), 2) as any).messages.length, 1)
    // we owe an answer (CanAwait, our agency): the next requests are early
    for (let i = 0; i < 5; i++) assert.strictEqual(server.recv(ChainSync.make.requestNext(), 2)._tag, "Deliver")
    assert.strictEqual(server.heldBytes(), 5 * (2 + Driver.HELD_MESSAGE_CHARGE))
    const tip = { point: Point.origin, blockNo: 0 }
    const step = server.send(ChainSync.make.rollBackward(Point.origin, tip as any))
    assert.strictEqual(step._tag, "Deliver")
    assert.strictEqual((step as any).messages.length, 1, "our answer gives the agency back: the next request is delivered")
    assert.strictEqual(server.heldBytes(), 4 * (2 + Driver.HELD_MESSAGE_CHARGE))
  })

  it("early messages cost their bytes plus a charge each against the ingress limit, however many", () => {
    const server = Driver.make(pingProtocol({ maxInFlight: 3 }), "responder")
    server.recv(ping(0), 3)
    for (let i = 1; i <= 10; i++) assert.strictEqual(server.recv(ping(i), 3)._tag, "Deliver")
    assert.strictEqual(server.heldBytes(), 10 * (3 + Driver.HELD_MESSAGE_CHARGE))
  })

  it("an unasked answer is allowed after a request of ours, so held and counted", () => {
    const client = Driver.make(pingProtocol(), "initiator")
    assert.strictEqual(client.recv(pong(1), 3)._tag, "Deliver")
    assert.strictEqual(client.recv(pong(2), 3)._tag, "Deliver")
    assert.strictEqual(client.heldBytes(), 2 * (3 + Driver.HELD_MESSAGE_CHARGE))
    // our Ping makes the first one due: it is delivered and no longer held
    const step = client.send(ping(1))
    assert.strictEqual((step as any).messages.length, 1)
    assert.strictEqual(client.heldBytes(), 3 + Driver.HELD_MESSAGE_CHARGE)
  })
})

describe("Driver: a run of one kind of our messages", () => {
  it("the same kind again is checked against the state it is sent in, not the one it was first sent in", () => {
    const server = Driver.make(BlockFetch.protocol, "responder")
    server.recv(BlockFetch.make.requestRange(Point.origin, Point.origin), 4)
    assert.strictEqual(server.send(BlockFetch.make.startBatch())._tag, "Deliver")
    for (let i = 0; i < 3; i++) assert.strictEqual(server.send(BlockFetch.make.block(new Uint8Array([0x80])))._tag, "Deliver")
    assert.strictEqual(server.state, "Streaming")
    assert.strictEqual(server.send(BlockFetch.make.batchDone())._tag, "Deliver")
    assert.strictEqual(server.state, "Idle")
    // a block after the batch (the client has the agency) does not move the state as the last block
    // did: it waits as any message of ours sent out of turn
    server.send(BlockFetch.make.block(new Uint8Array([0x80])))
    assert.strictEqual(server.state, "Idle")
    // and a kind we may never send is refused whatever was sent before
    assert.strictEqual(violation(server.send(BlockFetch.make.requestRange(Point.origin, Point.origin))), "Agency")
    // the kind remembered while the peer's message moved the state elsewhere: chain-sync's server
    // rolls back from CanAwait, then the client asks for an intersection, where a roll-back is not allowed
    const tip = { point: Point.origin, blockNo: 0 }
    const cs = Driver.make(ChainSync.protocol, "responder")
    cs.recv(ChainSync.make.requestNext(), 2)
    assert.strictEqual(cs.send(ChainSync.make.rollBackward(Point.origin, tip as any))._tag, "Deliver")
    cs.recv(ChainSync.make.findIntersect([Point.origin]), 4)
    assert.strictEqual(cs.state, "Intersect")
    assert.strictEqual(violation(cs.send(ChainSync.make.rollBackward(Point.origin, tip as any))), "UnexpectedMessage")
    assert.strictEqual(cs.state, "Intersect")
  })

  it("a run of their messages: each checked against its state and the state's byte limit", () => {
    const client = Driver.make(BlockFetch.protocol, "initiator")
    client.send(BlockFetch.make.requestRange(Point.origin, Point.origin))
    assert.strictEqual(client.recv(BlockFetch.make.startBatch(), 2)._tag, "Deliver")
    const block = BlockFetch.make.block(new Uint8Array([0x80]))
    for (let i = 0; i < 3; i++) assert.strictEqual(client.recv(block, 1_000)._tag, "Deliver")
    // Streaming's limit holds for the next block of the run too
    assert.strictEqual(violation(client.recv(block, 2_500_001)), "ByteLimit")
    assert.strictEqual(client.state, "Streaming")
    assert.strictEqual(client.recv(BlockFetch.make.batchDone(), 2)._tag, "Deliver")
    // a block after the batch is not taken as the blocks before it were
    assert.strictEqual(violation(client.recv(block, 1_000)), "UnexpectedMessage")
    assert.strictEqual(client.state, "Idle")
  })

  it("recvAgain applies only a message of the kind last applied at once, in its state, within its limit", () => {
    const client = Driver.make(BlockFetch.protocol, "initiator")
    client.send(BlockFetch.make.requestRange(Point.origin, Point.origin))
    const block = BlockFetch.make.block(new Uint8Array([0x80]))
    assert.isFalse(client.recvAgain(BlockFetch.make.startBatch(), 2), "nothing applied at once yet")
    assert.strictEqual(client.recv(BlockFetch.make.startBatch(), 2)._tag, "Deliver")
    assert.isFalse(client.recvAgain(block, 1_000), "another kind than the last")
    assert.strictEqual(client.state, "Streaming", "nothing done when refused")
    assert.strictEqual(client.recv(block, 1_000)._tag, "Deliver")
    assert.isTrue(client.recvAgain(block, 1_000))
    assert.isFalse(client.recvAgain(block, 2_500_001), "over Streaming's limit: recv must see it")
    assert.strictEqual(violation(client.recv(block, 2_500_001)), "ByteLimit")
  })

  it("sendAgain lets go only a message of ours of the kind sent last, from the state that move left as it was", () => {
    const server = Driver.make(BlockFetch.protocol, "responder")
    const block = BlockFetch.make.block(new Uint8Array([0x80]))
    assert.strictEqual(server.recv(BlockFetch.make.requestRange(Point.origin, Point.origin), 10)._tag, "Deliver")
    assert.strictEqual(server.send(BlockFetch.make.startBatch())._tag, "Deliver")
    assert.isFalse(server.sendAgain(BlockFetch.make.startBatch()), "Busy -> Streaming changes the state")
    assert.isFalse(server.sendAgain(block), "another kind than the last")
    assert.strictEqual(server.send(block)._tag, "Deliver")
    assert.isTrue(server.sendAgain(block))
    assert.strictEqual(server.state, "Streaming", "the state stays")
    assert.isFalse(server.sendAgain(BlockFetch.make.batchDone()), "another kind")
    assert.strictEqual(server.send(BlockFetch.make.batchDone())._tag, "Deliver")
    assert.isFalse(server.sendAgain(block), "Idle: not the state the block's move was made from")
    // a client's request moves the state (Idle -> Busy): never sent again this way
    const client = Driver.make(BlockFetch.protocol, "initiator")
    const request = BlockFetch.make.requestRange(Point.origin, Point.origin)
    client.send(request)
    assert.isFalse(client.sendAgain(request))
  })

  it("a request sent again after its answer is counted in flight each time", () => {
    const client = Driver.make(pingProtocol({ maxInFlight: 2 }), "initiator")
    assert.strictEqual(client.send(ping(1))._tag, "Deliver")
    assert.strictEqual(client.recv(pong(1), 3)._tag, "Deliver")
    assert.strictEqual(client.send(ping(2))._tag, "Deliver")
    // pipelined: the third in flight is one too many
    assert.strictEqual(client.send(ping(3))._tag, "Deliver")
    assert.strictEqual(violation(client.send(ping(4))), "Pipelining")
  })
})

describe("Driver: a range of timeouts is drawn from Effect's Random", () => {
  /** Timeouts of 20 chain-sync clients waiting in MustReply (601 s to 911 s), drawn from the current Random. */
  const mustReplyTimeouts = Effect.gen(function*() {
    const random = yield* Random.Random
    const out: Array<number | undefined> = []
    for (let i = 0; i < 20; i++) {
      const client = Driver.make(ChainSync.protocol, "initiator", random)
      client.send(ChainSync.make.requestNext())
      client.recv(ChainSync.make.awaitReply(), 2)
      assert.strictEqual(client.state, "MustReply")
      out.push(client.timeout())
    }
    return out
  })

  it.effect("the same seed gives the same timeouts, within the range; another seed others", () =>
    Effect.gen(function*() {
      const a = yield* mustReplyTimeouts.pipe(Random.withSeed("driver"))
      const b = yield* mustReplyTimeouts.pipe(Random.withSeed("driver"))
      const c = yield* mustReplyTimeouts.pipe(Random.withSeed("another"))
      assert.deepStrictEqual(a, b)
      assert.notDeepEqual(a, c)
      for (const t of a) assert.isTrue(t !== undefined && t >= 601_000 && t <= 911_000, `${t} in range`)
      assert.isAbove(new Set(a).size, 1, "drawn, not fixed")
    }))
})

describe("Driver: the initial wait without a driver", () => {
  it.effect("initialTimeout is what a driver just made would wait, for every protocol and side, ranges drawn alike", () =>
    Effect.gen(function*() {
      const protocols: ReadonlyArray<Protocol<any>> = [...NodeToNode.protocols, ...NodeToClient.protocols]
      const seeded = (seed: string) => Effect.gen(function*() { return yield* Random.Random }).pipe(Random.withSeed(seed))
      let armed = 0
      for (const protocol of protocols) {
        for (const role of ["initiator", "responder"] as const) {
          const a = Driver.initialTimeout(protocol, role, yield* seeded(`${protocol.name} ${role}`))
          const b = Driver.make(protocol, role, yield* seeded(`${protocol.name} ${role}`)).timeout()
          assert.strictEqual(a, b, `${protocol.name} ${role}`)
          if (a !== undefined) armed++
        }
      }
      // the responder's handshake, keep-alive and chain-sync (and more) wait from the start
      assert.isAtLeast(armed, 3)
      assert.strictEqual(Driver.initialTimeout(ChainSync.protocol, "initiator"), undefined, "our agency: no wait")
    }))
})
