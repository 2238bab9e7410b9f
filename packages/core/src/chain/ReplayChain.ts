/**
 * A live chain for tests and demos: it starts with a prefix of a chain and appends the next block at a
 * fixed interval, publishing each tip change; now and then it can roll back a few blocks and roll
 * forward again on the same blocks, so followers see roll-backward messages. Time comes from Effect's
 * Clock, so under TestClock it advances with the test's clock.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ChainBlock } from "./Block.ts"
import { ChainSource, makeMemory, type MemoryChain } from "./ChainSource.ts"

/**
 * Options of a replayed chain.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReplayOptions {
  /** How many blocks are on the chain at the start (default: half of them). */
  readonly start?: number
  /** Time between two appended blocks. Default 20 seconds. */
  readonly blockTime?: Duration.Input
  /** Roll back every `rollbackEvery` appended blocks (absent: never). */
  readonly rollbackEvery?: number
  /** How many blocks a rollback removes (default 2); they are appended again afterwards. */
  readonly rollbackDepth?: number
}

/**
 * Makes a replaying chain in the current scope; the appending fiber stops when the scope closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GeneratedChain, ReplayChain } from "@pallas-network2/core"
 * // const chain = yield* ReplayChain.make(GeneratedChain.generate({ blocks: 100 }), { start: 10, blockTime: "1 second" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(blocks: ReadonlyArray<ChainBlock>, options: ReplayOptions = {}) {
  const start = Math.max(1, Math.min(blocks.length, options.start ?? Math.floor(blocks.length / 2)))
  const chain: MemoryChain = yield* makeMemory(blocks.slice(0, start), `live replay of ${blocks.length} blocks`)
  const interval = Duration.fromInputUnsafe(options.blockTime ?? "20 seconds")
  const depth = options.rollbackDepth ?? 2
  let next = start
  let appended = 0
  yield* Effect.forkScoped(Effect.gen(function*() {
    while (next < blocks.length) {
      yield* Effect.sleep(interval)
      if (options.rollbackEvery !== undefined && appended > 0 && appended % options.rollbackEvery === 0 && next > depth) {
        const removed = yield* chain.rollback(depth)
        next -= removed.length
        appended++
        continue
      }
      yield* chain.append(blocks[next]!)
      next++
      appended++
    }
  }))
  return chain
})

/**
 * A ChainSource layer that replays `blocks` as a live chain.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (blocks: ReadonlyArray<ChainBlock>, options: ReplayOptions = {}): Layer.Layer<ChainSource> =>
  Layer.effect(ChainSource, Effect.map(make(blocks, options), (chain) => ChainSource.of(chain)))
