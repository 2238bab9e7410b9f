/**
 * The chain store on disk: blocks of a generated chain and of the real chunk written in the node's
 * ImmutableDB layout, read back byte for byte through ImmutableDb.ts, reopened, rolled back, and
 * reopened after writes cut short (a chunk cut mid-block, a secondary index cut mid-entry).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Block, ChainSource, GeneratedChain } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { vectorsAvailable, vectorsDir } from "../../core/test/utils/vectors.ts"
import * as ChainStore from "../src/ChainStore.ts"
import * as ImmutableDb from "../src/ImmutableDb.ts"

const made: Array<string> = []
const tmpDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainstore-"))
  made.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})
const realChunk = path.join(vectorsDir, "chain", "01285.chunk")
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0

/** The store's folder read back through ImmutableDb.ts: exactly the first `count` of `blocks`, byte for byte. */
const readsBack = (dir: string, blocks: ReadonlyArray<Block.ChainBlock>, count: number) =>
  Effect.gen(function*() {
    const back = yield* ImmutableDb.readBlocks(dir)
    assert.strictEqual(back.length, count)
    back.forEach((b, i) => assert.isTrue(same(b.bytes, blocks[i]!.bytes)))
    return back
  })

const appendAll = (store: ChainStore.ChainStoreShape, blocks: ReadonlyArray<Block.ChainBlock>) =>
  Effect.forEach(blocks, (b) => store.append(b), { discard: true })

/** A new store with every block of a generated chain written (k = 0) and closed: its folder, the blocks and its (only) chunk file. */
const writtenStore = (blocks: number) =>
  Effect.gen(function*() {
    const dir = tmpDir()
    const chain = GeneratedChain.generate({ blocks, maxBodySize: 3000 })
    yield* Effect.scoped(Effect.gen(function*() {
      const store = yield* ChainStore.open({ dir, securityParam: 0 })
      yield* appendAll(store, chain)
    }))
    const imm = path.join(dir, "immutable")
    return { dir, blocks: chain, chunkPath: path.join(imm, fs.readdirSync(imm).find((f) => f.endsWith(".chunk"))!) }
  })

