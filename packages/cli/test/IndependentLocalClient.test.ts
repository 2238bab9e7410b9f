/**
 * The independent client (`@harmoniclabs/ouroboros-miniprotocols-ts` 0.0.4) in node-to-client mode
 * against `network2 serve --socket-path`, run as a separate process serving the real chunk, over a
 * real Unix socket in a temporary directory.
 *
 * What the independent client sends that the node-to-client protocol of a Cardano node does not allow
 * (a transaction and a tx id without the hard-fork era wrapping `[era, #6.24(bytes)]` / `[era, id]`)
 * is pinned as the stand-in's refusal, and the stand-in keeps serving every other client.
 */
import { assert, describe, it } from "@effect/vitest"
import { Block, Cbor, LocalNode, Protocols } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as LocalNodeSocket from "@pallas-network2/node/LocalNodeSocket"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { vectorsAvailable } from "../../core/test/utils/vectors.ts"
import * as H from "./support/harmonicLocal.ts"
import { run, serveChunk } from "./support/localProcess.ts"

const MAGIC = 42

const tx = (seed: number): Uint8Array =>
  Cbor.encode([new Map<Cbor.Value, Cbor.Value>([[0, [[new Uint8Array(32).fill(seed), 1]]], [2, 170_000 + seed]]), new Map(), true, null])

