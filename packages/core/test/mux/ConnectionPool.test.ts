/**
 * ConnectionPool edge cases found by the 10 000-cycle leak test (packages/node/test/Leaks.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { Interface, PeerId, Protocols, TestInterface } from "../../src/index.ts"
import type { InterfaceEvent } from "../../src/index.ts"

const protocols = Protocols.NodeToNode.protocols

describe("ConnectionPool", () => {
  it.live("a Disconnect right after a Connect still reports Disconnected, and the peer can connect again", () =>
    Effect.gen(function*() {
      const server = PeerId.tcp("10.0.9.1", 3001)
      yield* Layer.build(TestInterface.layer({ address: server, listen: true, protocols }))
      const client = Context.get(yield* Layer.build(TestInterface.layer({ address: PeerId.tcp("10.0.9.2", 40000), protocols })), Interface.Interface)
      const events = yield* Queue.unbounded<InterfaceEvent>()
      yield* Effect.forkScoped(Stream.runForEach(client.events, (e) => Queue.offer(events, e)))
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
})
