import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { Cbor } from "../../src/cbor/index.ts"
import { Blake2b, Block, ChainSource, GeneratedChain } from "../../src/chain/index.ts"
import { Point } from "../../src/protocol/Common.ts"
import { loadBlockIndex, vectorsAvailable, vectorsDir } from "../utils/vectors.ts"

const chunkPath = path.join(vectorsDir, "chain", "01285.chunk")

describe("Blake2b", () => {
  it("matches the RFC 7693 digests", () => {
    assert.strictEqual(
      Cbor.toHex(Blake2b.blake2b256(new Uint8Array(0))),
      "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
    )
    assert.strictEqual(
      Cbor.toHex(Blake2b.hash([new TextEncoder().encode("abc")], 64)),
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
    )
  })
})

describe.skipIf(!vectorsAvailable)("Block (real blocks from ../shared/vectors)", () => {
  it("reads every era's header hash, slot and block number as the index states them", () => {
    const index = loadBlockIndex()
    const tags: Record<string, number> = { byron: 1, shelley: 2, allegra: 3, mary: 4, alonzo: 5, babbage: 6, conway: 7 }
    for (const entry of index) {
      let bytes = Cbor.fromHex(fs.readFileSync(path.join(vectorsDir, entry.file), "utf8").trim())!
      if (!entry.layout.startsWith("[")) {
        const w = new Cbor.Writer().head(4, 2).int(tags[entry.era]!).raw(bytes)
        bytes = w.finish()
      }
      assert.strictEqual(Cbor.toHex(Block.parse(bytes).hash), entry.header_hash, entry.file)
    }
  })

  it("splits the real chunk into 864 blocks, each linked to the one before", () => {
    const blocks = Block.splitChunk(new Uint8Array(fs.readFileSync(chunkPath))).map(Block.parse)
    assert.strictEqual(blocks.length, 864)
    assert.strictEqual(blocks[0]!.blockNo, 910412)
    assert.strictEqual(blocks[863]!.slot, 27777565)
    for (let i = 1; i < blocks.length; i++) {
      assert.strictEqual(Cbor.toHex(blocks[i]!.prevHash!), Cbor.toHex(blocks[i - 1]!.hash))
    }
  })
})

describe("GeneratedChain", () => {
  it("makes hash-linked, parseable, labelled blocks, deterministically", () => {
    const a = GeneratedChain.generate({ blocks: 50, seed: 3 })
    const b = GeneratedChain.generate({ blocks: 50, seed: 3 })
    assert.strictEqual(Cbor.toHex(a[49]!.hash), Cbor.toHex(b[49]!.hash))
    for (let i = 1; i < a.length; i++) {
      assert.strictEqual(Cbor.toHex(a[i]!.prevHash!), Cbor.toHex(a[i - 1]!.hash))
      assert.isTrue(a[i]!.slot > a[i - 1]!.slot)
      assert.strictEqual(Block.parse(a[i]!.bytes).blockNo, i)
    }
    assert.isTrue(Cbor.toHex(a[0]!.header.bytes).includes(Cbor.toHex(GeneratedChain.SYNTHETIC_ISSUER)))
  })
})

describe("ChainSource (in memory)", () => {
  const blocks = GeneratedChain.generate({ blocks: 20, seed: 9, maxBodySize: 4000 })
  const point = (i: number) => Block.pointOf(blocks[i]!)

  it.effect("intersects, walks forward to the tip and serves ranges", () =>
    Effect.gen(function*() {
      const chain = yield* ChainSource.makeMemory(blocks.slice(0, 10))
      const found = yield* chain.intersect([Point.specific(1, new Uint8Array(32)), point(4)])
      assert.isTrue(found !== undefined && Point.equals(found.point, point(4)))
      assert.isUndefined(yield* chain.intersect([Point.specific(1, new Uint8Array(32))]))
      const step = yield* chain.next(point(4))
      assert.strictEqual(step._tag, "RollForward")
      assert.isTrue(step._tag === "RollForward" && Point.equals(step.point, point(5)))
      assert.strictEqual((yield* chain.next(point(9)))._tag, "AtTip")
      const first = yield* chain.next(Point.origin)
      assert.isTrue(first._tag === "RollForward" && Point.equals(first.point, point(0)))
      const range = yield* chain.range(point(2), point(5))
      const got = yield* Stream.runCollect(range!)
      assert.deepStrictEqual(Array.from(got).map((b) => Block.parse(b).blockNo), [2, 3, 4, 5])
      assert.isUndefined(yield* chain.range(point(5), point(2)))
    }))

  it.effect("publishes tip changes and walks a stale cursor back after a rollback", () =>
    Effect.gen(function*() {
      const chain = yield* ChainSource.makeMemory(blocks.slice(0, 10))
      const tips = yield* chain.changes.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      yield* chain.append(blocks[10]!)
      const removed = yield* chain.rollback(3)
      assert.strictEqual(removed.length, 3)
      const seen = Array.from(yield* Fiber.join(tips))
      assert.strictEqual(seen[0]!.blockNo, 10)
      assert.strictEqual(seen[1]!.blockNo, 7)
      const step = yield* chain.next(point(9))
      assert.isTrue(step._tag === "RollBackward" && Point.equals(step.point, point(7)))
    }))
})
