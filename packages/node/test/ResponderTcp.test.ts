/**
 * The responder over real TCP on 127.0.0.1, driven by a client made of the project's own Interface
 * and protocol messages (no initiator behavior), for every node-to-node protocol, plus limits and bans.
 */
import { assert, describe, it } from "@effect/vitest"
import { Block, ChainSource, GeneratedChain, Interface, PeerId, Protocols, Responder } from "@pallas-network2/core"
import type { InterfaceEvent, Message } from "@pallas-network2/core"
import { Cbor } from "@pallas-network2/core"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import * as TcpInterface from "../src/TcpInterface.ts"
import * as ImmutableDb from "../src/ImmutableDb.ts"
// core's test utilities are not part of its published exports (only src is): shared by relative path
import { vectorsAvailable, vectorsDir } from "../../core/test/utils/vectors.ts"

const { BlockFetch, ChainSync, Handshake, KeepAlive, NodeToNode, PeerSharing, TxSubmission2 } = Protocols
const MAGIC = 2

const startServer = (blocks: ReadonlyArray<Block.ChainBlock>, config: Responder.ResponderConfig = {}) =>
  Effect.gen(function*() {
    const chain = yield* ChainSource.makeMemory(blocks)
    const context = yield* Layer.build(
      Responder.layerManager({ networkMagic: MAGIC, ...config }).pipe(
        Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
        Layer.provideMerge(TcpInterface.layer({ protocols: NodeToNode.protocols, listen: { host: "127.0.0.1", port: 0 } }))
      )
    )
    const events: Array<Responder.ResponderEvent> = []
    const waiters = new Set<() => void>()
    yield* Effect.forkScoped(Stream.runForEach(Context.get(context, Responder.ResponderManager).events, (e) =>
      Effect.sync(() => {
        events.push(e)
        for (const check of waiters) check()
      })))
    /** The first event (so far or to come) that satisfies `pred`; fails after `within`. */
    const awaitEvent = <E extends Responder.ResponderEvent>(
      pred: (e: Responder.ResponderEvent) => e is E,
      within: Duration.Input = "10 seconds"
    ) =>
      Effect.callback<E>((resume) => {
        const check = () => {
          const hit = events.find(pred)
          if (hit === undefined) return
          waiters.delete(check)
          resume(Effect.succeed(hit))
        }
        waiters.add(check)
        check()
        return Effect.sync(() => waiters.delete(check))
      }).pipe(Effect.timeoutOrElse({
        duration: within,
        orElse: () => Effect.fail(new Error(`no such responder event within ${Duration.format(Duration.fromInputUnsafe(within))}; got ${events.map((e) => e._tag).join(", ")}`))
      }))
    const port = Context.get(context, TcpInterface.TcpListenAddress)!.port
    return { address: PeerId.tcp("127.0.0.1", port), events, chain, awaitEvent }
  })

const startClient = (address: PeerId) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(TcpInterface.layer({ protocols: NodeToNode.protocols }))
    const iface = Context.get(context, Interface.Interface)
    const queue = yield* Queue.unbounded<InterfaceEvent>()
    yield* Effect.forkScoped(Stream.runForEach(iface.events, (e) => Queue.offer(queue, e)))
    const pending: Array<Message> = []
    const send = (m: Message) => iface.dispatch({ _tag: "Send", peer: address, message: m })
    /** The next event that is not a Recv or Sent. */
    const nextEvent = Effect.gen(function*() {
      while (true) {
        const e = yield* Queue.take(queue)
        if (e._tag === "Recv") pending.push(...e.messages)
        else if (e._tag !== "Sent") return e
      }
    }).pipe(Effect.timeout("10 seconds"))
    /** The next message received. */
    const next = Effect.gen(function*() {
      while (pending.length === 0) {
        const e = yield* Queue.take(queue)
        if (e._tag === "Recv") pending.push(...e.messages)
        else if (e._tag === "Disconnected" || e._tag === "Error") return yield* Effect.die(new Error(`connection ended: ${JSON.stringify(e)}`))
      }
      return pending.shift()! as any
    }).pipe(Effect.timeout("10 seconds"))
    yield* iface.dispatch({ _tag: "Connect", peer: address })
    const connected = yield* nextEvent
    assert.strictEqual(connected._tag, "Connected")
    return { send, next, nextEvent, iface }
  })

