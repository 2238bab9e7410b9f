/**
 * ConnectionPool edge cases found by the 10 000-cycle leak test (packages/node/test/Leaks.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { Interface, type InterfaceEvent, PeerId, Protocols, TestInterface } from "../../src/index.ts"
import { clientAndServer, protocols } from "../utils/emulation.ts"

describe("ConnectionPool", () => {
  it.live("a Disconnect right after a Connect still reports Disconnected, and the peer can connect again", () =>
    Effect.gen(function*() {
      const { client, events, server } = yield* clientAndServer("10.0.9.1", "10.0.9.2")
      yield* client.dispatch({ _tag: "Connect", peer: server })
      yield* client.dispatch({ _tag: "Disconnect", peer: server })
      const first = yield* Queue.take(events).pipe(Effect.timeoutOption("1 second"))
      assert.strictEqual(first._tag === "Some" ? first.value._tag : "nothing", "Disconnected")
      assert.deepStrictEqual(yield* (client as unknown as { connections: Effect.Effect<ReadonlyArray<PeerId>> }).connections, [])
      // not forgotten as connected: a new Connect dials again
      yield* client.dispatch({ _tag: "Connect", peer: server })
      const next = yield* Queue.take(events).pipe(Effect.timeoutOption("1 second"))
      assert.strictEqual(next._tag === "Some" ? next.value._tag : "nothing", "Connected")
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer), Effect.provide(Layer.empty)), 10_000)

  it.live("a command never waits for room in the event queue (the Manager may dispatch from the fiber that empties it): Disconnect and a Send to nobody return with the queue full, and their events follow", () =>
    Effect.gen(function*() {
      const a = PeerId.tcp("10.0.9.11", 3001)
      const b = PeerId.tcp("10.0.9.12", 3001)
      const listening = (address: PeerId) =>
        Effect.map(Layer.build(TestInterface.layer({ address, listen: true, protocols })), (c) => Context.get(c, Interface.Interface))
      const serverA = yield* listening(a)
      const serverB = yield* listening(b)
      const accepted = (server: typeof serverA) =>
        server.events.pipe(Stream.filter((e) => e._tag === "Connected"), Stream.runHead, Effect.timeout("2 seconds"))
      // room for one event, and nobody reading yet
      const client = Context.get(
        yield* Layer.build(TestInterface.layer({ address: PeerId.tcp("10.0.9.10", 40000), protocols, eventCapacity: 1 })),
        Interface.Interface
      )
      yield* client.dispatch({ _tag: "Connect", peer: a })
      yield* client.dispatch({ _tag: "Connect", peer: b })
      // both connected (each server saw its inbound connection): the queue holds one Connected, the other waits
      yield* accepted(serverA)
      yield* accepted(serverB)
      const disconnect = yield* client.dispatch({ _tag: "Disconnect", peer: a }).pipe(Effect.timeoutOption("2 seconds"))
      assert.strictEqual(disconnect._tag, "Some", "Disconnect returned while the queue was full")
      const nobody = PeerId.tcp("10.0.9.13", 3001)
      const send = yield* client.dispatch({ _tag: "Send", peer: nobody, message: Protocols.KeepAlive.make.done() }).pipe(Effect.timeoutOption("2 seconds"))
      assert.strictEqual(send._tag, "Some", "a Send to nobody returned while the queue was full")
      // the events come once the queue is read
      const seen: Array<string> = []
      yield* client.events.pipe(
        Stream.take(4),
        Stream.runForEach((e: InterfaceEvent) => Effect.sync(() => seen.push(`${e._tag} ${e.peer}`))),
        Effect.timeout("2 seconds")
      )
      assert.include(seen, `Connected ${a}`)
      assert.include(seen, `Connected ${b}`)
      assert.include(seen, `Disconnected ${a}`)
      assert.include(seen, `Error ${nobody}`)
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 10_000)
})
