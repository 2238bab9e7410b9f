/**
 * The queue a behavior keeps its pending outputs in: pushed synchronously from its handlers, read as
 * a stream by the Manager.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { BehaviorOutput, type Outbox } from "./Behavior.ts"
import type { InterfaceCommand } from "./Interface.ts"
import type { Message } from "./Message.ts"

/**
 * Pending outputs of a behavior.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { InterfaceCommand, OutboundQueue, PeerId } from "@pallas-network2/core"
 * const program = Effect.gen(function*() {
 *   const outbound = yield* OutboundQueue.make<string>()
 *   outbound.command(InterfaceCommand.Connect(PeerId.tcp("127.0.0.1", 3001)))
 *   outbound.event("connecting")
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface OutboundQueue<Event, M extends Message = Message> extends Outbox<Event, M> {
  /** Queues any output. */
  readonly push: (output: BehaviorOutput<Event, M>) => void
  /** Queues a command for the interface. */
  readonly command: (command: InterfaceCommand<M>) => void
  /** Queues an event for the user. */
  readonly event: (event: Event) => void
  /** The outputs, in the order they were pushed. */
  readonly stream: Stream.Stream<BehaviorOutput<Event, M>>
  /** How many outputs wait. */
  readonly size: Effect.Effect<number>
}

/**
 * Makes an empty queue; it is shut down when the scope closes.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <Event, M extends Message = Message>(): Effect.Effect<OutboundQueue<Event, M>> =>
  Effect.map(Queue.unbounded<BehaviorOutput<Event, M>>(), (queue) => {
    const push = (output: BehaviorOutput<Event, M>) => {
      Queue.offerUnsafe(queue, output)
    }
    return {
      push,
      command: (command) => push(BehaviorOutput.command(command)),
      event: (event) => push(BehaviorOutput.event(event)),
      stream: Stream.fromQueue(queue),
      size: Queue.size(queue),
      ready: Effect.asVoid(Queue.peek(queue)),
      drain: Queue.clear(queue)
    }
  })
