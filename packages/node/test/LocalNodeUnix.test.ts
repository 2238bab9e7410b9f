/**
 * The node-to-client client (LocalNode) against the local-node stand-in over a real Unix socket in a
 * temporary directory.
 */
import { assert, describe, it } from "@effect/vitest"
import { Block, Cbor, ChainSource, GeneratedChain, LocalNode, LocalServer, Protocols } from "@pallas-network2/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LocalNodeSocket from "../src/LocalNodeSocket.ts"

const MAGIC = 42

const tempSocket = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "n2c-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
).pipe(Effect.map((dir) => path.join(dir, "node.socket")))

const standIn = (socketPath: string, chain: ChainSource.ChainSourceShape, extra: Layer.Layer<never> | Layer.Layer<LocalServer.TxValidator> = Layer.empty) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      LocalNodeSocket.layerStandInUnix({ socketPath, networkMagic: MAGIC }).pipe(
        Layer.provide(extra as Layer.Layer<never>),
        Layer.provide(Layer.succeed(ChainSource.ChainSource, chain))
      )
    )
    const events: Array<LocalServer.LocalServerEvent> = []
    yield* Effect.forkScoped(Stream.runForEach(Context.get(context, LocalServer.LocalServerManager).events, (e) => Effect.sync(() => void events.push(e))))
    return events
  })

const client = (socketPath: string | undefined, magic = MAGIC) =>
  Effect.map(Layer.build(LocalNodeSocket.layerUnix({ socketPath, networkMagic: magic })), (c) => Context.get(c, LocalNode.LocalNode))

const tx = (seed: number): Protocols.Common.EraTx => ({
  era: 6,
  bytes: Cbor.encode([new Map<Cbor.Value, Cbor.Value>([[0, [[new Uint8Array(32).fill(seed), 1]]], [2, 200_000 + seed]]), new Map(), true, null])
})

describe("LocalNode over a real Unix socket against the stand-in", () => {
  it.live("blocks stream and match, a roll-back is seen, the tip query equals the source's tip", () =>
    Effect.gen(function*() {
      const socketPath = yield* tempSocket
      const blocks = GeneratedChain.generate({ blocks: 60, seed: 9, maxBodySize: 3000 })
      const chain = yield* ChainSource.makeMemory(blocks.slice(0, 50))
      yield* standIn(socketPath, chain)
      const node = yield* client(socketPath)
      const tip = yield* node.queryTip
      assert.isTrue(Protocols.Common.Point.equals(tip.point, Block.pointOf(blocks[49]!)))
      assert.strictEqual(tip.blockNo, blocks[49]!.blockNo)
      // from origin to the tip, then follow: two more blocks, a roll-back of one, another block
      const seen: Array<LocalNode.ChainUpdate> = []
      const follower = yield* Effect.forkChild(node.blocks("origin").pipe(Stream.runForEach((u) => Effect.sync(() => void seen.push(u)))))
      const waitFor = (pred: () => boolean) => Effect.gen(function*() {
        while (!pred()) yield* Effect.yieldNow
      }).pipe(Effect.timeout("10 seconds"))
      const forward = () => seen.flatMap((u) => (u._tag === "RollForward" ? [u.block] : []))
      yield* waitFor(() => forward().length === 50)
      assert.deepStrictEqual(forward().map((b) => Cbor.toHex(b.bytes)), blocks.slice(0, 50).map((b) => Cbor.toHex(b.bytes)))
      yield* chain.append(blocks[50]!)
      yield* chain.append(blocks[51]!)
      yield* waitFor(() => forward().length === 52)
      yield* chain.rollback(1)
      yield* waitFor(() => seen[seen.length - 1]!._tag === "RollBackward")
      const back = seen[seen.length - 1]!
      assert.isTrue(back._tag === "RollBackward" && Protocols.Common.Point.equals(back.point, Block.pointOf(blocks[50]!)))
      yield* chain.append(blocks[51]!)
      yield* waitFor(() => forward().length === 53)
      yield* Fiber.interrupt(follower)
    }).pipe(Effect.scoped))

  it.live("submit, then the mempool shows the tx and has-tx is true; a validator's reason bytes come back exactly", () =>
    Effect.gen(function*() {
      const socketPath = yield* tempSocket
      const reason = Cbor.fromHex("8182068183051a000de7561a00080fd6")!
      const validator = Layer.succeed(LocalServer.TxValidator, {
        validate: (t) => t.bytes.length > 80 ? Effect.fail(new LocalServer.TxRejection({ reason, detail: "too big for this test" })) : Effect.void
      })
      yield* standIn(socketPath, yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3 })), validator)
      const node = yield* client(socketPath)
      const id = yield* node.submitTx(tx(1))
      const snapshot = yield* node.mempool
      assert.strictEqual(snapshot.numberOfTxs, 1)
      assert.strictEqual(Cbor.toHex(snapshot.txs[0]!.bytes), Cbor.toHex(tx(1).bytes))
      assert.isTrue(yield* node.hasTx(id))
      const big: Protocols.Common.EraTx = { era: 6, bytes: Cbor.encode([new Map([[0, new Uint8Array(100)]]), new Map(), true, null]) }
      const error = yield* node.submitTx(big).pipe(Effect.flip)
      assert.strictEqual(error._tag, "TxRejected")
      assert.strictEqual(error._tag === "TxRejected" ? Cbor.toHex(error.reason) : "", Cbor.toHex(reason))
    }).pipe(Effect.scoped))

  it.live("a wrong magic is a refusal; an unanswerable query is a typed error; a bad socket path is a typed error", () =>
    Effect.gen(function*() {
      const socketPath = yield* tempSocket
      const events = yield* standIn(socketPath, yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3 })))
      const wrong = yield* client(socketPath, 1)
      const refused = yield* wrong.connect.pipe(Effect.flip)
      assert.strictEqual(refused._tag, "HandshakeRefused")
      const node = yield* client(socketPath)
      const unanswered = yield* node.query(LocalNode.Queries.genesisConfig(6)).pipe(Effect.flip)
      assert.strictEqual(unanswered._tag === "QueryFailed" ? unanswered.reason : unanswered._tag, "Unanswered")
      assert.isTrue(events.some((e) => e._tag === "ClientDisconnected" && e.reason.startsWith("query not answered")))
      assert.strictEqual(typeof (yield* node.queryTip).blockNo, "number", "the next call connects again")
      const missing = yield* Layer.build(LocalNodeSocket.layerUnix({ socketPath: path.join(path.dirname(socketPath), "absent") })).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "SocketPathError")
      const notSocket = yield* Layer.build(LocalNodeSocket.layerUnix({ socketPath: path.dirname(socketPath) })).pipe(Effect.flip)
      assert.include(notSocket.message, "not a socket")
    }).pipe(Effect.scoped))
})
