/**
 * Our node-to-client client (LocalNode) against our stand-in (LocalServer) on the simulated network
 * (TestInterface + TestClock), with the link cut and stalled during a blocks stream, state queries,
 * submissions and mempool reads. Every call completes or fails with a typed error within a bounded
 * simulated time (`answerTimeout`; never hangs), the next call connects again, and within one stream
 * no block comes twice or out of order; the streams together give the chain exactly.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { advanceUntil, runOnClock } from "../utils/clock.ts"
import { clientOf, standInAt } from "../utils/localNode.ts"
import { prng } from "../utils/prng.ts"
import {
  Cbor,
  ChainSource,
  GeneratedChain,
  LocalClient,
  LocalNode,
  PeerId,
  Protocols,
  TestInterface
} from "../../src/index.ts"

const ANSWER_MS = 5_000
/** The bound on one call: a reconnection (the old connection's end, a handshake) and its answer. */
const CALL_BOUND_MS = 4 * ANSWER_MS
const server = PeerId.tcp("10.0.5.1", 3001)
const client = clientOf(server, "10.0.5.2", { answerTimeout: ANSWER_MS })

/** The stand-in at `server` over `blocks` of a generated chain (its link delaying each write by `latency` ms), the network and a client. */
const served = (options: GeneratedChain.GeneratedChainOptions, latency = 0) =>
  Effect.gen(function*() {
    const blocks = GeneratedChain.generate(options)
    yield* standInAt(server, yield* ChainSource.makeMemory(blocks), { latency })
    return { blocks, network: yield* TestInterface.SimNetwork, node: yield* client }
  })

const tx = (seed: number): Protocols.Common.EraTx => ({
  era: 6,
  bytes: Cbor.encode([new Map<Cbor.Value, Cbor.Value>([[0, [[new Uint8Array(32).fill(seed & 0xff), seed >> 8]]], [2, 170_000 + seed]]), new Map(), true, null])
})

/** The typed errors a call may end with under faults. */
const TYPED = new Set(["ConnectionClosed", "HandshakeRefused", "AcquireFailed", "QueryFailed", "TxRejected", "CommandRejected", "IntersectNotFound"])

/** How a call ended: "ok" or its typed error's tag (a defect or an interruption is named as such). */
const failureTag = <A, E>(exit: Exit.Exit<A, E>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  const error = Cause.findErrorOption(exit.cause)
  return Option.isSome(error) ? (error.value as { readonly _tag: string })._tag : `not a typed error: ${Cause.pretty(exit.cause)}`
}

/** Runs `call` in a fiber on the TestClock until it ends (at most `limit` ms simulated). */
const timed = <A, E>(call: Effect.Effect<A, E>, limit = CALL_BOUND_MS) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(Effect.exit(call))
    const elapsed = yield* advanceUntil(() => fiber.pollUnsafe() !== undefined, 10, limit)
    assert.isDefined(fiber.pollUnsafe(), `the call ended within ${limit} ms simulated`)
    const exit = yield* Fiber.join(fiber)
    const tag = failureTag(exit)
    assert.isTrue(tag === "ok" || TYPED.has(tag), `ok or a typed error, got ${tag}`)
    return { elapsed, exit, tag }
  })

