/**
 * ConnectionPool edge cases found by the 10 000-cycle leak test (packages/node/test/Leaks.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import { type PeerId, TestInterface } from "../../src/index.ts"
import { clientAndServer } from "../utils/emulation.ts"

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
})
