import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Clock from "../utils/clock.ts"
import * as Initiator from "../../src/behavior/Initiator.ts"
import * as GeneratedChain from "../../src/chain/GeneratedChain.ts"
import * as Interface from "../../src/Interface.ts"
import { PeerId } from "../../src/Primitives.ts"
import type { AnyNodeToNodeMessage } from "../../src/protocol/NodeToNode.ts"
import * as FakeNet from "./support/initiatorFakeNet.ts"

const chain = GeneratedChain.generate({ blocks: 20, seed: 3 })
const peer = PeerId.tcp("127.0.0.1", 5100)

describe("Initiator.layerManager", () => {
  it.effect("provides the behavior and its manager over the Interface: a peer included is handshaken and made hot", () =>
    Effect.gen(function*() {
      const net = yield* FakeNet.make(new Map([[peer, { blocks: chain, rtt: 10 }]]))
      const context = yield* Layer.build(
        Initiator.layerManager({ networkMagic: 2, churnInterval: undefined }).pipe(
          Layer.provide(Layer.succeed(Interface.key<AnyNodeToNodeMessage>(), net.iface))
        )
      )
      const manager = Context.get(context, Initiator.InitiatorManager)
      const behavior = Context.get(context, Initiator.InitiatorBehavior)
      const events: Array<Initiator.InitiatorEvent> = []
      yield* manager.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e))), Effect.forkScoped)
      yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(peer))
      yield* Clock.advanceUntil(() => events.some((e) => e._tag === "PeerPromoted" && e.to === "hot"), 10, 10_000)
      assert.deepStrictEqual(
        events.filter((e) => e._tag === "PeerPromoted").map((e) => e._tag === "PeerPromoted" && `${e.from}->${e.to}`),
        ["cold->warm", "warm->hot"]
      )
      assert.strictEqual((yield* behavior.peers).get(peer)?.temperature, "hot")
    }))
})