describe("ChainStore", () => {
  it.effect.skipIf(!vectorsAvailable)("the real chunk written with k = 0 is the same file, with indexes in the node's layout", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const original = new Uint8Array(fs.readFileSync(realChunk))
      const blocks = Block.splitChunk(original).map(Block.parse)
      assert.strictEqual(blocks.length, 864)
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 0 })
        yield* appendAll(store, blocks)
        assert.deepStrictEqual(yield* store.counts, { immutable: 864, volatile: 0 })
      }))
      const imm = path.join(dir, "immutable")
      assert.deepStrictEqual(fs.readdirSync(imm).sort(), ["01285.chunk", "01285.primary", "01285.secondary"])
      assert.isTrue(same(new Uint8Array(fs.readFileSync(path.join(imm, "01285.chunk"))), original))

      const secondary = ChainStore.decodeSecondary(new Uint8Array(fs.readFileSync(path.join(imm, "01285.secondary"))))
      assert.strictEqual(secondary.length, 864)
      let offset = 0
      blocks.forEach((b, i) => {
        const e = secondary[i]!
        assert.strictEqual(e.blockOffset, offset)
        // Babbage: 0x82 0x06 then the block's array header; the header is the block's first element
        assert.strictEqual(e.headerOffset, 3)
        assert.strictEqual(e.headerSize, b.header.bytes.length)
        assert.isTrue(same(original.subarray(offset + 3, offset + 3 + e.headerSize), b.header.bytes))
        assert.strictEqual(e.checksum, ChainStore.checksum(b.bytes))
        assert.isTrue(same(e.headerHash, b.hash))
        assert.strictEqual(e.blockOrEbb, b.slot)
        offset += b.bytes.length
      })

      const primaryBytes = new Uint8Array(fs.readFileSync(path.join(imm, "01285.primary")))
      assert.strictEqual(primaryBytes[0], 1)
      const primary = ChainStore.decodePrimary(primaryBytes)
      const lastRel = (blocks[863]!.slot % 21_600) + 1
      assert.strictEqual(primary.length, lastRel + 2)
      assert.strictEqual(primary[0], 0)
      for (const [i, b] of blocks.entries()) {
        const rel = (b.slot % 21_600) + 1
        assert.strictEqual(primary[rel], i * 56)
        assert.strictEqual(primary[rel + 1], (i + 1) * 56)
      }

      // ImmutableDb.ts reads the store's folder (its immutable/ subfolder) as it reads the original
      yield* readsBack(dir, blocks, 864)
    }))

  it.effect("a generated chain across chunks: k blocks stay in memory, the rest reopen from disk and resume", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const blocks = GeneratedChain.generate({ blocks: 300, maxBodySize: 4000 })
      const chunkSize = 500
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 10, chunkSize })
        yield* appendAll(store, blocks.slice(0, 200))
        assert.deepStrictEqual(yield* store.counts, { immutable: 190, volatile: 10 })
        assert.strictEqual((yield* store.tip).blockNo, 199)
        assert.strictEqual((yield* store.immutableTip).blockNo, 189)
      }))
      const imm = path.join(dir, "immutable")
      const chunks = fs.readdirSync(imm).filter((f) => f.endsWith(".chunk")).sort()
      assert.isAbove(chunks.length, 3)
      // every finished chunk's primary index covers all its relative slots: 1 + 4 * (chunkSize + 2) bytes
      for (const c of chunks.slice(0, -1)) {
        assert.strictEqual(fs.statSync(path.join(imm, c.replace(".chunk", ".primary"))).size, 1 + 4 * (chunkSize + 2))
      }
      yield* readsBack(dir, blocks, 190)

      // reopen: the tip is the immutable tip; the volatile blocks come again (from the peers) and more
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 10, chunkSize })
        assert.deepStrictEqual(yield* store.counts, { immutable: 190, volatile: 0 })
        const tip = yield* store.tip
        assert.strictEqual(tip.blockNo, 189)
        assert.deepStrictEqual(tip.point, Block.pointOf(blocks[189]!))
        yield* appendAll(store, blocks.slice(190))
        assert.deepStrictEqual(yield* store.counts, { immutable: 290, volatile: 10 })
      }))
      yield* readsBack(dir, blocks, 290)
      // opened again with every chunk checked block by block: nothing to repair
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 10, chunkSize, validateAll: true })
        assert.deepStrictEqual(yield* store.counts, { immutable: 290, volatile: 0 })
      }))
    }))

  it.effect("chunks the chain skips are written empty, with a full primary index of zeros", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const blocks = GeneratedChain.generate({ blocks: 40, maxBodySize: 2000 })
      const chunkSize = 20 // smaller than some gaps between slots (1 to 40)
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 0, chunkSize })
        yield* appendAll(store, blocks)
      }))
      const imm = path.join(dir, "immutable")
      const first = Math.floor(blocks[0]!.slot / chunkSize)
      const last = Math.floor(blocks[39]!.slot / chunkSize)
      const chunks = fs.readdirSync(imm).filter((f) => f.endsWith(".chunk")).sort()
      assert.strictEqual(chunks.length, last - first + 1)
      const used = new Set(blocks.map((b) => Math.floor(b.slot / chunkSize)))
      const empty = chunks.map((c) => Number(c.slice(0, 5))).filter((c) => !used.has(c))
      assert.isAbove(empty.length, 0)
      for (const c of empty) {
        assert.strictEqual(fs.statSync(path.join(imm, ChainStore.chunkName(c, "chunk"))).size, 0)
        const primary = new Uint8Array(fs.readFileSync(path.join(imm, ChainStore.chunkName(c, "primary"))))
        assert.strictEqual(primary.length, 1 + 4 * (chunkSize + 2))
        assert.isTrue(ChainStore.decodePrimary(primary).every((o) => o === 0))
      }
      const back = yield* ImmutableDb.readBlocks(dir)
      assert.strictEqual(back.length, 40)
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 0, chunkSize, validateAll: true })
        assert.deepStrictEqual(yield* store.counts, { immutable: 40, volatile: 0 })
        assert.strictEqual((yield* store.tip).blockNo, 39)
      }))
    }))

  it.effect("roll-backs reach the volatile part only; followers behind a roll-back are walked back", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const blocks = GeneratedChain.generate({ blocks: 50, maxBodySize: 2000 })
      const store = yield* ChainStore.open({ dir, securityParam: 10 })
      yield* appendAll(store, blocks)
      assert.deepStrictEqual(yield* store.counts, { immutable: 40, volatile: 10 })

      const removed = yield* store.rollbackTo(Block.pointOf(blocks[45]!))
      assert.deepStrictEqual(removed.map((b) => b.blockNo), [46, 47, 48, 49])
      assert.strictEqual((yield* store.tip).blockNo, 45)
      const step = yield* store.next(Block.pointOf(blocks[48]!))
      assert.strictEqual(step._tag, "RollBackward")
      assert.deepStrictEqual(step._tag === "RollBackward" ? step.point : undefined, Block.pointOf(blocks[45]!))

      // deeper than the immutable tip: refused with a typed error
      const deep = yield* Effect.exit(store.rollbackTo(Block.pointOf(blocks[20]!)))
      assert.isTrue(Exit.isFailure(deep))
      const err = yield* Effect.flip(store.rollbackTo(Block.pointOf(blocks[20]!)))
      assert.strictEqual(err.reason, "RollbackTooDeep")
      // to the immutable tip itself: allowed
      const toImm = yield* store.rollbackTo(Block.pointOf(blocks[39]!))
      assert.strictEqual(toImm.length, 6)
      assert.deepStrictEqual(yield* store.counts, { immutable: 40, volatile: 0 })

      // a block that does not follow the tip
      const notLinked = yield* Effect.flip(store.append(blocks[45]!))
      assert.strictEqual(notLinked.reason, "NotLinked")
      yield* appendAll(store, blocks.slice(40))
      assert.strictEqual((yield* store.tip).blockNo, 49)
    }).pipe(Effect.scoped))

  it.effect("serves as a ChainSource across the disk and memory parts", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const blocks = GeneratedChain.generate({ blocks: 30, maxBodySize: 2000 })
      const context = yield* Layer.build(ChainStore.layer({ dir, securityParam: 5, chunkSize: 100 }))
      const store = Context.get(context, ChainStore.ChainStore)
      const source = Context.get(context, ChainSource.ChainSource)
      assert.strictEqual(source, store)
      yield* appendAll(store, blocks)
      assert.strictEqual(yield* source.length, 30)

      // a follower from origin: every header in order, then AtTip
      let cursor: Point = Point.origin
      for (const b of blocks) {
        const step = yield* source.next(cursor)
        assert.strictEqual(step._tag, "RollForward")
        if (step._tag !== "RollForward") break
        assert.isTrue(same(step.header.bytes, b.header.bytes))
        cursor = step.point
      }
      assert.strictEqual((yield* source.next(cursor))._tag, "AtTip")

      const found = yield* source.intersect([Point.specific(1, new Uint8Array(32)), Block.pointOf(blocks[3]!)])
      assert.deepStrictEqual(found?.point, Block.pointOf(blocks[3]!))
      const range = yield* source.range(Block.pointOf(blocks[20]!), Block.pointOf(blocks[27]!))
      assert.isDefined(range)
      const got = yield* Stream.runCollect(range!)
      assert.strictEqual(got.length, 8)
      got.forEach((bytes, i) => assert.isTrue(same(bytes, blocks[20 + i]!.bytes)))
      assert.isTrue(same((yield* source.block(Block.pointOf(blocks[2]!)))!, blocks[2]!.bytes))
      assert.isUndefined(yield* source.block(Point.specific(blocks[2]!.slot, blocks[3]!.hash)))
    }).pipe(Effect.scoped))

  it.effect("a chunk cut in the middle of a block reopens at the last whole block, and the chain goes on", () =>
    Effect.gen(function*() {
      const { blocks, chunkPath, dir } = yield* writtenStore(100)
      const full = fs.statSync(chunkPath).size
      const lastStart = full - blocks[99]!.bytes.length
      // the crash: the last block only half written
      fs.truncateSync(chunkPath, lastStart + Math.floor(blocks[99]!.bytes.length / 2))

      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 0 })
        assert.deepStrictEqual(yield* store.counts, { immutable: 99, volatile: 0 })
        assert.strictEqual((yield* store.tip).blockNo, 98)
        assert.strictEqual(fs.statSync(chunkPath).size, lastStart)
        assert.strictEqual(fs.statSync(chunkPath.replace(".chunk", ".secondary")).size, 99 * 56)
        yield* store.append(blocks[99]!)
      }))
      assert.strictEqual(fs.statSync(chunkPath).size, full)
      yield* readsBack(dir, blocks, 100)
    }))

  it.effect("a secondary index cut mid-entry (or a primary index cut short) is rebuilt from the chunk", () =>
    Effect.gen(function*() {
      const { blocks, chunkPath, dir } = yield* writtenStore(60)
      const secondaryPath = chunkPath.replace(/\.chunk$/, ".secondary")
      const primaryPath = chunkPath.replace(/\.chunk$/, ".primary")
      const goodSecondary = new Uint8Array(fs.readFileSync(secondaryPath))
      const goodPrimary = new Uint8Array(fs.readFileSync(primaryPath))
      // the crash: the secondary index's entry for block 30 half written, the primary's offsets behind
      fs.truncateSync(secondaryPath, 30 * 56 + 20)
      fs.truncateSync(primaryPath, goodPrimary.length - 4 * 7)

      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 0 })
        assert.deepStrictEqual(yield* store.counts, { immutable: 60, volatile: 0 })
        assert.strictEqual((yield* store.tip).blockNo, 59)
      }))
      assert.isTrue(same(new Uint8Array(fs.readFileSync(secondaryPath)), goodSecondary))
      assert.isTrue(same(new Uint8Array(fs.readFileSync(primaryPath)), goodPrimary))

      // a block whose bytes changed on disk (its checksum no longer matches): the chain ends before it
      const fd = fs.openSync(chunkPath, "r+")
      const at = ChainStore.decodeSecondary(goodSecondary)[50]!.blockOffset + 200
      fs.writeSync(fd, new Uint8Array([0xff ^ fs.readFileSync(chunkPath)[at]!]), 0, 1, at)
      fs.closeSync(fd)
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* ChainStore.open({ dir, securityParam: 0 })
        assert.deepStrictEqual(yield* store.counts, { immutable: 50, volatile: 0 })
        assert.strictEqual((yield* store.tip).blockNo, 49)
      }))
      yield* readsBack(dir, blocks, 50)
    }))

  it.effect("a folder that is not a chain store fails with a typed error", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      fs.writeFileSync(path.join(dir, "immutable"), "not a folder")
      const err = yield* Effect.flip(Effect.scoped(ChainStore.open({ dir })))
      assert.strictEqual(err._tag, "ChainStoreError")
      assert.strictEqual(err.reason, "Io")
    }))
})
