/**
 * The protocol-logic side of the stack. A behavior reacts to interface events and user commands and
 * emits {@link BehaviorOutput}s: commands for the interface, and events for the user. It defines its
 * own Event, Command and PeerState types, and names the messages `M` of the connections it runs (the
 * node-to-node or the node-to-client union): the Manager pairs it with an Interface of the same `M`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { InterfaceCommand, InterfaceEvent } from "./Interface.ts"
import type { Message } from "./Message.ts"
import type { PeerId } from "./Primitives.ts"

/**
 * One output of a behavior: a command for the interface, or an event for the user.
 *
 * @category models
 * @since 0.1.0
 */
export type BehaviorOutput<Event, M extends Message = Message> =
  | { readonly _tag: "InterfaceCommand"; readonly command: InterfaceCommand<M> }
  | { readonly _tag: "ExternalEvent"; readonly event: Event }

/**
 * Constructors for {@link BehaviorOutput}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const BehaviorOutput = {
  command: <M extends Message>(command: InterfaceCommand<M>): BehaviorOutput<never, M> => ({
    _tag: "InterfaceCommand",
    command
  }),
  event: <Event>(event: Event): BehaviorOutput<Event, never> => ({ _tag: "ExternalEvent", event })
} as const

/**
 * A behavior: `handleIo` takes each interface event, `execute` each user command, and `outputs` is
 * the stream of what it wants done and what it wants said. `peers` reads its per-peer state.
 *
 * @category models
 * @since 0.1.0
 */
export interface Behavior<Event, Command, PeerState, M extends Message = Message> {
  readonly handleIo: (event: InterfaceEvent<M>) => Effect.Effect<void>
  readonly execute: (command: Command) => Effect.Effect<void>
  readonly outputs: Stream.Stream<BehaviorOutput<Event, M>>
  readonly peers: Effect.Effect<ReadonlyMap<PeerId, PeerState>>
  /**
   * The same outputs as `outputs`, as a buffer the Manager may empty without waiting (optional): it
   * then sends what an event made the behavior say before it takes the next event, so a batch of
   * pipelined requests is answered in one pass instead of one scheduler turn per answer.
   */
  readonly outbox?: Outbox<Event, M>
}

/**
 * A behavior's pending outputs, read without a stream (see {@link Behavior.outbox}). Both views
 * read one buffer: an output is taken once, by whichever reads first.
 *
 * @category models
 * @since 0.3.0
 */
export interface Outbox<Event, M extends Message = Message> {
  /** Waits until an output is pending; takes none. */
  readonly ready: Effect.Effect<void>
  /** Takes every pending output, in order, without waiting (none: an empty array). */
  readonly drain: Effect.Effect<ReadonlyArray<BehaviorOutput<Event, M>>>
}

/**
 * Makes the service key of a behavior with its own types. The key's identity is its string.
 *
 * @example
 * ```ts
 * import { Behavior } from "@pallas-network2/core"
 * type EchoEvent = { readonly text: string }
 * const EchoBehavior = Behavior.key<EchoEvent, string, number>("app/EchoBehavior")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const key = <Event, Command, PeerState, M extends Message = Message>(
  id: string
): Context.Service<Behavior<Event, Command, PeerState, M>, Behavior<Event, Command, PeerState, M>> =>
  Context.Service<Behavior<Event, Command, PeerState, M>>(id)

/**
 * Any behavior's service key.
 *
 * @category models
 * @since 0.1.0
 */
export type BehaviorKey<Event, Command, PeerState, M extends Message = Message> = Context.Service<
  Behavior<Event, Command, PeerState, M>,
  Behavior<Event, Command, PeerState, M>
>
