import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { Timers, type Watched } from "../../src/mux/internal/Timers.ts"
import { fiberCounter } from "../utils/fibers.ts"

/** A connection's deadlines as the timer sees them: `deadlines` may move; `fired` records expiries (at ms). */
const watched = (name: string, fired: Array<string>) => {
  const w: Watched & { deadline: number | undefined } = {
    timerAt: Infinity,
    timerIndex: 0,
    deadline: undefined,
    earliest: () => w.deadline,
    expired: (now) =>
      Effect.sync(() => {
        fired.push(`${name}@${now}`)
        w.deadline = undefined
      })
  }
  return w
}

describe("Timers: one timer for the deadlines of many connections (TestClock)", () => {
  it.effect("each connection expires at its own deadline, in order, whatever order they were set in", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const fired: Array<string> = []
      const all = [["a", 30_000], ["b", 10_000], ["c", 20_000], ["d", 10_000], ["e", 97_000]] as const
      for (const [name, at] of all) {
        const w = watched(name, fired)
        w.deadline = at
        yield* timers.schedule(w, at)
      }
      yield* TestClock.adjust(9_999)
      assert.deepStrictEqual(fired, [])
      yield* TestClock.adjust(1)
      assert.deepStrictEqual([...fired].sort(), ["b@10000", "d@10000"])
      yield* TestClock.adjust(10_000)
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(fired.slice(2), ["c@20000", "a@30000"])
      yield* TestClock.adjust(67_000)
      assert.deepStrictEqual(fired.slice(4), ["e@97000"])
    }).pipe(Effect.scoped))

  it.effect("a deadline moved later is looked up again when its old time comes; an earlier one restarts the timer; a removed connection never expires", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const fired: Array<string> = []
      const moved = watched("moved", fired)
      moved.deadline = 10_000
      yield* timers.schedule(moved, 10_000)
      const gone = watched("gone", fired)
      gone.deadline = 15_000
      yield* timers.schedule(gone, 15_000)
      // the peer answered: the wait moves to 40 s without telling the timer
      moved.deadline = 40_000
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(fired, [])
      assert.strictEqual(moved.timerAt, 40_000)
      // its connection closed
      timers.remove(gone)
      yield* TestClock.adjust(5_000)
      assert.deepStrictEqual(fired, [])
      // a deadline earlier than the timer's wake-up (a write at 15 s, due at 25 s)
      const early = watched("early", fired)
      early.deadline = 25_000
      yield* timers.schedule(early, 25_000)
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(fired, ["early@25000"])
      yield* TestClock.adjust(15_000)
      assert.deepStrictEqual(fired, ["early@25000", "moved@40000"])
      assert.strictEqual(moved.timerAt, Infinity)
      assert.strictEqual(gone.timerAt, Infinity)
    }).pipe(Effect.scoped))

  it.effect("with nothing left to watch its fiber stops, not sleeping until a deadline nobody has; a later deadline starts one again", () => {
    const fibers = fiberCounter()
    return Effect.gen(function*() {
      const timers = yield* Timers.make
      const fired: Array<string> = []
      const base = fibers.live()
      const a = watched("a", fired)
      a.deadline = 10_000
      yield* timers.schedule(a, 10_000)
      assert.strictEqual(fibers.live(), base + 1, "the timer's fiber sleeps until 10 s")
      // the connection closed: nothing is left to watch
      timers.remove(a)
      assert.strictEqual(fibers.live(), base, "no fiber is left sleeping")
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(fired, [])
      // a connection whose expiry closes the last other one: the timer's own fiber removes it, and
      // goes on to end by itself
      const b = watched("b", fired)
      const c = watched("c", fired)
      b.deadline = 20_000
      c.deadline = 60_000
      b.expired = (now) =>
        Effect.sync(() => {
          fired.push(`b@${now}`)
          b.deadline = undefined
          timers.remove(c)
        })
      yield* timers.schedule(b, 20_000)
      yield* timers.schedule(c, 60_000)
      assert.strictEqual(fibers.live(), base + 1)
      yield* TestClock.adjust(10_000)
      assert.deepStrictEqual(fired, ["b@20000"])
      assert.strictEqual(fibers.live(), base, "the timer's fiber ended once nothing was left")
      yield* TestClock.adjust(40_000)
      assert.deepStrictEqual(fired, ["b@20000"], "the removed connection never expires")
    }).pipe(fibers.provide, Effect.scoped)
  })

  it.effect("many connections: every one expires exactly at its deadline (heap order under removals and moves)", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const fired: Array<string> = []
      const ws = Array.from({ length: 200 }, (_, i) => watched(String(i), fired))
      // deadlines 1..200 s in a scrambled order; every third removed; every fifth moved 1 s later (unannounced)
      for (let k = 0; k < ws.length; k++) {
        const i = (k * 77) % ws.length
        ws[i]!.deadline = (i + 1) * 1_000
        yield* timers.schedule(ws[i]!, (i + 1) * 1_000)
      }
      for (let i = 0; i < ws.length; i += 3) timers.remove(ws[i]!)
      for (let i = 0; i < ws.length; i += 5) ws[i]!.deadline = ws[i]!.deadline! + 1_000
      for (let s = 0; s < 202; s++) yield* TestClock.adjust(1_000)
      const expected: Array<string> = []
      for (let i = 0; i < ws.length; i++) {
        if (i % 3 !== 0) expected.push(`${i}@${(i + 1 + (i % 5 === 0 ? 1 : 0)) * 1_000}`)
      }
      const at = (x: string) => Number(x.split("@")[1])
      assert.deepStrictEqual([...fired].sort((x, y) => at(x) - at(y) || Number(x.split("@")[0]) - Number(y.split("@")[0])), expected.sort((x, y) => at(x) - at(y) || Number(x.split("@")[0]) - Number(y.split("@")[0])))
      for (let k = 1; k < fired.length; k++) assert.isTrue(at(fired[k - 1]!) <= at(fired[k]!))
    }).pipe(Effect.scoped))
})
