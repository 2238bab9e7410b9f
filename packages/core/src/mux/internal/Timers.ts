/**
 * The timer behind connections' deadlines: one fiber that sleeps until the earliest deadline of all
 * the connections it watches (a pool's), instead of a sleeping fiber per connection. Each connection
 * is in it at most once, at the earliest of its deadlines it has registered; a deadline that moves
 * later costs nothing (the timer wakes, asks the connection for its earliest deadline now, and puts it
 * back), one set earlier than the connection's place moves it up, and one earlier than the timer's
 * wake-up restarts the timer. A multiplexer made alone has a timer of its own.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"

/**
 * What the timer watches: a connection's deadlines.
 *
 * @internal
 */
export interface Watched {
  /** Its place in the timer (Infinity: not in it), and where in the heap (the timer's own). */
  timerAt: number
  timerIndex: number
  /** Its earliest deadline now (Clock ms), if any. */
  earliest(): number | undefined
  /** A deadline at or before `now` passed: ends the connection. */
  expired(now: number): Effect.Effect<unknown>
}

/**
 * One timer for many connections (see the module's description).
 *
 * @internal
 */
export class Timers {
  /** A binary min-heap by `timerAt`. */
  private readonly heap: Array<Watched> = []
  private fiber: Fiber.Fiber<unknown> | undefined = undefined
  /** When the running fiber wakes next (Infinity: none runs; -Infinity: one starts and has not looked yet). */
  private wakeAt = Infinity
  private readonly scope: Scope.Scope
  private readonly context: Context.Context<never>
  private readonly now: () => number

  constructor(scope: Scope.Scope, context: Context.Context<never>, now: () => number) {
    this.scope = scope
    this.context = context
    this.now = now
  }

  /** Makes a timer whose fiber runs in the current scope and context. */
  static readonly make: Effect.Effect<Timers, never, Scope.Scope> = Effect.gen(function*() {
    const clock = yield* Clock.Clock
    return new Timers(yield* Effect.scope, yield* Effect.context<never>(), () => clock.currentTimeMillisUnsafe())
  })

  /** Watches `w` at `at` if that is earlier than its place; restarts the timer if it is earlier than its wake-up. */
  schedule(w: Watched, at: number): Effect.Effect<void> {
    if (at >= w.timerAt) return Effect.void
    if (w.timerAt === Infinity) {
      w.timerAt = at
      w.timerIndex = this.heap.length
      this.heap.push(w)
    } else w.timerAt = at
    this.up(w.timerIndex)
    return at < this.wakeAt ? this.restart() : Effect.void
  }

  /**
   * Stops watching `w` (its connection closed). With nothing left to watch, the timer's fiber stops
   * too, rather than sleep until a deadline nobody has any more (unless this runs in that fiber,
   * which ends by itself once it finds nothing to watch).
   */
  remove(w: Watched): void {
    this.detach(w)
    const fiber = this.fiber
    if (this.heap.length === 0 && fiber !== undefined && Fiber.getCurrent() !== fiber) {
      this.fiber = undefined
      this.wakeAt = Infinity
      fiber.interruptUnsafe()
    }
  }

  /** Takes `w` out of the heap. */
  private detach(w: Watched): void {
    if (w.timerAt === Infinity) return
    const i = w.timerIndex
    const last = this.heap.pop()!
    w.timerAt = Infinity
    if (last !== w) {
      this.heap[i] = last
      last.timerIndex = i
      this.down(i)
      this.up(i)
    }
  }

  private restart(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.fiber !== undefined) this.fiber.interruptUnsafe()
      this.fiber = undefined
      // until the new fiber has looked, every deadline is later than its wake-up
      this.wakeAt = -Infinity
      return Effect.map(Effect.forkIn(Effect.provideContext(this.loop, this.context), this.scope), (f) => {
        this.fiber = f
      })
    })
  }

  private readonly loop: Effect.Effect<void> = Effect.suspend(() => this.step())

  private step(): Effect.Effect<void> {
    while (true) {
      const top = this.heap[0]
      if (top === undefined) {
        this.fiber = undefined
        this.wakeAt = Infinity
        return Effect.void
      }
      const t = this.now()
      if (top.timerAt > t) {
        this.wakeAt = top.timerAt
        return Effect.andThen(Effect.sleep(top.timerAt - t), this.loop)
      }
      // its time came: it is watched again at its earliest deadline now, or it expired
      this.detach(top)
      const next = top.earliest()
      if (next === undefined) continue
      if (next > t) {
        top.timerAt = next
        top.timerIndex = this.heap.length
        this.heap.push(top)
        this.up(top.timerIndex)
        continue
      }
      return Effect.andThen(top.expired(t), this.loop)
    }
  }

  private up(i: number): void {
    const heap = this.heap
    const w = heap[i]!
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = heap[p]!
      if (parent.timerAt <= w.timerAt) break
      heap[i] = parent
      parent.timerIndex = i
      i = p
    }
    heap[i] = w
    w.timerIndex = i
  }

  private down(i: number): void {
    const heap = this.heap
    const n = heap.length
    const w = heap[i]!
    while (true) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && heap[r]!.timerAt < heap[l]!.timerAt ? r : l
      const child = heap[c]!
      if (child.timerAt >= w.timerAt) break
      heap[i] = child
      child.timerIndex = i
      i = c
    }
    heap[i] = w
    w.timerIndex = i
  }
}
