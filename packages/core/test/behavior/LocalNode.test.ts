/**
 * The node-to-client client (LocalNode over LocalClient) against the local-node stand-in
 * (LocalServer), over the real multiplexer on the simulated network (TestInterface + TestClock).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { advanceBy } from "../utils/clock.ts"
import {
  Block,
  Cbor,
  ChainSource,
  GeneratedChain,
  LocalNode,
  LocalServer,
  PeerId,
  Protocols,
  ReplayChain,
  TestInterface
} from "../../src/index.ts"
import { clientOf, standInAt } from "../utils/localNode.ts"
import { loadVectors } from "../utils/vectors.ts"

const server = PeerId.tcp("10.0.0.1", 3001)

/** The stand-in at `server`, serving `chain`; returns the events it reported. */
const standIn = (
  chain: ChainSource.ChainSourceShape,
  extra: Layer.Layer<never> | Layer.Layer<LocalServer.TxValidator> | Layer.Layer<LocalServer.QueryHandler> = Layer.empty,
  config: LocalServer.LocalServerConfig = {}
) => standInAt(server, chain, { extra, config })

const client = (options: Partial<LocalNode.LocalNodeOptions> = {}) => clientOf(server, "10.0.0.2", options)

const tx = (seed: number): Protocols.Common.EraTx => ({
  era: 6,
  bytes: Cbor.encode([new Map<Cbor.Value, Cbor.Value>([[0, [[new Uint8Array(32).fill(seed), 0]]], [2, 170_000 + seed]]), new Map(), true, null])
})

