/**
 * Fault injection on the simulated network (TestInterface + TestClock, the real multiplexer): peers
 * are cut, stall (stop delivering while their connections stay open) and vanish (cut and refuse new
 * connections for a while) at random times, including in the middle of block-fetch batches, while
 * the initiator syncs and fetches. Every block of the range must be delivered exactly once, in order.
 * Then 10 000 connection cycles with faults, counting live fibers before and after (the runtime's
 * fiber start and end hooks): nothing may be left behind.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { advanceUntil } from "../utils/clock.ts"
import { initiatorAt, MAGIC, protocols, responderAt, respondersAt } from "../utils/emulation.ts"
import { fiberCounter } from "../utils/fibers.ts"
import { prng } from "../utils/prng.ts"
import { Block, Cbor, ChainSource, GeneratedChain, Initiator, Interface, PeerId, Protocols, TestInterface } from "../../src/index.ts"

describe("fault injection on the simulated network (TestClock)", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it.effect(`seed ${seed}: random cuts, stalls and vanishing peers while syncing and fetching; every block once, in order`, () =>
      Effect.gen(function*() {
        const random = prng(seed)
        const blocks = GeneratedChain.generate({ blocks: 500, seed, maxBodySize: 20_000 })
        const chain = yield* ChainSource.makeMemory(blocks)
        const network = yield* TestInterface.SimNetwork
        const peers = yield* respondersAt("10.0.2", 6, chain, () => 50 + Math.floor(random() * 250), { limits: { perIpLimit: 1000, hardLimit: 1000, softLimit: 1000 } })
        const manager = yield* initiatorAt(PeerId.tcp("10.0.0.2", 40000), { targets: { known: 10, established: 6, active: 6 } })
        const events: Array<Initiator.InitiatorEvent> = []
        const faults: Array<string> = []
        // the fault schedule: a fault every 30-330 ms of simulated time; some peers vanish when a
        // block of theirs has just arrived (in the middle of a batch)
        let faulting = true
        const vanishOnBlock = new Set<PeerId>()
        yield* Effect.forkScoped(Stream.runForEach(manager.events, (e) =>
          Effect.gen(function*() {
            events.push(e)
            if (faulting && e._tag === "BlockReceived" && vanishOnBlock.has(e.peer)) {
              vanishOnBlock.delete(e.peer)
              faults.push(`vanish ${e.peer} mid-batch after block ${e.block.blockNo}`)
              yield* network.vanish(e.peer, true)
              yield* Effect.forkScoped(Effect.andThen(Effect.sleep(2000 + Math.floor(random() * 5000)), network.vanish(e.peer, false)))
            }
          })))
        yield* Effect.forkScoped(Effect.gen(function*() {
          while (faulting) {
            yield* Effect.sleep(30 + Math.floor(random() * 300))
            if (!faulting) return
            const p = peers[Math.floor(random() * peers.length)]!
            const r = random()
            if (r < 0.4) {
              faults.push(`cut ${p}`)
              yield* network.cut(p)
            } else if (r < 0.7) {
              const ms = 500 + Math.floor(random() * 4000)
              faults.push(`stall ${p} ${ms} ms`)
              yield* network.stall(p, true)
              yield* Effect.forkScoped(Effect.andThen(Effect.sleep(ms), network.stall(p, false)))
            } else {
              vanishOnBlock.add(p)
            }
          }
        }))
        const tip = blocks[blocks.length - 1]!
        for (const p of peers) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(p))
        yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
        // sync under faults; then fetch the whole chain under faults
        const until = (done: () => boolean, limitMs: number) => advanceUntil(done, 10, limitMs)
        const syncMs = yield* until(() => events.some((e) => e._tag === "TipChanged" && e.blockNo === tip.blockNo), 600_000)
        assert.isTrue(events.some((e) => e._tag === "TipChanged" && e.blockNo === tip.blockNo), `synced to the tip (faults: ${faults.length})`)
        const start = events.length
        yield* manager.execute(Initiator.InitiatorCommand.FetchRange(Block.pointOf(blocks[0]!), Block.pointOf(tip), 7))
        const fetchMs = yield* until(() => events.slice(start).some((e) => e._tag === "RangeFetched" || e._tag === "RangeFailed"), 600_000)
        faulting = false
        const kinds = (k: string) => faults.filter((f) => f.startsWith(k)).length
        console.log(`fault injection seed ${seed}: ${faults.length} faults (${kinds("cut")} cuts, ${kinds("stall")} stalls, ${kinds("vanish")} mid-batch vanishings); sync ${syncMs} ms, fetch ${fetchMs} ms simulated`)
        const outcome = events.slice(start).find((e) => e._tag === "RangeFetched" || e._tag === "RangeFailed")
        assert.strictEqual(outcome?._tag, "RangeFetched", `${JSON.stringify(outcome)}; faults: ${faults.join("; ")}`)
        const fetched = events.slice(start).flatMap((e) => e._tag === "BlockReceived" && e.rangeId === 7 ? [e.block.blockNo] : [])
        assert.deepStrictEqual(fetched, blocks.map((b) => b.blockNo), `faults: ${faults.join("; ")}`)
        const bytes = events.slice(start).flatMap((e) => e._tag === "BlockReceived" && e.rangeId === 7 ? [Cbor.toHex(e.block.bytes)] : [])
        assert.isTrue(bytes.every((b, i) => b === Cbor.toHex(blocks[i]!.bytes)), "every block's bytes as served")
        assert.isAtLeast(faults.length, 3, "faults were injected")
      }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 120_000)
  }

  it.effect("10 000 connection cycles with faults leave no fiber behind", () => {
    const counter = fiberCounter()
    return Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 20, seed: 3, maxBodySize: 200 })
      const chain = yield* ChainSource.makeMemory(blocks)
      const network = yield* TestInterface.SimNetwork
      const server = PeerId.tcp("10.0.3.1", 3001)
      const behavior = yield* responderAt(server, chain, 1, { limits: { perIpLimit: 1000, hardLimit: 1000, softLimit: 1000 } })
      const client = yield* Layer.build(TestInterface.layer({ address: PeerId.tcp("10.0.3.2", 40000), protocols }))
      const iface = Context.get(client, Interface.Interface)
      let accepts = 0
      // the cycles that handshake in full, and those whose acceptance came
      let full = 0
      let fullAccepted = 0
      const tags = new Map<string, number>()
      yield* Effect.forkScoped(Stream.runForEach(iface.events, (e) =>
        Effect.sync(() => {
          tags.set(e._tag, (tags.get(e._tag) ?? 0) + 1)
          if (e._tag === "Recv" && e.messages.some((m) => m._tag === "MsgAcceptVersion")) accepts++
        })))
      const random = prng(99)
      const log: Array<string> = []
      const cycle = (i: number) =>
        Effect.gen(function*() {
          log.push(`#${i}`)
          yield* iface.dispatch({ _tag: "Connect", peer: server })
          yield* iface.dispatch({ _tag: "Send", peer: server, message: Protocols.Handshake.make.propose(Protocols.Handshake.n2nVersionTable({ magic: MAGIC })) })
          const r = random()
          log.push(r < 0.5 ? "full" : r < 0.75 ? "cut" : r < 0.9 ? "stall" : "quick")
          if (r < 0.5) {
            // a full handshake (simulated time goes on a millisecond at a time until its acceptance
            // comes, each step letting the links' fibers run), a request, then a clean disconnect
            const before = accepts
            for (let k = 0; k < 20 && accepts === before; k++) yield* TestClock.adjust("1 millis")
            full++
            if (accepts > before) fullAccepted++
            yield* iface.dispatch({ _tag: "Send", peer: server, message: Protocols.ChainSync.make.requestNext() })
            yield* TestClock.adjust("5 millis")
            yield* iface.dispatch({ _tag: "Disconnect", peer: server })
          } else if (r < 0.75) {
            // cut by the network mid-handshake (once the dial is through)
            yield* TestClock.adjust("1 millis")
            yield* network.cut(server)
          } else if (r < 0.9) {
            // a stall, then the client gives up
            yield* network.stall(server, true)
            yield* TestClock.adjust("3 millis")
            yield* iface.dispatch({ _tag: "Disconnect", peer: server })
            yield* network.stall(server, false)
          } else {
            // disconnect at once
            yield* iface.dispatch({ _tag: "Disconnect", peer: server })
          }
          yield* TestClock.adjust("2 millis")
          // whatever happened, this cycle is over: a cut that came before the dial completed
          // leaves a live connection, which the client now closes
          yield* iface.dispatch({ _tag: "Disconnect", peer: server })
          // wait until the pool has let the connection go
          for (let k = 0; k < 100 && (yield* (iface as unknown as { connections: Effect.Effect<ReadonlyArray<PeerId>> }).connections).length > 0; k++) {
            yield* TestClock.adjust("1 millis")
          }
          void i
        })
      // warm up (lazy structures, first-use caches), then the baseline
      for (let i = 0; i < 50; i++) yield* cycle(i)
      yield* TestClock.adjust("10 seconds")
      const baseline = counter.live()
      const peersBefore = (yield* behavior.peers).size
      assert.strictEqual(peersBefore, 0, `quiet before the cycles: ${JSON.stringify([...(yield* behavior.peers).entries()])}; links open ${network.endpoints.get(server)?.cuts.size}, last cycles ${log.slice(-12).join(" ")}`)
      for (let i = 0; i < 10_000; i++) yield* cycle(i)
      yield* TestClock.adjust("10 seconds")
      const after = counter.live()
      assert.isAbove(accepts, 0, JSON.stringify([...tags]))
      assert.strictEqual(fullAccepted, full, `every full handshake was accepted: ${JSON.stringify([...tags])}`)
      assert.strictEqual((yield* behavior.peers).size, 0, `the responder holds no peer; last cycles ${log.slice(-12).join(" ")}`)
      assert.strictEqual(network.endpoints.get(server)?.cuts.size, 0, "no simulated link is left open")
      assert.strictEqual(after, baseline, `live fibers: ${baseline} before, ${after} after 10 000 cycles (${counter.counts.started} started)`)
      assert.isAbove(counter.counts.started, 10_000 * 8, "fibers were counted (every connection runs several)")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer), counter.provide)
  }, 300_000)
})
