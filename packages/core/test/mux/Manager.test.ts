import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { Behavior } from "../../src/Behavior.ts"
import { InterfaceCommand, InterfaceEvent, type InterfaceShape } from "../../src/Interface.ts"
import * as Manager from "../../src/Manager.ts"
import * as OutboundQueue from "../../src/OutboundQueue.ts"
import { PeerId } from "../../src/Primitives.ts"

const peer = PeerId.tcp("10.0.0.1", 3001)

/** A behavior whose outputs the test pushes by hand, over an interface that records its commands. */
const setup = (options: Manager.ManagerOptions) =>
  Effect.gen(function*() {
    const dispatched: Array<string> = []
    const iface: InterfaceShape = {
      dispatch: (command) => Effect.sync(() => void dispatched.push(command._tag)),
      events: Stream.never
    }
    const out = yield* OutboundQueue.make<number>()
    const behavior: Behavior<number, never, never> = {
      handleIo: () => Effect.void,
      execute: () => Effect.void,
      outputs: out.stream,
      peers: Effect.succeed(new Map<PeerId, never>())
    }
    const manager = yield* Manager.make(iface, behavior, options)
    const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow, { discard: true })
    return { dispatched, out, manager, settle }
  })

describe("Manager: commands and user events travel apart", () => {
  it.effect("a full event buffer drops its oldest event (counted); commands go out regardless", () =>
    Effect.gen(function*() {
      const { dispatched, manager, out, settle } = yield* setup({ eventCapacity: 3 })
      for (let i = 0; i < 10; i++) {
        out.event(i)
        out.command(InterfaceCommand.Connect(peer))
      }
      yield* settle
      assert.strictEqual(dispatched.length, 10, "no command waited for the user")
      assert.deepStrictEqual(yield* manager.backlog, { waiting: 3, dropped: 7 })
      const kept = yield* manager.events.pipe(Stream.take(3), Stream.runCollect)
      assert.deepStrictEqual(Array.from(kept), [7, 8, 9])
      assert.deepStrictEqual(yield* manager.backlog, { waiting: 0, dropped: 7 })
    }))

  it.effect("whenFull: \"wait\" loses nothing, and holds the commands behind the unread events", () =>
    Effect.gen(function*() {
      const { dispatched, manager, out, settle } = yield* setup({ eventCapacity: 3, whenFull: "wait" })
      for (let i = 0; i < 5; i++) out.event(i)
      out.command(InterfaceCommand.Connect(peer))
      yield* settle
      assert.strictEqual(dispatched.length, 0, "the pump waits for the user")
      const all = yield* manager.events.pipe(Stream.take(5), Stream.runCollect)
      assert.deepStrictEqual(Array.from(all), [0, 1, 2, 3, 4])
      yield* settle
      assert.strictEqual(dispatched.length, 1)
      assert.strictEqual((yield* manager.backlog).dropped, 0)
    }))
})

describe("Manager: a behavior that fails on an event", () => {
  for (const withOutbox of [false, true]) {
    it.effect(`loses that event and takes the next (${withOutbox ? "with" : "without"} an outbox)`, () =>
      Effect.gen(function*() {
        // found by fault injection: an exception in the initiator's handling of a Disconnected
        // ended the event pump, and the initiator heard nothing more from any peer
        const dispatched: Array<string> = []
        const events = yield* Queue.unbounded<InterfaceEvent>()
        const iface: InterfaceShape = {
          dispatch: (command) => Effect.sync(() => void dispatched.push(command._tag)),
          events: Stream.fromQueue(events)
        }
        const out = yield* OutboundQueue.make<string>()
        const behavior: Behavior<string, never, never> = {
          handleIo: (event) =>
            Effect.sync(() => {
              if (event._tag === "Disconnected") throw new TypeError("a bug of the behavior's")
              out.event(`${event._tag} ${event.peer}`)
              out.command(InterfaceCommand.Disconnect(event.peer))
            }),
          execute: () => Effect.void,
          outputs: out.stream,
          ...(withOutbox ? { outbox: out } : {}),
          peers: Effect.succeed(new Map<PeerId, never>())
        }
        const manager = yield* Manager.make(iface, behavior)
        const other = PeerId.tcp("10.0.0.2", 3001)
        Queue.offerAllUnsafe(events, [InterfaceEvent.Disconnected(peer), InterfaceEvent.Connected(other, "outbound")])
        const heard = yield* manager.events.pipe(Stream.take(1), Stream.runCollect)
        assert.deepStrictEqual(Array.from(heard), [`Connected ${other}`], "the event after the failed one is handled")
        for (let i = 0; i < 20 && dispatched.length === 0; i++) yield* Effect.yieldNow
        assert.deepStrictEqual(dispatched, ["Disconnect"])
      }))
  }
})