describe("LocalNode against the local-node stand-in (TestInterface + TestClock)", () => {
  it.effect("streams every block of a generated chain from origin, each read as sent", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 40, seed: 3, maxBodySize: 800 })
      yield* standIn(yield* ChainSource.makeMemory(blocks))
      const node = yield* client()
      const updates = yield* node.blocks("origin").pipe(Stream.take(blocks.length + 1), Stream.runCollect)
      const list = [...updates]
      assert.strictEqual(list[0]!._tag, "RollBackward", "the node starts with a roll-back to the intersection")
      const forward = list.flatMap((u) => (u._tag === "RollForward" ? [u.block] : []))
      assert.strictEqual(forward.length, blocks.length)
      forward.forEach((b, i) => {
        const expected = blocks[i]!
        assert.strictEqual(Cbor.toHex(b.hash), Cbor.toHex(expected.hash))
        assert.strictEqual(b.slot, expected.slot)
        assert.strictEqual(b.blockNo, expected.blockNo)
        assert.strictEqual(b.prevHash === undefined ? "" : Cbor.toHex(b.prevHash), expected.prevHash === undefined ? "" : Cbor.toHex(expected.prevHash))
        assert.strictEqual(Cbor.toHex(b.bytes), Cbor.toHex(expected.bytes))
        assert.strictEqual(b.era, Block.parse(expected.bytes).header.era)
      })
      // from given points: the newest on the chain
      const fromPoint = yield* node.blocks([Block.pointOf(blocks[20]!), Block.pointOf(blocks[5]!)]).pipe(Stream.take(3), Stream.runCollect)
      const [first, second] = [...fromPoint]
      assert.strictEqual(first!._tag, "RollBackward")
      assert.strictEqual(second!._tag === "RollForward" ? second.block.blockNo : -1, blocks[21]!.blockNo)
      // a point not on the chain
      const missing = yield* node.blocks([Protocols.Common.Point.specific(1, new Uint8Array(32))]).pipe(Stream.runDrain, Effect.exit)
      assert.isTrue(Exit.isFailure(missing))
      assert.strictEqual(Exit.isFailure(missing) ? String(missing.cause).includes("IntersectNotFound") : false, true)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))

  it.effect("follows a live chain from its tip: new blocks, then a roll-back", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 30, seed: 6, maxBodySize: 600 })
      const chain = yield* ReplayChain.make(blocks, { start: 10, blockTime: "20 seconds", rollbackEvery: 3, rollbackDepth: 2 })
      yield* standIn(chain)
      const node = yield* client()
      const seen: Array<LocalNode.ChainUpdate> = []
      yield* Effect.forkScoped(node.blocks("tip").pipe(Stream.runForEach((u) => Effect.sync(() => void seen.push(u)))))
      yield* advanceBy(130_000)
      const forward = seen.flatMap((u) => (u._tag === "RollForward" ? [u.block.blockNo] : []))
      assert.deepStrictEqual(forward.slice(0, 3), [blocks[10]!.blockNo, blocks[11]!.blockNo, blocks[12]!.blockNo])
      const back = seen.findIndex((u, i) => i > 0 && u._tag === "RollBackward")
      assert.isAbove(back, 0, "a roll-back after the first blocks")
      const after = seen[back]!
      assert.strictEqual(after._tag === "RollBackward" && after.point._tag === "Specific" ? after.point.slot : -1, blocks[10]!.slot)
      assert.isAtLeast(forward.filter((n) => n === blocks[11]!.blockNo).length, 2, "block 11 again after the roll-back")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))

  it.effect("queryTip equals the source's tip; typed queries; an era mismatch and an unanswerable query are typed errors", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 25, seed: 4, maxBodySize: 500 })
      const chain = yield* ChainSource.makeMemory(blocks)
      const events = yield* standIn(chain, Layer.empty, { epochLength: 100 })
      const node = yield* client()
      const tip = yield* chain.tip
      const last = blocks[blocks.length - 1]!
      const local = yield* node.queryTip
      assert.isTrue(Protocols.Common.Point.equals(local.point, tip.point))
      assert.strictEqual(local.blockNo, tip.blockNo)
      assert.strictEqual(local.era, Block.parse(last.bytes).header.era)
      assert.strictEqual(local.epoch, Math.floor(last.slot / 100))
      const start = yield* node.query(LocalNode.Queries.systemStart)
      assert.strictEqual(start.year, 2022)
      // an acquired past point
      const past = yield* node.query(LocalNode.Queries.chainBlockNo, Protocols.LocalStateQuery.target.point(Block.pointOf(blocks[3]!)))
      assert.strictEqual(past, blocks[3]!.blockNo)
      const notOnChain = yield* node.query(LocalNode.Queries.chainPoint, Protocols.LocalStateQuery.target.point(Protocols.Common.Point.specific(7, new Uint8Array(32)))).pipe(Effect.flip)
      assert.strictEqual(notOnChain._tag, "AcquireFailed")
      assert.strictEqual(notOnChain._tag === "AcquireFailed" ? notOnChain.failure : "", "PointNotOnChain")
      // one state, several queries, re-acquired
      const both = yield* Effect.scoped(Effect.gen(function*() {
        const ledger = yield* node.acquire(Protocols.LocalStateQuery.target.point(Block.pointOf(blocks[2]!)))
        const a = yield* ledger.query(LocalNode.Queries.chainBlockNo)
        yield* ledger.reAcquire()
        const b = yield* ledger.query(LocalNode.Queries.chainBlockNo)
        return [a, b]
      }))
      assert.deepStrictEqual(both, [blocks[2]!.blockNo, tip.blockNo])
      // era mismatch
      const mismatch = yield* node.query(LocalNode.Queries.epochNo(local.era === 1 ? 2 : 1)).pipe(Effect.flip)
      assert.strictEqual(mismatch._tag, "QueryFailed")
      assert.strictEqual(mismatch._tag === "QueryFailed" ? mismatch.reason : "", "EraMismatch")
      // a query the stand-in does not answer: typed error, the stand-in says why it closed
      const refused = yield* node.query(LocalNode.Queries.protocolParameters(local.era)).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "QueryFailed")
      assert.strictEqual(refused._tag === "QueryFailed" ? refused.reason : "", "Unanswered")
      assert.isTrue(events.some((e) => e._tag === "QueryRefused"))
      assert.isTrue(events.some((e) => e._tag === "ClientDisconnected" && e.reason.startsWith("query not answered")))
      // the next call connects again
      const again = yield* node.queryTip
      assert.strictEqual(again.blockNo, tip.blockNo)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))

  it.effect("submit, then the mempool snapshot holds the transaction and has-tx is true; many fibers share the connection", () =>
    Effect.gen(function*() {
      yield* standIn(yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 5, seed: 1 })))
      const node = yield* client()
      const empty = yield* node.mempool
      assert.strictEqual(empty.numberOfTxs, 0)
      const txs = [tx(1), tx(2), tx(3), tx(4), tx(5), tx(6)]
      // submissions, queries and snapshots at once, from many fibers on one connection
      const results = yield* Effect.all([
        Effect.forEach(txs, (t) => node.submitTx(t), { concurrency: "unbounded" }),
        Effect.all([node.queryTip, node.queryTip, node.query(LocalNode.Queries.currentEra)], { concurrency: "unbounded" }),
        node.mempool
      ], { concurrency: "unbounded" })
      const ids = results[0]
      const snapshot = yield* node.mempool
      assert.strictEqual(snapshot.numberOfTxs, txs.length)
      assert.strictEqual(snapshot.sizeInBytes, txs.reduce((n, t) => n + t.bytes.length, 0))
      assert.deepStrictEqual(new Set(snapshot.txs.map((t) => Cbor.toHex(t.bytes))), new Set(txs.map((t) => Cbor.toHex(t.bytes))))
      for (const id of ids) assert.isTrue(yield* node.hasTx(id))
      assert.isFalse(yield* node.hasTx(new Uint8Array(32)))
      // the same transaction twice: rejected with the stand-in's reason
      const twice = yield* node.submitTx(txs[0]!).pipe(Effect.flip)
      assert.strictEqual(twice._tag, "TxRejected")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))

  it.effect("mempool reads the measures at version 20 and later (transaction_bytes from the stand-in), none below", () =>
    Effect.gen(function*() {
      yield* standIn(yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3, seed: 2 })), Layer.empty, { mempoolCapacity: 50_000 })
      const node = yield* client()
      assert.strictEqual((yield* node.connect).version, 23)
      const empty = yield* node.mempool
      assert.deepStrictEqual(empty.measures, [{ name: "transaction_bytes", size: 0, capacity: 50_000 }])
      const txs = [tx(1), tx(2), tx(3)]
      for (const t of txs) yield* node.submitTx(t)
      const full = yield* node.mempool
      const bytes = txs.reduce((n, t) => n + t.bytes.length, 0)
      assert.deepStrictEqual(full.measures, [{ name: "transaction_bytes", size: bytes, capacity: 50_000 }])
      assert.strictEqual(full.sizeInBytes, bytes)
      // version 19: no MsgGetMeasures on the wire, no measures
      const old = yield* client({ versions: [16, 19] })
      assert.strictEqual((yield* old.connect).version, 19)
      const snapshot = yield* old.mempool
      assert.strictEqual(snapshot.measures, undefined)
      assert.strictEqual(snapshot.numberOfTxs, 3)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))

  it.effect("a validator's rejection reaches the client with the reason's exact bytes", () =>
    Effect.gen(function*() {
      const vector = loadVectors("localtxsubmission.json").find((v) => v.name.startsWith("reject_reason_0001"))
      const reason = Cbor.fromHex(vector?.cbor_hex ?? "8182068183051a000de7561a00080fd6")!
      const validator = Layer.succeed(LocalServer.TxValidator, {
        validate: (t) =>
          t.bytes.length % 2 === 0 ? Effect.void : Effect.fail(new LocalServer.TxRejection({ reason, detail: "treasury value mismatch" }))
      })
      const events = yield* standIn(yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3 })), validator)
      const node = yield* client()
      const odd = [tx(1), tx(2), tx(3)].find((t) => t.bytes.length % 2 === 1)!
      const error = yield* node.submitTx(odd).pipe(Effect.flip)
      assert.strictEqual(error._tag, "TxRejected")
      if (error._tag === "TxRejected") {
        assert.strictEqual(Cbor.toHex(error.reason), Cbor.toHex(reason))
        assert.strictEqual(error.era, 6)
        // decoded where the era's shape is known: the Conway treasury-value mismatch, its two coins
        const decoded = error.decoded
        assert.isTrue(decoded.known)
        if (decoded.known) {
          assert.strictEqual(decoded.failures.length, 1)
          assert.strictEqual(decoded.failures[0]!.name, "ConwayTreasuryValueMismatch")
          assert.deepStrictEqual(decoded.failures[0]!.fields, [911190, 528342])
        }
        assert.include(error.message, "Conway: ConwayTreasuryValueMismatch")
      }
      assert.isTrue(events.some((e) => e._tag === "TxRejected"))
      assert.strictEqual((yield* node.mempool).numberOfTxs, 0)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))

  it.effect("a wrong network magic is a refusal; a version table with no common version too", () =>
    Effect.gen(function*() {
      const events = yield* standIn(yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3 })))
      const wrong = yield* client({ networkMagic: 1 })
      const error = yield* wrong.queryTip.pipe(Effect.flip)
      assert.strictEqual(error._tag, "HandshakeRefused")
      assert.include(error.message, "network magic")
      const old = yield* client({ versions: [14, 15] })
      const mismatch = yield* old.connect.pipe(Effect.flip)
      assert.strictEqual(mismatch._tag, "HandshakeRefused")
      assert.include(mismatch.message, "version mismatch")
      // the newest common version is chosen
      const some = yield* client({ versions: [16, 17, 19] })
      assert.strictEqual((yield* some.connect).version, 19)
      assert.isTrue(events.some((e) => e._tag === "ClientDisconnected" && e.reason.includes("handshake refused")))
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))

  it.effect("a call interrupted while its answer is due closes the connection; the next call opens another", () =>
    Effect.gen(function*() {
      const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 5 }))
      const events = yield* standIn(chain)
      const network = yield* TestInterface.SimNetwork
      const node = yield* client()
      yield* node.connect
      yield* network.stall(server, true)
      const fiber = yield* Effect.forkChild(node.queryTip)
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      yield* network.stall(server, false)
      const tip = yield* node.queryTip
      assert.strictEqual(tip.blockNo, (yield* chain.tip).blockNo)
      assert.isTrue(events.some((e) => e._tag === "ClientDisconnected"), "the first connection was closed")
      assert.strictEqual(events.filter((e) => e._tag === "HandshakeAccepted").length, 2, "a second connection was made")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))
})
