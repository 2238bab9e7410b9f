/**
 * The responder at the behavior level: interface events in, interface commands and events out, with
 * the TestClock driving its timers. Over real sockets: packages/node/test/Responder.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { TestClock } from "effect/testing"
import type { Behavior, BehaviorOutput } from "../../src/Behavior.ts"
import * as Responder from "../../src/behavior/Responder.ts"
import { pointOf } from "../../src/chain/Block.ts"
import * as ChainSource from "../../src/chain/ChainSource.ts"
import * as GeneratedChain from "../../src/chain/GeneratedChain.ts"
import { InterfaceEvent } from "../../src/Interface.ts"
import type { AnyNodeToNodeMessage } from "../../src/protocol/NodeToNode.ts"
import { NetworkMagic, PeerId } from "../../src/Primitives.ts"
import { ProtocolViolation } from "../../src/ProtocolError.ts"
import { bytesEqual, Point } from "../../src/protocol/Common.ts"
import { vectorsAvailable, vectorsDir } from "../utils/vectors.ts"
import * as Msg from "./support/responderMessages.ts"
import * as Block from "../../src/chain/Block.ts"

type Output = BehaviorOutput<Responder.ResponderEvent, AnyNodeToNodeMessage>

const blocks = GeneratedChain.generate({ blocks: 12, seed: 3, minBodySize: 300, maxBodySize: 1500 })
const peerA = PeerId.tcp("127.0.0.1", 40001)
const peerB = PeerId.tcp("127.0.0.1", 40002)
const peerC = PeerId.tcp("10.0.0.7", 40003)

const setup = Effect.fnUntraced(function*(
  config: Responder.ResponderConfig = {},
  initial = blocks,
  /** What the responder reads instead of the in-memory chain (a faulty source, say). */
  serving: (chain: ChainSource.MemoryChain) => ChainSource.ChainSourceShape = (chain) => chain
) {
  const chain = yield* ChainSource.makeMemory(initial)
  const behavior = yield* Responder.make({ networkMagic: NetworkMagic.preview, ...config }, serving(chain))
  const out = yield* Queue.unbounded<Output>()
  yield* behavior.outputs.pipe(Stream.runForEach((o) => Queue.offer(out, o)), Effect.forkScoped)
  /** Everything output so far. */
  const drain = Effect.gen(function*() {
    for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    const all: Array<Output> = []
    while (true) {
      const o = yield* Queue.poll(out)
      if (o._tag === "None") return all
      all.push(o.value)
    }
  })
  const sent = (outputs: ReadonlyArray<Output>, peer?: PeerId): Array<AnyNodeToNodeMessage> =>
    outputs.flatMap((o) =>
      o._tag !== "InterfaceCommand" || (peer !== undefined && o.command.peer !== peer)
        ? []
        : o.command._tag === "Send"
        ? [o.command.message]
        : o.command._tag === "SendMany"
        ? o.command.messages
        : []
    )
  const events = (outputs: ReadonlyArray<Output>): Array<Responder.ResponderEvent> =>
    outputs.flatMap((o) => (o._tag === "ExternalEvent" ? [o.event] : []))
  const disconnects = (outputs: ReadonlyArray<Output>): Array<{ peer: PeerId; reason: string | undefined }> =>
    outputs.flatMap((o) =>
      o._tag === "InterfaceCommand" && o.command._tag === "Disconnect"
        ? [{ peer: o.command.peer, reason: o.command.reason }]
        : []
    )
  const recv = (peer: PeerId, ...messages: Array<AnyNodeToNodeMessage>) => behavior.handleIo(InterfaceEvent.Recv(peer, messages))
  /** An inbound connection with an accepted handshake (v14). */
  const connect = Effect.fnUntraced(function*(peer: PeerId, data: Msg.TableOptions = {}) {
    yield* behavior.handleIo(InterfaceEvent.Connected(peer, "inbound"))
    yield* recv(peer, Msg.propose([14], { magic: NetworkMagic.preview, ...data }))
    return yield* drain
  })
  return { chain, behavior, drain, sent, events, disconnects, recv, connect }
})

const tags = (messages: ReadonlyArray<AnyNodeToNodeMessage>) => messages.map((m) => m._tag)