const handshake = (c: { send: (m: Message) => Effect.Effect<void>; next: Effect.Effect<any, any> }, versions = [14, 15, 16], magic = MAGIC) =>
  Effect.gen(function*() {
    yield* c.send(Handshake.make.propose(Handshake.n2nVersionTable({ magic, versions })))
    return yield* c.next
  })

const blocks = GeneratedChain.generate({ blocks: 30, seed: 4, maxBodySize: 3000 })

describe("ResponderBehavior over TCP on 127.0.0.1", () => {
  it.live("handshake: highest common version; a v11-v13 client gets v13; a wrong magic is refused and closed", () =>
    Effect.gen(function*() {
      const server = yield* startServer(blocks)
      const a = yield* startClient(server.address)
      const accepted = yield* handshake(a)
      assert.strictEqual(accepted._tag, "MsgAcceptVersion")
      assert.strictEqual(accepted.version, 16)
      const b = yield* startClient(server.address)
      const old = yield* handshake(b, [11, 12, 13])
      assert.strictEqual(old.version, 13)
      const c = yield* startClient(server.address)
      const refused = yield* handshake(c, [14], 764824073)
      assert.strictEqual(refused._tag, "MsgRefuse")
      assert.include(refused.reason.message, "magic")
      assert.strictEqual((yield* c.nextEvent)._tag, "Disconnected")
    }), 30_000)

  it.live("chain-sync: intersection, RollBackward first, every header, AwaitReply, then the new block", () =>
    Effect.gen(function*() {
      const server = yield* startServer(blocks.slice(0, 20))
      const c = yield* startClient(server.address)
      yield* handshake(c)
      yield* c.send(ChainSync.make.findIntersect([Block.pointOf(blocks[4]!)]))
      assert.strictEqual((yield* c.next)._tag, "MsgIntersectFound")
      yield* c.send(ChainSync.make.requestNext())
      const back = yield* c.next
      assert.strictEqual(back._tag, "MsgRollBackward")
      assert.strictEqual(back.point.slot, blocks[4]!.slot)
      for (let i = 5; i < 20; i++) {
        yield* c.send(ChainSync.make.requestNext())
        const fwd = yield* c.next
        assert.strictEqual(fwd._tag, "MsgRollForward")
        assert.strictEqual(Cbor.toHex(fwd.header.bytes), Cbor.toHex(blocks[i]!.header.bytes))
      }
      yield* c.send(ChainSync.make.requestNext())
      assert.strictEqual((yield* c.next)._tag, "MsgAwaitReply")
      yield* server.chain.append(blocks[20]!)
      const woke = yield* c.next
      assert.strictEqual(woke._tag, "MsgRollForward")
      assert.strictEqual(Cbor.toHex(woke.header.bytes), Cbor.toHex(blocks[20]!.header.bytes))
      yield* c.send(ChainSync.make.findIntersect([ { _tag: "Specific", slot: 1, hash: new Uint8Array(32) } ]))
      assert.strictEqual((yield* c.next)._tag, "MsgIntersectNotFound")
    }), 30_000)

  it.live("block-fetch, keep-alive, peer-sharing and tx-submission2", () =>
    Effect.gen(function*() {
      const server = yield* startServer(blocks, { sharedPeers: [PeerId.tcp("127.0.0.9", 3001)] })
      const c = yield* startClient(server.address)
      yield* handshake(c)
      yield* c.send(BlockFetch.make.requestRange(Block.pointOf(blocks[2]!), Block.pointOf(blocks[9]!)))
      assert.strictEqual((yield* c.next)._tag, "MsgStartBatch")
      for (let i = 2; i <= 9; i++) {
        const b = yield* c.next
        assert.strictEqual(b._tag, "MsgBlock")
        assert.strictEqual(Cbor.toHex(b.block.bytes), Cbor.toHex(blocks[i]!.bytes))
      }
      assert.strictEqual((yield* c.next)._tag, "MsgBatchDone")
      yield* c.send(BlockFetch.make.requestRange(Block.pointOf(blocks[9]!), Block.pointOf(blocks[2]!)))
      assert.strictEqual((yield* c.next)._tag, "MsgNoBlocks")
            yield* c.send(KeepAlive.make.keepAlive(4242))
      const ka = yield* c.next
      assert.deepStrictEqual([ka._tag, ka.cookie], ["MsgKeepAliveResponse", 4242])
      yield* c.send(PeerSharing.make.shareRequest(5))
      const peers = yield* c.next
      assert.strictEqual(peers._tag, "MsgSharePeers")
      assert.isTrue(peers.peers.length >= 1 && peers.peers.length <= 5)
      assert.strictEqual(peers.peers[0].ip, "127.0.0.9")
      // tx-submission2: we are the client; the responder pulls
      yield* c.send(TxSubmission2.make.init())
      const ask = yield* c.next
      assert.strictEqual(ask._tag, "MsgRequestTxIds")
      const txId = { era: 6, txId: new Uint8Array(32).fill(1) }
      yield* c.send(TxSubmission2.make.replyTxIds([{ txId, size: 3 }]))
      const want = yield* c.next
      assert.strictEqual(want._tag, "MsgRequestTxs")
      yield* c.send(TxSubmission2.make.replyTxs([{ era: 6, bytes: new Uint8Array([0x82, 0x01, 0x02]) }]))
      const received = yield* server.awaitEvent((e) => e._tag === "TxReceived")
      assert.deepStrictEqual([...received.tx.bytes], [0x82, 0x01, 0x02])
    }), 30_000)

  it.live("a protocol violator is closed with a reason and banned by IP while another client syncs", () =>
    Effect.gen(function*() {
      const server = yield* startServer(blocks)
      const good = yield* startClient(server.address)
      yield* handshake(good)
      // a raw client sends MsgAwaitReply, a server-only message, on the client side of chain-sync
      const payload = ChainSync.protocol.encode(ChainSync.make.awaitReply())
      const sock = yield* Effect.acquireRelease(
        Effect.sync(() => require_net().connect(Number(server.address.split(":")[1]), "127.0.0.1")),
        (s) => Effect.sync(() => s.destroy())
      )
      const hs = Handshake.protocol.encode(Handshake.make.propose(Handshake.n2nVersionTable({ magic: MAGIC })))
      const seg = (proto: number, p: Uint8Array) => {
        const h = Buffer.alloc(8)
        h.writeUInt16BE(proto, 4)
        h.writeUInt16BE(p.length, 6)
        return Buffer.concat([h, Buffer.from(p)])
      }
      sock.write(Buffer.concat([seg(0, hs), seg(2, payload)]))
      const banned = yield* server.awaitEvent((e) => e._tag === "PeerBanned")
      assert.strictEqual(banned.ip, "127.0.0.1")
      assert.isTrue(server.events.some((e) => e._tag === "ProtocolViolation" && e.error.message.includes("chain-sync")))
      // a reconnect from the banned IP (another port) is refused
      const again = yield* startClient(server.address)
      assert.strictEqual((yield* again.nextEvent)._tag, "Disconnected")
      // the well-behaved client carries on
      yield* good.send(ChainSync.make.requestNext())
      assert.strictEqual((yield* good.next)._tag, "MsgRollBackward")
      yield* good.send(ChainSync.make.requestNext())
      assert.strictEqual((yield* good.next)._tag, "MsgRollForward")
    }), 30_000)

  it.live.skipIf(!vectorsAvailable)("serves the real 864-block chunk byte for byte", () =>
    Effect.gen(function*() {
      const chunk = yield* ImmutableDb.readBlocks(path.join(vectorsDir, "chain", "01285.chunk"))
      const server = yield* startServer(chunk)
      const c = yield* startClient(server.address)
      yield* handshake(c)
      yield* c.send(BlockFetch.make.requestRange(Block.pointOf(chunk[0]!), Block.pointOf(chunk[863]!)))
      assert.strictEqual((yield* c.next)._tag, "MsgStartBatch")
      const raw = fs.readFileSync(path.join(vectorsDir, "chain", "01285.chunk"))
      let offset = 0
      for (let i = 0; i < 864; i++) {
        const b = yield* c.next
        assert.strictEqual(b._tag, "MsgBlock")
        assert.isTrue(Buffer.from(b.block.bytes).equals(raw.subarray(offset, offset + b.block.bytes.length)))
        offset += b.block.bytes.length
      }
      assert.strictEqual(offset, raw.length)
      assert.strictEqual((yield* c.next)._tag, "MsgBatchDone")
    }), 60_000)
})

import { createRequire } from "node:module"
const require_net = () => createRequire(import.meta.url)("node:net") as typeof import("node:net")
