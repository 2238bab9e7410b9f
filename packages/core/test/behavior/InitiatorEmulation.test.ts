/**
 * The initiator over the real multiplexer on the simulated network (TestInterface), driven by
 * TestClock: deterministic, no real waiting.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { advanceBy, runOnClock } from "../utils/clock.ts"
import { initiatorAt, MAGIC, protocols, responderAt, respondersAt } from "../utils/emulation.ts"
import { Block, ChainSource, GeneratedChain, Initiator, Interface, PeerId, Protocols, ReplayChain, TestInterface } from "../../src/index.ts"


describe("InitiatorBehavior on the simulated network (TestInterface + TestClock)", () => {
  it.effect("pipelined chain-sync takes a small fraction of the unpipelined time at 100 ms round trip", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 120, seed: 5, maxBodySize: 500 })
      const chain = yield* ChainSource.makeMemory(blocks)
      const server = PeerId.tcp("10.0.0.1", 3001)
      yield* responderAt(server, chain, 50) // 50 ms each way
      const time = (config: Initiator.InitiatorConfig, client: PeerId) =>
        Effect.gen(function*() {
          const manager = yield* initiatorAt(client, config)
          const done = yield* manager.events.pipe(
            Stream.filter((e) => e._tag === "HeaderReceived"),
            Stream.take(blocks.length),
            Stream.runDrain,
            Effect.forkChild
          )
          yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(server))
          yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
          return (yield* runOnClock(done, 120_000)).elapsed
        }).pipe(Effect.scoped)
      const pipelined = yield* time({}, PeerId.tcp("10.0.0.2", 40000))
      const unpipelined = yield* time({ chainSync: { lowMark: 1, highMark: 1 } }, PeerId.tcp("10.0.0.3", 40000))
      // about one round trip per header unpipelined; a handful of round trips pipelined
      assert.isAbove(unpipelined, blocks.length * 100 * 0.9)
      assert.isBelow(pipelined / unpipelined, 0.1, `pipelined ${pipelined} ms, unpipelined ${unpipelined} ms`)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 60_000)

  it.effect("twenty peers with different latencies, some cut, one lying: best tip, liar banned, every block once in order", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 150, seed: 8, maxBodySize: 1500 })
      const chain = yield* ChainSource.makeMemory(blocks)
      const network = yield* TestInterface.SimNetwork
      // 5 ms .. 185 ms one way; the last is the slow one
      const peers = yield* respondersAt("10.0.1", 19, chain, (i) => 5 + i * 10)
      // the liar: accepts the handshake, then breaks the rules of the protocols (checked by our driver)
      const liar = PeerId.tcp("10.0.1.99", 3001)
      peers.push(liar)
      const liarContext = yield* Layer.build(TestInterface.layer({ address: liar, listen: true, protocols, initiatorOnInbound: true }))
      const liarIface = Context.get(liarContext, Interface.Interface)
      yield* Effect.forkScoped(Stream.runForEach(liarIface.events, (e) => {
        if (e._tag !== "Recv") return Effect.void
        return Effect.forEach(e.messages, (m) => {
          if (m.protocol === "handshake" && m._tag === "MsgProposeVersions") {
            return liarIface.dispatch({ _tag: "Send", peer: e.peer, message: Protocols.Handshake.make.accept(14, { networkMagic: MAGIC, initiatorOnlyDiffusionMode: false, peerSharing: 0, query: false }) }).pipe(
              // then an unasked keep-alive as the initiator of a protocol instance the dialler does not serve
              Effect.andThen(liarIface.dispatch({ _tag: "Send", peer: e.peer, message: Protocols.KeepAlive.make.keepAlive(1) }))
            )
          }
          return Effect.void
        }, { discard: true })
      }))
      const manager = yield* initiatorAt(PeerId.tcp("10.0.0.2", 40000), { targets: { known: 30, established: 20, active: 20 } })
      const events: Array<Initiator.InitiatorEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(manager.events, (e) => Effect.sync(() => void events.push(e))))
      const tip = blocks[blocks.length - 1]!
      const synced = yield* Effect.forkChild(Effect.gen(function*() {
        while (
          !(events.some((e) => e._tag === "TipChanged" && e.blockNo === tip.blockNo) &&
            events.some((e) => e._tag === "PeerBanned" && e.peer === liar))
        ) yield* Effect.sleep("10 millis")
      }))
      for (const p of peers) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(p))
      yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
      // cut three links while they sync
      yield* advanceBy(200, 10)
      for (const p of peers.slice(2, 5)) yield* network.cut(p)
      yield* runOnClock(synced, 60_000)
      assert.isTrue(events.some((e) => e._tag === "PeerBanned" && e.peer === liar), "the liar is banned")
      assert.isFalse(events.some((e) => e._tag === "PeerBanned" && e.peer !== liar), "nobody else is banned")
      // fetch the whole chain
      const start = events.length
      const done = yield* Effect.forkChild(Effect.gen(function*() {
        while (!events.slice(start).some((e) => e._tag === "RangeFetched" || e._tag === "RangeFailed")) yield* Effect.sleep("10 millis")
      }))
      yield* manager.execute(Initiator.InitiatorCommand.FetchRange(Block.pointOf(blocks[0]!), Block.pointOf(tip)))
      yield* runOnClock(done, 60_000)
      const fetched = events.slice(start).flatMap((e) => e._tag === "BlockReceived" ? [e.block.blockNo] : [])
      assert.deepStrictEqual(fetched, blocks.map((b) => b.blockNo))
      // the cut peers were dropped and, after their backoff, connected again
      yield* advanceBy(30_000)
      for (const p of peers.slice(2, 5)) {
        const warm = events.filter((e) => e._tag === "PeerPromoted" && e.peer === p && e.to === "warm").length
        assert.isAtLeast(warm, 2, `${p} came back after the cut`)
      }
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 120_000)

  it.effect("following a live chain from its tip: each new block, then a scheduled rollback, with no real waiting", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 30, seed: 6, maxBodySize: 800 })
      const chain = yield* ReplayChain.make(blocks, { start: 10, blockTime: "20 seconds", rollbackEvery: 3, rollbackDepth: 2 })
      const server = PeerId.tcp("10.0.0.1", 3001)
      yield* responderAt(server, chain, 20)
      const manager = yield* initiatorAt(PeerId.tcp("10.0.0.2", 40000), {})
      const events: Array<Initiator.InitiatorEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(manager.events, (e) => Effect.sync(() => void events.push(e))))
      yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(server))
      yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.tip))
      // 130 simulated seconds: blocks 10, 11, 12 appended (20, 40, 60 s), a rollback of two (80 s), then
      // 11 and 12 again (100, 120 s)
      yield* advanceBy(130_000)
      const headers = events.flatMap((e) => e._tag === "HeaderReceived" ? [e.blockNo] : [])
      assert.deepStrictEqual(headers.slice(0, 3), [10, 11, 12])
      assert.isTrue(events.some((e) => e._tag === "RolledBack"), "the rollback reached the follower")
      assert.isAtLeast(headers.filter((n) => n === 11).length, 2, "block 11 came again after the rollback")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 60_000)
})