describe("LocalNode against the stand-in with cuts and stalls (TestInterface + TestClock)", () => {
  it.effect("a stalled link: each kind of call fails with ConnectionClosed at the answer timeout, and the next call connects again", () =>
    Effect.gen(function*() {
      const { blocks, network, node } = yield* served({ blocks: 12, seed: 4, maxBodySize: 500 })
      const firstBlocks = node.blocks("origin").pipe(Stream.take(4), Stream.runCollect)
      const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, LocalNode.LocalNodeError>]> = [
        ["queryTip", node.queryTip],
        ["submitTx", node.submitTx(tx(1))],
        ["mempool", node.mempool],
        ["hasTx", node.hasTx({ era: 6, txId: new Uint8Array(32) })],
        ["blocks", firstBlocks]
      ]
      for (const [name, call] of calls) {
        // connected and answering first
        const warm = yield* timed(node.queryTip)
        assert.strictEqual(warm.tag, "ok", `${name}: the connection answers before the stall`)
        yield* network.stall(server, true)
        const stalled = yield* timed(call)
        assert.strictEqual(stalled.tag, "ConnectionClosed", `${name} on a stalled link`)
        assert.isAtLeast(stalled.elapsed, ANSWER_MS - 10, `${name}: waited for the answer timeout`)
        assert.isAtMost(stalled.elapsed, ANSWER_MS + 100, `${name}: failed at the answer timeout`)
        if (Exit.isFailure(stalled.exit)) {
          const e = Cause.findErrorOption(stalled.exit.cause)
          assert.include(Option.isSome(e) ? (e.value as LocalNode.ConnectionClosed).detail : "", "no answer from the node within 5000 ms")
        }
        yield* network.stall(server, false)
        // the next call connects again (a submission that reached the node before the stall is in its
        // mempool already: the stand-in then rejects it as a duplicate, a typed answer of a new connection)
        const again = yield* timed(call)
        if (name === "submitTx") assert.include(["ok", "TxRejected"], again.tag)
        else assert.strictEqual(again.tag, "ok", `${name}: the next call connects again`)
      }
      // a stall shorter than the answer timeout only delays the answer
      yield* network.stall(server, true)
      const fiber = yield* Effect.forkChild(node.queryTip)
      yield* advanceUntil(() => false, 100, 2_000)
      assert.isUndefined(fiber.pollUnsafe(), "waiting while stalled")
      yield* network.stall(server, false)
      const { elapsed, result } = yield* runOnClock(fiber, ANSWER_MS)
      assert.isBelow(elapsed, ANSWER_MS, "answered once the link flows again")
      assert.strictEqual(result.blockNo, blocks[blocks.length - 1]!.blockNo)
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 60_000)

  it.effect("a cut during each kind of call ends it (or it completed first) with a typed error at once; the next call connects again", () =>
    Effect.gen(function*() {
      const { blocks, network, node } = yield* served({ blocks: 30, seed: 6, maxBodySize: 2_000 })
      const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, LocalNode.LocalNodeError>]> = [
        ["queryTip", node.queryTip],
        ["submitTx", node.submitTx(tx(2))],
        ["mempool", node.mempool],
        ["blocks", node.blocks("origin").pipe(Stream.take(blocks.length + 1), Stream.runCollect)]
      ]
      const tags: Array<string> = []
      for (const [name, call] of calls) {
        for (const delay of [0, 1, 3, 7]) {
          const fiber = yield* Effect.forkChild(Effect.exit(call))
          if (delay > 0) yield* advanceUntil(() => false, 1, delay)
          yield* network.cut(server)
          const elapsed = yield* advanceUntil(() => fiber.pollUnsafe() !== undefined, 10, ANSWER_MS)
          assert.isDefined(fiber.pollUnsafe(), `${name} cut after ${delay} ms ends without waiting for a timeout`)
          const tag = failureTag(yield* Fiber.join(fiber))
          tags.push(`${name}@${delay}: ${tag} in ${elapsed} ms`)
          assert.isTrue(tag === "ok" || TYPED.has(tag), `${name} cut after ${delay} ms: ${tag}`)
          // the cut reaches the client (a call that had completed before it did not see it)
          yield* advanceUntil(() => false, 1, 5)
          const next = yield* timed(name === "submitTx" ? node.queryTip : call)
          assert.strictEqual(next.tag, "ok", `${name}: the call after the cut connects again`)
        }
      }
      assert.isTrue(tags.some((t) => t.includes(": ConnectionClosed in ")), `some calls were cut: ${tags.join(", ")}`)
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 60_000)

  for (const seed of [1, 2, 3]) {
    it.effect(`seed ${seed}: random cuts and stalls during streams, queries and submits; each stream in order without repeats, the streams give the chain`, () =>
      Effect.gen(function*() {
        const random = prng(seed)
        const { blocks, network, node } = yield* served({ blocks: 120, seed, maxBodySize: 3_000 }, 20)
        const faults: Array<string> = []
        let faulting = true
        yield* Effect.forkScoped(Effect.gen(function*() {
          while (faulting) {
            yield* Effect.sleep(100 + Math.floor(random() * 900))
            if (!faulting) return
            if (random() < 0.5) {
              faults.push("cut")
              yield* network.cut(server)
            } else {
              // some stalls outlast the answer timeout, some do not
              const ms = 500 + Math.floor(random() * 2 * ANSWER_MS)
              faults.push(`stall ${ms}`)
              yield* network.stall(server, true)
              yield* Effect.sleep(ms)
              yield* network.stall(server, false)
            }
          }
        }))

        // the consumer: streams from the last block received, until the chain is complete; queries
        // and submissions from another fiber at the same time
        const received: Array<LocalClient.LocalBlock> = []
        const outcomes: Array<{ readonly call: string; readonly tag: string; readonly ms: number }> = []
        let streams = 0
        let done = false
        const stream = Effect.gen(function*() {
          while (received.length < blocks.length) {
            streams++
            const last = received[received.length - 1]
            const from: LocalNode.From = last === undefined ? "origin" : [Protocols.Common.Point.specific(last.slot, last.hash)]
            const inThisStream: Array<LocalClient.LocalBlock> = []
            let before = yield* Clock.currentTimeMillis
            const exit = yield* node.blocks(from).pipe(
              Stream.takeUntil(() => received.length >= blocks.length),
              Stream.runForEach((u) =>
                Effect.gen(function*() {
                  const now = yield* Clock.currentTimeMillis
                  assert.isAtMost(now - before, CALL_BOUND_MS, "each step of the stream comes within the bound")
                  before = now
                  if (u._tag === "RollBackward") {
                    assert.strictEqual(inThisStream.length, 0, "a roll-back only at the start (the chain is fixed)")
                    return
                  }
                  const prev = inThisStream[inThisStream.length - 1] ?? last
                  if (prev !== undefined) {
                    assert.strictEqual(u.block.blockNo, prev.blockNo + 1, "in order, no block twice")
                    assert.strictEqual(Cbor.toHex(u.block.prevHash!), Cbor.toHex(prev.hash))
                  }
                  inThisStream.push(u.block)
                  received.push(u.block)
                })
              ),
              Effect.exit
            )
            const now = yield* Clock.currentTimeMillis
            assert.isAtMost(now - before, CALL_BOUND_MS, "a stream ends within the bound")
            const tag = failureTag(exit)
            assert.isTrue(tag === "ok" || TYPED.has(tag), `stream ${streams}: ${tag}`)
            outcomes.push({ call: "blocks", tag, ms: 0 })
          }
        })
        const others = Effect.gen(function*() {
          let i = 0
          while (!done) {
            i++
            const call: Effect.Effect<unknown, LocalNode.LocalNodeError> = i % 3 === 0 ? node.submitTx(tx(1000 + i)) : i % 3 === 1 ? node.queryTip : node.mempool
            const start = yield* Clock.currentTimeMillis
            const exit = yield* Effect.exit(call)
            const ms = (yield* Clock.currentTimeMillis) - start
            const tag = failureTag(exit)
            assert.isTrue(tag === "ok" || TYPED.has(tag), `call ${i}: ${tag}`)
            assert.isAtMost(ms, CALL_BOUND_MS, `call ${i} (${tag}) ended within the bound`)
            outcomes.push({ call: i % 3 === 0 ? "submitTx" : i % 3 === 1 ? "queryTip" : "mempool", tag, ms })
            yield* Effect.sleep(50)
          }
        })
        const streamFiber = yield* Effect.forkChild(stream)
        const othersFiber = yield* Effect.forkChild(others)
        const ms = yield* advanceUntil(() => streamFiber.pollUnsafe() !== undefined, 10, 1_200_000)
        done = true
        faulting = false
        const streamExit = streamFiber.pollUnsafe()
        assert.isDefined(streamExit, `the streams got the whole chain (${received.length} of ${blocks.length} blocks; faults ${faults.join(", ")})`)
        if (streamExit !== undefined && Exit.isFailure(streamExit)) assert.fail(String(streamExit.cause))
        yield* advanceUntil(() => othersFiber.pollUnsafe() !== undefined, 10, CALL_BOUND_MS + 1_000)
        const othersExit = othersFiber.pollUnsafe()
        assert.isDefined(othersExit)
        if (othersExit !== undefined && Exit.isFailure(othersExit)) assert.fail(String(othersExit.cause))

        assert.deepStrictEqual(received.map((b) => b.blockNo), blocks.map((b) => b.blockNo))
        assert.isTrue(received.every((b, i) => Cbor.toHex(b.bytes) === Cbor.toHex(blocks[i]!.bytes)), "every block's bytes as served")
        assert.isAtLeast(faults.length, 3, "faults were injected")
        assert.isAtLeast(streams, 2, "a stream was broken and resumed")
        // with the faults over, the next calls all succeed on a new connection
        for (const call of [node.queryTip, node.mempool, node.submitTx(tx(99_000))] as const) {
          const after = yield* timed(call as Effect.Effect<unknown, LocalNode.LocalNodeError>)
          assert.strictEqual(after.tag, "ok")
        }
        const failed = outcomes.filter((o) => o.tag !== "ok").length
        console.log(`local faults seed ${seed}: ${faults.length} faults, ${streams} streams, ${outcomes.length} calls (${failed} failed, typed), ${ms} ms simulated`)
      }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 120_000)
  }
})

