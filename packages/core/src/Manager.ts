/**
 * The Manager drives an {@link Interface} and a {@link Behavior}: it feeds every interface event to the
 * behavior, every command the behavior emits to the interface, and hands the behavior's external
 * events to the user as a Stream. Closing its scope closes every connection.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Behavior, BehaviorKey } from "./Behavior.ts"
import { Interface, type InterfaceShape } from "./Interface.ts"
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
}

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ManagerOptions {
  /** How many external events may wait for the user before the behavior is held back. Default 4096. */
  readonly eventCapacity?: number
}

/**
 * Runs the pumps in the current scope and returns the manager.
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
  iface: InterfaceShape,
  behavior: Behavior<Event, Command, PeerState, M>,
  options: ManagerOptions = {}
): Effect.fn.Return<Manager<Event, Command>, never, Scope.Scope> {
  const events = yield* Queue.bounded<Event>(options.eventCapacity ?? 4096)
  yield* Effect.addFinalizer(() => Queue.shutdown(events))
  // interface -> behavior
  yield* iface.events.pipe(
    Stream.runForEach((event) => behavior.handleIo(event as never)),
    Effect.forkScoped
  )
  // behavior -> interface / user
  yield* behavior.outputs.pipe(
    Stream.runForEach((output) =>
      output._tag === "InterfaceCommand"
        ? iface.dispatch(output.command as never)
        : Effect.asVoid(Queue.offer(events, output.event))
    ),
    Effect.forkScoped
  )
  return {
    execute: behavior.execute,
    events: Stream.fromQueue(events)
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
 * The layer of the manager of a behavior: needs the {@link Interface} and the behavior's service.
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
): Layer.Layer<Manager<Event, Command>, never, Interface | Behavior<Event, Command, PeerState, M>> =>
  Layer.effect(
    key(behavior),
    Effect.gen(function*() {
      const iface = yield* Interface
      const b = yield* behavior
      return yield* make(iface, b, options)
    })
  )
