import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { Block, GeneratedChain, ReplayChain } from "../../src/chain/index.ts"
import { Point } from "../../src/protocol/Common.ts"

describe("ReplayChain (TestClock)", () => {
  const blocks = GeneratedChain.generate({ blocks: 20, seed: 2, maxBodySize: 1000 })

  it.effect("appends the next block every block time; a follower at the tip sees it", () =>
    Effect.gen(function*() {
      const chain = yield* ReplayChain.make(blocks, { start: 5, blockTime: "20 seconds" })
      const tip = Block.pointOf(blocks[4]!)
      assert.strictEqual((yield* chain.next(tip))._tag, "AtTip")
      yield* TestClock.adjust("19 seconds")
      assert.strictEqual((yield* chain.next(tip))._tag, "AtTip")
      yield* TestClock.adjust("1 second")
      const step = yield* chain.next(tip)
      assert.isTrue(step._tag === "RollForward" && Point.equals(step.point, Block.pointOf(blocks[5]!)))
    }))

  it.effect("rolls back now and then and rolls forward again on the same blocks", () =>
    Effect.gen(function*() {
      const chain = yield* ReplayChain.make(blocks, { start: 5, blockTime: "1 second", rollbackEvery: 3, rollbackDepth: 2 })
      yield* TestClock.adjust("3 seconds") // blocks 5, 6, 7 appended
      assert.strictEqual((yield* chain.tip).blockNo, 7)
      yield* TestClock.adjust("1 second") // the rollback: 7 and 6 leave
      assert.strictEqual((yield* chain.tip).blockNo, 5)
      const back = yield* chain.next(Block.pointOf(blocks[7]!))
      assert.isTrue(back._tag === "RollBackward" && Point.equals(back.point, Block.pointOf(blocks[5]!)))
      yield* TestClock.adjust("2 seconds") // 6 and 7 again
      assert.strictEqual((yield* chain.tip).blockNo, 7)
    }))
})