describe.skipIf(!vectorsAvailable)("the independent client (node-to-client) against network2 serve --socket-path (a process)", () => {
  it.live("its chain-sync gets every block of the chunk; its state query reads the tip's chain point; its tx monitor reads what our client submitted", () =>
    Effect.gen(function*() {
      const { chunk, chunkBytes, server, socketPath } = yield* serveChunk(MAGIC)
      const tip = Block.pointOf(chunk[chunk.length - 1]!)

      // our client submits three transactions first
      const ours = Context.get(yield* Layer.build(LocalNodeSocket.layerUnix({ socketPath, networkMagic: MAGIC })), LocalNode.LocalNode)
      const submitted = [tx(1), tx(2), tx(3)]
      const ids: Array<Uint8Array> = []
      for (const t of submitted) ids.push(yield* ours.submitTx({ era: 5, bytes: t }))

      // its own handshake asks for the version table (query true, whatever it is told): the stand-in answers it and closes
      const probe = yield* H.connect(socketPath)
      const own = yield* H.handshakeOwn(probe.mplexer, MAGIC)
      assert.deepStrictEqual(own, { _tag: "QueryReply", versions: [16, 17, 18, 19, 20, 21, 22, 23] } as never)

      // the proposal it means (query false) through its multiplexer: accepted at v19, the newest common version
      const conn = yield* H.connect(socketPath)
      const { mplexer, payloads } = conn
      const verdict = yield* H.handshake(conn, MAGIC)
      assert.deepStrictEqual(verdict, [1, 19 | 0x8000, [MAGIC, false]])

      // chain-sync, node-to-client: whole blocks, every one of the chunk
      const sync = H.chainSync(mplexer)
      assert.isTrue(yield* sync.findIntersect([Point.origin]))
      const first = yield* sync.requestNext
      assert.strictEqual(first, undefined, "the first answer is the roll-back to the intersection")
      const received: Array<string> = []
      for (let i = 0; i < chunk.length; i++) {
        const block = yield* sync.requestNext
        assert.isDefined(block, `answer ${i} is a roll forward`)
        received.push(Cbor.toHex(block!))
      }
      assert.strictEqual(received.length, 864)
      assert.deepStrictEqual(received, chunkBytes.map((b) => Cbor.toHex(b)))

      // state query: acquire the tip, read the chain point (the exact result bytes) and the era
      const query = H.stateQuery(mplexer)
      yield* query.acquire(tip)
      yield* query.query(Protocols.LocalStateQuery.Query.getChainPoint())
      const resultPayload = payloads.get(7)!.at(-1)!
      const result = Cbor.decode(resultPayload) as ReadonlyArray<Cbor.Value>
      assert.strictEqual(result[0], 4, "MsgResult")
      assert.strictEqual(Cbor.toHex(Cbor.encode(result[1]!)), Cbor.toHex(Cbor.encode(Point.toCbor(tip))))
      assert.strictEqual(yield* query.currentEra, 5n, "Babbage")
      yield* query.release

      // tx monitor. Its acquire() writes [3] (MsgRelease; MsgAcquire is [1]) and its getSizes() [3] too
      // (MsgGetSizes is [9]): MsgAcquire and MsgGetSizes go through its multiplexer as the CDDL has them,
      // and its own decoder reads the sizes
      const acquired = Cbor.decode(yield* H.exchange(conn, 9, Cbor.encode([1]))) as ReadonlyArray<Cbor.Value>
      assert.deepStrictEqual(acquired, [2, tip._tag === "Origin" ? 0 : tip.slot], "MsgAcquired at the tip's slot")
      const sizes = H.readSizes(yield* H.exchange(conn, 9, Cbor.encode([9])))
      assert.strictEqual(sizes.nTxs, 3)
      assert.strictEqual(sizes.mempoolSize, submitted.reduce((n, t) => n + t.length, 0))
      assert.strictEqual(sizes.mempoolCapacity, 180_224)
      // its nextTx() writes [5]; its reply decoder wants a bare tx, the node sends [era, #6.24(tx)]: read the payloads
      const monitor = H.txMonitor(mplexer)
      for (let i = 0; i < submitted.length; i++) yield* H.exchange(conn, 9, Cbor.encode([5]))
      const last = yield* monitor.nextTx
      assert.isTrue(last._tag === "Success" && last.value.tx === undefined, "its decoder reads the empty reply: no more")
      const nextTxs = payloads.get(9)!.slice(-4).map((p) => Cbor.decode(p) as ReadonlyArray<Cbor.Value>)
      assert.deepStrictEqual(
        nextTxs.slice(0, 3).map((m) => {
          const wrapped = m[1] as ReadonlyArray<Cbor.Value>
          return [m[0], wrapped[0], Cbor.toHex((wrapped[1] as Cbor.Tag).value as Uint8Array)]
        }),
        submitted.map((t) => [6, 5, Cbor.toHex(t)])
      )
      assert.deepStrictEqual(nextTxs[3], [6])
      // its hasTx(id) writes [7, id] (txId is `any` in the CDDL; the stand-in reads a bare id): true for
      // ours, false for another (its promise does not settle: the answers are read from the payloads)
      yield* monitor.hasTx(ids[1]!)
      yield* monitor.hasTx(new Uint8Array(32))
      assert.deepStrictEqual(payloads.get(9)!.slice(-2).map((p) => Cbor.decode(p)), [[8, true], [8, false]])
      yield* H.exchange(conn, 9, Cbor.encode([3])).pipe(Effect.timeout("300 millis"), Effect.ignore) // MsgRelease: no answer
      assert.isFalse(conn.isClosed())
      assert.deepStrictEqual(conn.errors, [])

      // what the CDDL does not allow: the stand-in's typed refusal closes that client only
      // 1. its tx monitor's acquire() ([3] in Idle)
      const second = yield* H.connect(socketPath)
      assert.deepStrictEqual(yield* H.handshake(second, MAGIC), [1, 19 | 0x8000, [MAGIC, false]])
      yield* H.txMonitor(second.mplexer).acquire
      yield* Effect.sleep("200 millis")
      assert.isTrue(second.isClosed())
      assert.include(server.log(), "protocol violation: local-tx-monitor in Idle: UnexpectedMessage: MsgRelease is not allowed here")
      // 2. its tx submission's submit(tx): [0, tx] without the era wrapping [era, #6.24(tx)]
      const third = yield* H.connect(socketPath)
      assert.deepStrictEqual(yield* H.handshake(third, MAGIC), [1, 19 | 0x8000, [MAGIC, false]])
      const refused = yield* H.txSubmit(third.mplexer).submit(tx(9))
      assert.strictEqual(refused._tag, "Failure", "no verdict: the connection is closed")
      assert.isTrue(third.isClosed())
      assert.include(server.log(), "protocol violation: local-tx-submission in Idle: Decode: tx: expected an array")
      // the stand-in stays up: the first connection still answers, and so does our client
      const again = Cbor.decode(yield* H.exchange(conn, 7, Cbor.encode([0, Point.toCbor(tip)]))) as ReadonlyArray<Cbor.Value>
      assert.deepStrictEqual(again, [1], "MsgAcquired on the first connection")
      const ourTip = yield* ours.queryTip
      assert.isTrue(Point.equals(ourTip.point, tip))
      assert.strictEqual((yield* ours.mempool).numberOfTxs, 3, "the refused tx never reached the mempool")
      const cli = yield* run(["query", "tip", "--socket-path", socketPath, "--testnet-magic", String(MAGIC), "--json"])
      assert.strictEqual(cli.code, 0, cli.err)
      assert.strictEqual(JSON.parse(cli.out).block, chunk[chunk.length - 1]!.blockNo)
    }).pipe(Effect.scoped), 180_000)
})
