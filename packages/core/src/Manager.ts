/**
 * The Manager drives an {@link Interface} and a {@link Behavior}: it feeds every interface event to the
 * behavior, every command the behavior emits to the interface, and hands the behavior's external
 * events to the user as a Stream. Closing its scope closes every connection.
 *
 * Commands for the network and events for the user travel apart: a command goes to the interface at
 * once, an event into the user's buffer, which never holds the pump back. A user who stops reading
 * loses only their own oldest events (counted in {@link Manager.backlog}); every peer stays served.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Semaphore from "effect/Semaphore"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Behavior, BehaviorKey, BehaviorOutput } from "./Behavior.ts"
import * as Interface from "./Interface.ts"
import type { InterfaceEvent } from "./Interface.ts"
import type { Message } from "./Message.ts"

/**
 * What a user holds: `execute` a behavior command, read the behavior's `events`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Manager<Event, Command> {
  /** Forwards a command to the behavior. */
  readonly execute: (command: Command) => Effect.Effect<void>
  /** The behavior's external events (the seed's `poll_next`). One consumer. */
  readonly events: Stream.Stream<Event>
  /**
   * The user's buffer: events waiting to be read, and events dropped (the oldest first) because it
   * was full when a new one came.
   */
  readonly backlog: Effect.Effect<{ readonly waiting: number; readonly dropped: number }>
}

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ManagerOptions {
  /**
   * How many external events may wait for the user. When it is full a new event pushes out the
   * oldest (counted in `backlog.dropped`, logged at 1, 2, 4, 8, ... drops); the network side is never
   * held back by a user who does not read. Default 4096.
   */
  readonly eventCapacity?: number
  /**
   * What a full event buffer does: `"dropOldest"` (the default, above), or `"wait"`: the pump waits
   * for the user, holding back the behavior's commands too (every peer then waits on the user; for a
   * one-shot client that must not lose an event and serves no one else).
   */
  readonly whenFull?: "dropOldest" | "wait"
}

/**
 * Runs the pumps in the current scope and returns the manager. The Interface and the behavior carry
 * the same messages `M`.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Manager } from "@pallas-network2/core"
 * // const manager = yield* Manager.make(iface, behavior)
 * // yield* manager.events.pipe(Stream.take(10), Stream.runForEach(Effect.log))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*<Event, Command, PeerState, M extends Message>(
  iface: Interface.InterfaceShape<M>,
  behavior: Behavior<Event, Command, PeerState, M>,
  options: ManagerOptions = {}
): Effect.fn.Return<Manager<Event, Command>, never, Scope.Scope> {
  const capacity = Math.max(1, options.eventCapacity ?? 4096)
  const wait = options.whenFull === "wait"
  // sliding: a full buffer drops its oldest event, the offer never waits
  const events = yield* (wait ? Queue.bounded<Event>(capacity) : Queue.sliding<Event>(capacity))
  yield* Effect.addFinalizer(() => Queue.shutdown(events))
  let dropped = 0
  const toUser = (event: Event): Effect.Effect<void> => {
    if (wait) return Effect.asVoid(Queue.offer(events, event))
    if (Queue.sizeUnsafe(events) >= capacity) {
      dropped++
      Queue.offerUnsafe(events, event)
      // 1, 2, 4, 8, ...: a user who fell behind hears of it without a log line per event
      return (dropped & (dropped - 1)) === 0
        ? Effect.logWarning(`the user is not reading events: ${dropped} dropped so far (buffer of ${capacity})`)
        : Effect.void
    }
    Queue.offerUnsafe(events, event)
    return Effect.void
  }
  // behavior -> interface / user: a command goes out at once; an event never waits for the user
  const deliver = (output: BehaviorOutput<Event, M>): Effect.Effect<void> =>
    output._tag === "InterfaceCommand" ? iface.dispatch(output.command) : toUser(output.event)
  // a behavior that fails on an event (a defect: a bug of its own) loses that event, not the pump:
  // the failure is logged with the event and the next event is taken, so the other peers carry on
  // (an interruption still ends the pump)
  const handle = (event: InterfaceEvent<M>): Effect.Effect<void> =>
    Effect.catchCause(behavior.handleIo(event), (cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logError(`the behavior failed on a ${event._tag} event of ${event.peer}; the event is dropped`, cause))
  const outbox = behavior.outbox
  if (outbox === undefined) {
    yield* iface.events.pipe(Stream.runForEach(handle), Effect.forkScoped)
    yield* behavior.outputs.pipe(Stream.runForEach(deliver), Effect.forkScoped)
  } else {
    // The outputs an event caused go out before the next event is taken, in the same fiber turn: a
    // pipelining peer's requests (released by the driver one answer at a time) are then answered in
    // one pass, not one scheduler turn per answer. Outputs made elsewhere (timers, `execute`) have
    // their own pump; the lock keeps every output in the order the behavior made it.
    const lock = yield* Semaphore.make(1)
    const deliverAll = Effect.fnUntraced(function*(outputs: ReadonlyArray<BehaviorOutput<Event, M>>) {
      for (let i = 0; i < outputs.length; i++) yield* deliver(outputs[i]!)
    })
    const flush = Semaphore.withPermit(lock, Effect.flatMap(outbox.drain, deliverAll))
    const onEvent = (event: InterfaceEvent<M>) => Effect.andThen(handle(event), flush)
    yield* iface.events.pipe(Stream.runForEach(onEvent), Effect.forkScoped)
    yield* Effect.forever(Effect.andThen(outbox.ready, flush)).pipe(Effect.forkScoped)
  }
  return {
    execute: behavior.execute,
    events: Stream.fromQueue(events),
    backlog: Effect.sync(() => ({ waiting: Queue.sizeUnsafe(events), dropped }))
  }
})

/**
 * The service key of the manager of a given behavior (its id is the behavior's id plus `/Manager`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const key = <Event, Command, PeerState, M extends Message>(
  behavior: BehaviorKey<Event, Command, PeerState, M>
): Context.Service<Manager<Event, Command>, Manager<Event, Command>> =>
  Context.Service<Manager<Event, Command>>(`${behavior.key}/Manager`)

/**
 * The layer of the manager of a behavior over the messages `M`: needs the Interface of `M`
 * (`Interface.key<M>()`, which any Interface layer built from the same protocols provides) and the
 * behavior's service.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Manager } from "@pallas-network2/core"
 * // const ManagerLive = Manager.layer(InitiatorBehavior).pipe(Layer.provide(...))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = <Event, Command, PeerState, M extends Message>(
  behavior: BehaviorKey<Event, Command, PeerState, M>,
  options: ManagerOptions = {}
): Layer.Layer<Manager<Event, Command>, never, Interface.Interface<M> | Behavior<Event, Command, PeerState, M>> =>
  Layer.effect(
    key(behavior),
    Effect.gen(function*() {
      const iface = yield* Interface.key<M>()
      const b = yield* behavior
      return yield* make(iface, b, options)
    })
  )
