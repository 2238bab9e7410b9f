/**
 * Driving the TestClock in emulation tests: advance in small steps until something holds (or a
 * fiber is done), with a bound on the simulated time so a test that never gets there fails instead
 * of hanging.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"

/**
 * Advances the TestClock `step` ms at a time until `done()` holds or `limit` ms have passed; returns
 * the simulated ms it advanced. The caller asserts `done()` afterwards.
 */
export const advanceUntil = Effect.fnUntraced(function*(done: () => boolean, step = 10, limit = 600_000) {
  let waited = 0
  while (!done() && waited < limit) {
    yield* TestClock.adjust(step)
    waited += step
  }
  return waited
})

/** Advances the TestClock by `total` ms, `step` ms at a time (so timers in between fire in order). */
export const advanceBy = (total: number, step = 100) => advanceUntil(() => false, step, total)

/**
 * Advances the TestClock until `fiber` is done (at most `limit` ms), then joins it; returns the
 * simulated ms it took and the fiber's result.
 */
export const runOnClock = <A, E>(fiber: Fiber.Fiber<A, E>, limit: number, step = 10) =>
  Effect.gen(function*() {
    const elapsed = yield* advanceUntil(() => fiber.pollUnsafe() !== undefined, step, limit)
    return { elapsed, result: yield* Fiber.join(fiber) }
  })
