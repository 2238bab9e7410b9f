/**
 * An independent implementation against our responder over TCP on 127.0.0.1:
 * @harmoniclabs/ouroboros-miniprotocols-ts 0.0.4 (its HandshakeClient, ChainSyncClient and
 * BlockFetchClient). It proposes up to v14 and does not split large messages, so the served chain has
 * small blocks; every header and block it receives is checked against the served bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Block, Cbor, ChainSource, GeneratedChain, ReplayChain } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { vectorsAvailable, vectorsDir } from "../../core/test/utils/vectors.ts"
import { startResponder } from "../src/commands/DemoCommand.ts"
import * as Harmonic from "./support/harmonicClient.ts"

const MAGIC = 42

const serve = (blocks: ReadonlyArray<Block.ChainBlock>) =>
  Effect.flatMap(ChainSource.makeMemory(blocks), (chain) => Effect.map(startResponder(chain, MAGIC), (r) => r.port))

describe("@harmoniclabs/ouroboros-miniprotocols-ts against our responder", () => {
  const blocks = GeneratedChain.generate({ blocks: 40, seed: 11, minBodySize: 200, maxBodySize: 2000 })

  it.live("handshakes (v14), syncs every header and fetches every block byte for byte", () =>
    Effect.gen(function*() {
      const port = yield* serve(blocks)
      const { mplexer, errors } = yield* Harmonic.connect(port)
      const hs = yield* Harmonic.handshake(mplexer, MAGIC)
      assert.deepStrictEqual(hs, { _tag: "Accept", version: 14 })
      const sync = Harmonic.chainSync(mplexer)
      const found = yield* sync.findIntersect([Block.pointOf(blocks[0]!)])
      assert.isTrue(found)
      const first = yield* sync.requestNext
      assert.strictEqual(first._tag, "RollBackward")
      for (let i = 1; i < blocks.length; i++) {
        const step = yield* sync.requestNext
        assert.strictEqual(step._tag, "RollForward")
        if (step._tag === "RollForward") assert.strictEqual(Cbor.toHex(step.header.bytes), Cbor.toHex(blocks[i]!.header.bytes))
      }
      const fetch = Harmonic.blockFetch(mplexer)
      const got = yield* fetch.requestRange(Block.pointOf(blocks[0]!), Block.pointOf(blocks[blocks.length - 1]!))
      assert.isDefined(got)
      assert.strictEqual(got!.length, blocks.length)
      got!.forEach((bytes, i) => assert.strictEqual(Cbor.toHex(bytes), Cbor.toHex(blocks[i]!.bytes)))
      assert.deepStrictEqual([...errors, ...sync.errors, ...fetch.errors], [])
    }), 60_000)
})

describe.skipIf(!vectorsAvailable)("@harmoniclabs client and the real chunk", () => {
  it.live("fetches all 864 real blocks of the chunk, each byte for byte", () =>
    Effect.gen(function*() {
      const chunk = Block.splitChunk(new Uint8Array(fs.readFileSync(path.join(vectorsDir, "chain", "01285.chunk")))).map(Block.parse)
      const port = yield* serve(chunk)
      const { mplexer } = yield* Harmonic.connect(port)
      const hs = yield* Harmonic.handshake(mplexer, MAGIC)
      assert.deepStrictEqual(hs, { _tag: "Accept", version: 14 })
      const fetch = Harmonic.blockFetch(mplexer)
      const got = yield* fetch.requestRange(Block.pointOf(chunk[0]!), Block.pointOf(chunk[863]!)).pipe(Effect.timeout("20 seconds"))
      assert.strictEqual(got!.length, 864)
      got!.forEach((bytes, i) => assert.strictEqual(Cbor.toHex(bytes), Cbor.toHex(chunk[i]!.bytes)))
    }), 60_000)
})

describe("@harmoniclabs client following a live chain from its tip", () => {
  it.live("finds the tip, waits, then receives and decodes each new block's header as it is appended", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 30, seed: 12, minBodySize: 200, maxBodySize: 1500 })
      const chain = yield* ReplayChain.make(blocks, { start: 10, blockTime: "300 millis" })
      const { port } = yield* startResponder(chain, MAGIC)
      const { mplexer } = yield* Harmonic.connect(port)
      assert.strictEqual((yield* Harmonic.handshake(mplexer, MAGIC))._tag, "Accept")
      const sync = Harmonic.chainSync(mplexer)
      const tip = yield* chain.tip
      assert.isTrue(yield* sync.findIntersect([tip.point]))
      assert.strictEqual((yield* sync.requestNext)._tag, "RollBackward")
      const start = tip.blockNo
      for (let i = 1; i <= 3; i++) {
        const step = yield* sync.requestNext.pipe(Effect.timeout("5 seconds"))
        assert.strictEqual(step._tag, "RollForward")
        if (step._tag === "RollForward") {
          assert.strictEqual(Cbor.toHex(step.header.bytes), Cbor.toHex(blocks[start + i]!.header.bytes))
          assert.strictEqual(Block.headerInfo(step.header).blockNo, start + i)
        }
      }
    }), 60_000)
})
