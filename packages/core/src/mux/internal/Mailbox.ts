/**
 * The hand-off from a multiplexer's reader to an instance's fiber: a {@link Mailbox} with one
 * consumer. An `effect/Queue` does the same with three sets, a list and a state object (about
 * 1.3 kB); a connection has one per awake instance. A waiting consumer is resumed from a task on the
 * connection's dispatcher, as a queue releases its takers: never inside the fiber that offered.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { SchedulerDispatcher } from "effect/Scheduler"

type Resume = (effect: Effect.Effect<void>) => void

/** The consumer waiting, resumed from a dispatcher task. */
abstract class Waiting {
  private waiter: Resume | undefined = undefined
  private scheduled = false
  private readonly dispatcher: SchedulerDispatcher

  constructor(dispatcher: SchedulerDispatcher) {
    this.dispatcher = dispatcher
  }

  /** Whether there is something to take. */
  protected abstract ready(): boolean

  /** Resumes the consumer (on the next dispatcher turn), if it waits. */
  protected notify(): void {
    if (this.waiter === undefined || this.scheduled) return
    this.scheduled = true
    this.dispatcher.scheduleTask(() => {
      this.scheduled = false
      const resume = this.waiter
      if (resume === undefined || !this.ready()) return
      this.waiter = undefined
      resume(Effect.void)
    }, 0)
  }

  /** Completes when there is something to take (at once if there is). */
  protected readonly await: Effect.Effect<void> = Effect.callback<void>((resume) => {
    if (this.ready()) return resume(Effect.void)
    this.waiter = resume
    return Effect.sync(() => {
      if (this.waiter === resume) this.waiter = undefined
    })
  })
}

/**
 * Values offered by any fiber, taken in order by one fiber.
 *
 * @internal
 */
export class Mailbox<A> extends Waiting {
  private items: Array<A> = []
  private head = 0

  protected ready(): boolean {
    return this.head < this.items.length
  }

  /** Values waiting. */
  get size(): number {
    return this.items.length - this.head
  }

  offer(value: A): void {
    this.items.push(value)
    this.notify()
  }

  /** The next value, if one waits. */
  poll(): A | undefined {
    if (this.head >= this.items.length) return undefined
    const value = this.items[this.head]!
    this.items[this.head] = undefined as A
    this.head++
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    }
    return value
  }

  /** Waits for the next value. */
  readonly take: Effect.Effect<A> = Effect.suspend(() => {
    const value = this.poll()
    return value !== undefined ? Effect.succeed(value) : Effect.flatMap(this.await, () => this.take)
  })
}