describe("Responder (behavior)", () => {
  describe("handshake", () => {
    it.effect("accepts the highest common version with our version data", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerA, "inbound"))
        yield* h.recv(peerA, Msg.propose([13, 14, 15], { magic: NetworkMagic.preview }))
        const out = yield* h.drain
        const [accept] = h.sent(out, peerA)
        assert.strictEqual(accept?._tag, "MsgAcceptVersion")
        assert.strictEqual(Msg.acceptedVersion(accept!), 15)
        const init = h.events(out).find((e) => e._tag === "PeerInitialized")
        assert.strictEqual(init?._tag === "PeerInitialized" ? init.version : 0, 15)
      }))

    it.effect("accepts a client that proposes only up to v13", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerA, "inbound"))
        yield* h.recv(peerA, Msg.propose([11, 12, 13], { magic: NetworkMagic.preview }))
        const [accept] = h.sent(yield* h.drain, peerA)
        assert.strictEqual(Msg.acceptedVersion(accept!), 13)
      }))

    it.effect("refuses a wrong network magic and closes once the refusal is written", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerA, "inbound"))
        yield* h.recv(peerA, Msg.propose([14], { magic: NetworkMagic.mainnet }))
        const out = yield* h.drain
        const [refuse] = h.sent(out, peerA)
        assert.strictEqual(refuse?._tag, "MsgRefuse")
        assert.ok(h.events(out).some((e) => e._tag === "HandshakeRefused"))
        assert.strictEqual(h.disconnects(out).length, 0)
        yield* h.behavior.handleIo(InterfaceEvent.Sent(peerA, refuse!))
        assert.strictEqual(h.disconnects(yield* h.drain).length, 1)
      }))

    it.effect("answers a query with our version table, then closes", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerA, "inbound"))
        yield* h.recv(peerA, Msg.propose([14], { magic: NetworkMagic.preview, query: true }))
        const out = yield* h.drain
        const [reply] = h.sent(out, peerA)
        assert.strictEqual(reply?._tag, "MsgQueryReply")
        yield* h.behavior.handleIo(InterfaceEvent.Sent(peerA, reply!))
        assert.strictEqual(h.disconnects(yield* h.drain)[0]?.peer, peerA)
      }))

    it.effect("closes a connection that never handshakes after the idle timeout (TestClock)", () =>
      Effect.gen(function*() {
        const h = yield* setup({ limits: { idleTimeout: "5 seconds" } })
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerA, "inbound"))
        yield* h.connect(peerB)
        yield* h.drain
        yield* TestClock.adjust("4 seconds")
        assert.strictEqual(h.disconnects(yield* h.drain).length, 0)
        yield* TestClock.adjust("2 seconds")
        const closed = h.disconnects(yield* h.drain)
        assert.deepStrictEqual(closed.map((c) => c.peer), [peerA])
        assert.match(closed[0]!.reason ?? "", /no handshake/)
      }))

    it.effect("closes a peer that sends a mini-protocol message before the handshake, and bans it", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerA, "inbound"))
        yield* h.recv(peerA, Msg.requestNext())
        const out = yield* h.drain
        assert.strictEqual(h.disconnects(out).length, 1)
        assert.ok(h.events(out).some((e) => e._tag === "PeerBanned"))
      }))
  })

  describe("chain-sync (auto)", () => {
    it.effect("from origin: RollBackward(origin) first, then every header, then AwaitReply", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.connect(peerA)
        const got: Array<AnyNodeToNodeMessage> = []
        for (let i = 0; i < blocks.length + 2; i++) {
          yield* h.recv(peerA, Msg.requestNext())
          got.push(...h.sent(yield* h.drain, peerA))
        }
        assert.strictEqual(got[0]?._tag, "MsgRollBackward")
        assert.ok(Point.equals(Msg.pointOfRollBackward(got[0]!), Point.origin))
        const forwards = got.filter((m) => m._tag === "MsgRollForward")
        assert.strictEqual(forwards.length, blocks.length)
        forwards.forEach((m, i) => assert.ok(bytesEqual(Msg.headerOf(m).bytes, blocks[i]!.header.bytes)))
        assert.strictEqual(got[got.length - 1]?._tag, "MsgAwaitReply")
      }))

    it.effect("from a point: IntersectFound, RollBackward to it, then the next header", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.connect(peerA)
        const at = pointOf(blocks[5]!)
        yield* h.recv(peerA, Msg.findIntersect([Point.specific(999_999, new Uint8Array(32)), at]))
        const [found] = h.sent(yield* h.drain, peerA)
        assert.strictEqual(found?._tag, "MsgIntersectFound")
        yield* h.recv(peerA, Msg.requestNext())
        const [back] = h.sent(yield* h.drain, peerA)
        assert.strictEqual(back?._tag, "MsgRollBackward")
        assert.ok(Point.equals(Msg.pointOfRollBackward(back!), at))
        yield* h.recv(peerA, Msg.requestNext())
        const [fwd] = h.sent(yield* h.drain, peerA)
        assert.ok(bytesEqual(Msg.headerOf(fwd!).bytes, blocks[6]!.header.bytes))
      }))

    it.effect("IntersectNotFound for points off the chain", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.connect(peerA)
        yield* h.recv(peerA, Msg.findIntersect([Point.specific(5, new Uint8Array(32).fill(9))]))
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerA)), ["MsgIntersectNotFound"])
      }))

    it.effect("AwaitReply at the tip, then RollForward when the chain grows", () =>
      Effect.gen(function*() {
        const more = GeneratedChain.generate({ blocks: 14, seed: 3, minBodySize: 300, maxBodySize: 1500 })
        const h = yield* setup({}, more.slice(0, 12))
        yield* h.connect(peerA)
        yield* h.recv(peerA, Msg.findIntersect([pointOf(more[11]!)]))
        yield* h.recv(peerA, Msg.requestNext())
        yield* h.recv(peerA, Msg.requestNext())
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerA)), ["MsgIntersectFound", "MsgRollBackward", "MsgAwaitReply"])
        const memory = h.chain
        yield* memory.append(more[12]!)
        const [fwd] = h.sent(yield* h.drain, peerA)
        assert.strictEqual(fwd?._tag, "MsgRollForward")
        assert.ok(bytesEqual(Msg.headerOf(fwd!).bytes, more[12]!.header.bytes))
      }))
  })

  describe("block-fetch (auto)", () => {
    /**
     * Blocks 1 to 10 with a window of 3, after the first round until the batch is done: `report` tells
     * the responder of each round's blocks written, `check` looks at what came back. All served.
     */
    const streamWithSent = (
      report: (h: Effect.Success<ReturnType<typeof setup>>, written: ReadonlyArray<AnyNodeToNodeMessage>) => Effect.Effect<void>,
      check: (got: ReadonlyArray<AnyNodeToNodeMessage>) => void,
      serving?: (chain: ChainSource.MemoryChain) => ChainSource.ChainSourceShape
    ) =>
      Effect.gen(function*() {
        const h = yield* setup({ blockFetchWindow: 3 }, blocks, serving)
        yield* h.connect(peerA)
        yield* h.recv(peerA, Msg.requestRange(pointOf(blocks[1]!), pointOf(blocks[10]!)))
        let got = h.sent(yield* h.drain, peerA)
        const first = [...got]
        const all = [...got]
        while (all[all.length - 1]?._tag !== "MsgBatchDone") {
          const written = got.filter((m) => m._tag === "MsgBlock")
          assert.ok(written.length > 0, "no progress")
          yield* report(h, written)
          got = h.sent(yield* h.drain, peerA)
          check(got)
          all.push(...got)
        }
        return { first, all }
      })

    it.effect("streams a range a few blocks at a time, waiting for Sent", () =>
      Effect.gen(function*() {
        const { all, first } = yield* streamWithSent(
          (h, written) => Effect.forEach(written, (m) => h.behavior.handleIo(InterfaceEvent.Sent(peerA, m)), { discard: true }),
          (got) => assert.ok(got.filter((m) => m._tag === "MsgBlock").length <= 3)
        )
        assert.deepStrictEqual(tags(first), ["MsgStartBatch", "MsgBlock", "MsgBlock", "MsgBlock"])
        const served = all.filter((m) => m._tag === "MsgBlock").map(Msg.blockBytes)
        assert.strictEqual(served.length, 10)
        served.forEach((b, i) => assert.ok(bytesEqual(b, blocks[i + 1]!.bytes)))
      }))

    it.effect("one Sent of a whole write, blocks among another protocol's messages, makes room for all its blocks at once", () =>
      Effect.gen(function*() {
        const { all } = yield* streamWithSent(
          // the write's messages in one event: a keep-alive answer between the first block and the rest
          (h, written) => h.behavior.handleIo(InterfaceEvent.Sent(peerA, written[0]!, Msg.keepAlive(7), ...written.slice(1))),
          (got) => {
            // the whole window came back: as many blocks as it holds, unless the range ran out
            const blocksNow = got.filter((m) => m._tag === "MsgBlock").length
            assert.ok(blocksNow === 3 || got[got.length - 1]?._tag === "MsgBatchDone", `${blocksNow} blocks after a Sent of 3`)
          }
        )
        assert.strictEqual(all.filter((m) => m._tag === "MsgBlock").length, 10)
      }))

    it.effect("a range the chain source streams in chunks: each chunk sent as written blocks make room, the next taken once it went whole", () =>
      Effect.gen(function*() {
        // chunks of 4 blocks through a window of 3: the Sent of written blocks sends the rest of a
        // chunk, and the stream's next chunk follows it; the batch ends after the last
        let ranges = 0
        const chunked = (chain: ChainSource.MemoryChain): ChainSource.ChainSourceShape => ({
          ...chain,
          range: (from, to) =>
            Effect.map(chain.range(from, to), (stream) => {
              ranges++
              return stream === undefined ? undefined : Stream.rechunk(stream, 4)
            })
        })
        const rounds: Array<number> = []
        const { all } = yield* streamWithSent(
          (h, written) => h.behavior.handleIo(InterfaceEvent.Sent(peerA, ...written)),
          (got) => rounds.push(got.filter((m) => m._tag === "MsgBlock").length),
          chunked
        )
        assert.strictEqual(ranges, 1)
        assert.ok(rounds.every((n) => n <= 3), `at most the window each round: ${rounds.join(", ")}`)
        assert.deepStrictEqual(tags(all).filter((t) => t !== "MsgBlock"), ["MsgStartBatch", "MsgBatchDone"])
        const served = all.filter((m) => m._tag === "MsgBlock").map(Msg.blockBytes)
        assert.strictEqual(served.length, 10)
        served.forEach((b, i) => assert.ok(bytesEqual(b, blocks[i + 1]!.bytes)))
      }))

    it.effect("a block the chain source cannot read closes that peer alone, with the reason; another peer is served", () =>
      Effect.gen(function*() {
        const unreadable = new ChainSource.ChainSourceError({ operation: "range", detail: "block 5 is unreadable" })
        // a range from block 3 fails after its first block; every other range is read as usual
        const h = yield* setup({}, blocks, (chain) => ({
          ...chain,
          range: (from, to) =>
            Point.toString(from) === Point.toString(pointOf(blocks[3]!))
              ? Effect.succeed(Stream.concat(Stream.make(blocks[3]!.bytes), Stream.fail(unreadable)))
              : chain.range(from, to)
        }))
        yield* h.connect(peerA)
        yield* h.connect(peerB)
        yield* h.recv(peerA, Msg.requestRange(pointOf(blocks[3]!), pointOf(blocks[6]!)))
        yield* h.recv(peerB, Msg.requestRange(pointOf(blocks[1]!), pointOf(blocks[2]!)))
        const out = yield* h.drain
        assert.deepStrictEqual(tags(h.sent(out, peerA)), ["MsgStartBatch", "MsgBlock"])
        assert.deepStrictEqual(h.disconnects(out), [{ peer: peerA, reason: `chain source failed: ${unreadable.message}` }])
        assert.deepStrictEqual(tags(h.sent(out, peerB)), ["MsgStartBatch", "MsgBlock", "MsgBlock", "MsgBatchDone"])
        yield* h.behavior.handleIo(InterfaceEvent.Disconnected(peerA))
        const closed = h.events(yield* h.drain).find((e) => e._tag === "PeerDisconnected")
        assert.strictEqual(closed?._tag === "PeerDisconnected" ? closed.reason : undefined, "chain source failed: chain source: range failed: block 5 is unreadable")
        // peerB still served after peerA's failure
        yield* h.recv(peerB, Msg.requestRange(pointOf(blocks[7]!), pointOf(blocks[7]!)))
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerB)), ["MsgStartBatch", "MsgBlock", "MsgBatchDone"])
      }))

    it.effect("a chain-sync read that fails closes that peer alone; another follower goes on", () =>
      Effect.gen(function*() {
        const h = yield* setup({}, blocks, (chain) => ({
          ...chain,
          next: (cursor) =>
            Point.toString(cursor) === Point.toString(pointOf(blocks[0]!))
              ? Effect.fail(new ChainSource.ChainSourceError({ operation: "next", detail: "index lost" }))
              : chain.next(cursor)
        }))
        yield* h.connect(peerA)
        yield* h.connect(peerB)
        yield* h.recv(peerA, Msg.findIntersect([pointOf(blocks[0]!)]))
        yield* h.recv(peerB, Msg.findIntersect([pointOf(blocks[1]!)]))
        yield* h.drain
        // RollBackward to the intersection first, then the next header is read: it fails for peerA only
        yield* h.recv(peerA, Msg.requestNext(), Msg.requestNext())
        yield* h.recv(peerB, Msg.requestNext(), Msg.requestNext())
        const out = yield* h.drain
        assert.deepStrictEqual(tags(h.sent(out, peerA)), ["MsgRollBackward"])
        assert.deepStrictEqual(h.disconnects(out), [{ peer: peerA, reason: "chain source failed: chain source: next failed: index lost" }])
        assert.deepStrictEqual(tags(h.sent(out, peerB)), ["MsgRollBackward", "MsgRollForward"])
      }))

    it.effect("NoBlocks for a range off the chain", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.connect(peerA)
        yield* h.recv(peerA, Msg.requestRange(pointOf(blocks[1]!), Point.specific(1, new Uint8Array(32))))
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerA)), ["MsgNoBlocks"])
      }))
  })

  describe("keep-alive, peer-sharing, tx-submission2", () => {
    it.effect("echoes the keep-alive cookie", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.connect(peerA)
        yield* h.recv(peerA, Msg.keepAlive(4242))
        const [reply] = h.sent(yield* h.drain, peerA)
        assert.strictEqual(reply?._tag, "MsgKeepAliveResponse")
        assert.strictEqual(Msg.cookieOf(reply!), 4242)
      }))

    it.effect("shares configured and inbound non-initiator-only peers, never the asker, at most the amount", () =>
      Effect.gen(function*() {
        const h = yield* setup({ sharedPeers: [PeerId.tcp("192.0.2.1", 3001)] })
        yield* h.connect(peerA)
        yield* h.connect(peerB, { initiatorOnly: true })
        yield* h.connect(peerC)
        yield* h.recv(peerA, Msg.shareRequest(5))
        const [reply] = h.sent(yield* h.drain, peerA)
        assert.deepStrictEqual(Msg.sharedPeers(reply!), ["192.0.2.1:3001", "10.0.0.7:40003"])
        yield* h.recv(peerA, Msg.shareRequest(1))
        const [one] = h.sent(yield* h.drain, peerA)
        assert.deepStrictEqual(Msg.sharedPeers(one!), ["192.0.2.1:3001"])
      }))

    it.effect("pulls transactions after the client's MsgInit and hands them over as TxReceived", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.connect(peerA)
        yield* h.recv(peerA, Msg.txInit())
        const [ids] = h.sent(yield* h.drain, peerA)
        assert.deepStrictEqual(Msg.txIdsRequest(ids!), { blocking: true, ack: 0, req: 10 })
        const txs = [1, 2].map((n) => ({ era: 6, bytes: new Uint8Array([0x80 + n]) }))
        const txIds = [1, 2].map((n) => ({ era: 6, txId: new Uint8Array(32).fill(n) }))
        yield* h.recv(peerA, Msg.replyTxIds(txIds.map((id) => [id, 100] as const)))
        const [req] = h.sent(yield* h.drain, peerA)
        assert.strictEqual(req?._tag, "MsgRequestTxs")
        yield* h.recv(peerA, Msg.replyTxs(txs))
        const out = yield* h.drain
        const received = h.events(out).filter((e) => e._tag === "TxReceived")
        assert.strictEqual(received.length, 2)
        const [next] = h.sent(out, peerA)
        assert.deepStrictEqual(Msg.txIdsRequest(next!), { blocking: true, ack: 2, req: 10 })
      }))
  })

  describe("limits and bans", () => {
    it.effect("refuses inbound connections over the hard limit and over the per-IP limit", () =>
      Effect.gen(function*() {
        const h = yield* setup({ limits: { hardLimit: 3, softLimit: 3, perIpLimit: 2 } })
        for (const port of [1, 2, 3]) yield* h.behavior.handleIo(InterfaceEvent.Connected(PeerId.tcp("127.0.0.1", port), "inbound"))
        const out = yield* h.drain
        const rejected = h.events(out).filter((e) => e._tag === "PeerRejected")
        assert.strictEqual(rejected.length, 1)
        assert.match(rejected[0]!._tag === "PeerRejected" ? rejected[0]!.reason : "", /from 127.0.0.1/)
        yield* h.behavior.handleIo(InterfaceEvent.Connected(PeerId.tcp("10.1.1.1", 1), "inbound"))
        yield* h.behavior.handleIo(InterfaceEvent.Connected(PeerId.tcp("10.1.1.2", 1), "inbound"))
        const more = h.events(yield* h.drain).filter((e) => e._tag === "PeerRejected")
        assert.strictEqual(more.length, 1)
        assert.match(more[0]!._tag === "PeerRejected" ? more[0]!.reason : "", /hard limit/)
      }))

    it.effect("bans the IP of a protocol violator for the ban duration", () =>
      Effect.gen(function*() {
        const h = yield* setup({ limits: { banDuration: "1 minute" } })
        yield* h.connect(peerA)
        const error = new ProtocolViolation({ protocol: "chain-sync", state: "StIdle", kind: "UnexpectedMessage", detail: "test" })
        yield* h.behavior.handleIo(InterfaceEvent.Error(peerA, error))
        yield* h.behavior.handleIo(InterfaceEvent.Disconnected(peerA))
        const out = yield* h.drain
        assert.ok(h.events(out).some((e) => e._tag === "PeerBanned"))
        const closed = h.events(out).find((e) => e._tag === "PeerDisconnected")
        assert.match(closed?._tag === "PeerDisconnected" ? closed.reason : "", /UnexpectedMessage/)
        // the same IP from another port
        yield* h.behavior.handleIo(InterfaceEvent.Connected(PeerId.tcp("127.0.0.1", 50000), "inbound"))
        assert.ok(h.events(yield* h.drain).some((e) => e._tag === "PeerRejected"))
        yield* TestClock.adjust("61 seconds")
        yield* h.behavior.handleIo(InterfaceEvent.Connected(PeerId.tcp("127.0.0.1", 50001), "inbound"))
        assert.ok(h.events(yield* h.drain).some((e) => e._tag === "PeerConnected"))
      }))
  })

  describe("manual mode", () => {
    it("needs no ChainSource (checked by the type checker)", () => {
      type Service = Behavior<Responder.ResponderEvent, Responder.ResponderCommand, Responder.ResponderPeerState, AnyNodeToNodeMessage>
      const manual: Layer.Layer<Service, never, never> = Responder.layer({ mode: "manual" })
      const auto: Layer.Layer<Service, never, ChainSource.ChainSource> = Responder.layer()
      assert.ok(Layer.isLayer(manual) && Layer.isLayer(auto))
    })

    it.effect("emits requests and checks that each Provide command fits", () =>
      Effect.gen(function*() {
        const h = yield* setup({ mode: "manual" })
        yield* h.connect(peerA)
        const tip = { point: pointOf(blocks[11]!), blockNo: blocks[11]!.blockNo }
        yield* h.behavior.execute(Responder.ResponderCommand.ProvideHeader(peerA, blocks[0]!.header, tip))
        assert.ok(h.events(yield* h.drain).some((e) => e._tag === "CommandRejected"))
        yield* h.recv(peerA, Msg.findIntersect([pointOf(blocks[2]!)]))
        assert.ok(h.events(yield* h.drain).some((e) => e._tag === "IntersectionRequested"))
        yield* h.behavior.execute(Responder.ResponderCommand.ProvideIntersection(peerA, pointOf(blocks[2]!), tip))
        yield* h.recv(peerA, Msg.requestNext())
        // the rollback to the intersection is answered without asking
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerA)), ["MsgIntersectFound", "MsgRollBackward"])
        yield* h.recv(peerA, Msg.requestNext())
        assert.ok(h.events(yield* h.drain).some((e) => e._tag === "NextHeaderRequested"))
        yield* h.behavior.execute(Responder.ResponderCommand.ProvideAwait(peerA))
        yield* h.behavior.execute(Responder.ResponderCommand.ProvideHeader(peerA, blocks[3]!.header, tip))
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerA)), ["MsgAwaitReply", "MsgRollForward"])
        yield* h.recv(peerA, Msg.requestRange(pointOf(blocks[0]!), pointOf(blocks[1]!)))
        assert.ok(h.events(yield* h.drain).some((e) => e._tag === "BlockRangeRequested"))
        yield* h.behavior.execute(Responder.ResponderCommand.ProvideBlocks(peerA, [blocks[0]!.bytes, blocks[1]!.bytes]))
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerA)), ["MsgStartBatch", "MsgBlock", "MsgBlock", "MsgBatchDone"])
        yield* h.recv(peerA, Msg.requestRange(pointOf(blocks[0]!), pointOf(blocks[1]!)))
        yield* h.behavior.execute(Responder.ResponderCommand.ProvideNoBlocks(peerA))
        assert.deepStrictEqual(tags(h.sent(yield* h.drain, peerA)), ["MsgNoBlocks"])
        yield* h.recv(peerA, Msg.shareRequest(1))
        assert.ok(h.events(yield* h.drain).some((e) => e._tag === "PeersRequested"))
        yield* h.behavior.execute(
          Responder.ResponderCommand.ProvidePeers(peerA, [PeerId.tcp("192.0.2.5", 1), PeerId.tcp("192.0.2.6", 1)])
        )
        const [peersMsg] = h.sent(yield* h.drain, peerA)
        assert.deepStrictEqual(Msg.sharedPeers(peersMsg!), ["192.0.2.5:1"])
      }))
  })

  describe("duplex", () => {
    it.effect("serves server-side requests on a connection we dialled, once the handshake is accepted", () =>
      Effect.gen(function*() {
        const h = yield* setup()
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerC, "outbound"))
        // our initiator's proposal was answered: the responder learns the version
        yield* h.recv(peerC, Msg.acceptVersion(14, { magic: NetworkMagic.preview }))
        yield* h.recv(peerC, Msg.keepAlive(7), Msg.requestNext())
        const out = yield* h.drain
        assert.deepStrictEqual(tags(h.sent(out, peerC)), ["MsgKeepAliveResponse", "MsgRollBackward"])
        assert.strictEqual(h.disconnects(out).length, 0)
        // answers meant for our initiator are left alone
        yield* h.recv(peerC, Msg.rollForwardFor(blocks[0]!))
        assert.strictEqual(h.sent(yield* h.drain, peerC).length, 0)
      }))
  })

  describe.skipIf(!vectorsAvailable)("the real 864-block chunk (../shared/vectors/chain/01285.chunk)", () => {
    it.effect("serves every header and every block byte-identical to the chunk", () =>
      Effect.gen(function*() {
        const real = Block.splitChunk(new Uint8Array(fs.readFileSync(path.join(vectorsDir, "chain", "01285.chunk")))).map(
          Block.parse
        )
        assert.strictEqual(real.length, 864)
        const h = yield* setup({ networkMagic: 1, blockFetchWindow: 8 }, real)
        yield* h.behavior.handleIo(InterfaceEvent.Connected(peerA, "inbound"))
        yield* h.recv(peerA, Msg.propose([14], { magic: 1 }))
        yield* h.drain
        // chain-sync from the first block: IntersectFound, RollBackward, then 863 headers and AwaitReply
        yield* h.recv(peerA, Msg.findIntersect([pointOf(real[0]!)]))
        const headers: Array<AnyNodeToNodeMessage> = []
        for (let i = 0; i < 865; i++) {
          yield* h.recv(peerA, Msg.requestNext())
          headers.push(...h.sent(yield* h.drain, peerA))
        }
        const forwards = headers.filter((m) => m._tag === "MsgRollForward")
        assert.strictEqual(forwards.length, 863)
        forwards.forEach((m, i) => assert.ok(bytesEqual(Msg.headerOf(m).bytes, real[i + 1]!.header.bytes)))
        assert.strictEqual(headers[headers.length - 1]?._tag, "MsgAwaitReply")
        // block-fetch of the whole chunk, streamed through the Sent window
        yield* h.recv(peerA, Msg.requestRange(pointOf(real[0]!), pointOf(real[863]!)))
        const served: Array<Uint8Array> = []
        let done = false
        while (!done) {
          const got = h.sent(yield* h.drain, peerA)
          assert.ok(got.length > 0, "no progress")
          for (const m of got) {
            if (m._tag === "MsgBlock") {
              served.push(Msg.blockBytes(m))
              yield* h.behavior.handleIo(InterfaceEvent.Sent(peerA, m))
            }
            if (m._tag === "MsgBatchDone") done = true
          }
        }
        assert.strictEqual(served.length, 864)
        served.forEach((b, i) => assert.ok(bytesEqual(b, real[i]!.bytes), `block ${i}`))
      }))
  })
})
