import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { ChainSource, GeneratedChain, Interface, Manager, PeerId, Responder } from "@pallas-network2/core"
import * as ReadmeExample from "../src/examples/ReadmeExample.ts"
import * as Bridge from "./support/initiatorBridge.ts"

describe("README example", () => {
  it.live("follows the first headers from a responder (in memory transport)", () =>
    Effect.gen(function*() {
      const peer = PeerId.tcp("127.0.0.1", 3001)
      const bridge = yield* Bridge.make([{ peer, rtt: 2 }])
      const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 20, maxBodySize: 2000 }))
      const responder = yield* Responder.make({}, chain)
      const serverManager = yield* Manager.make(bridge.servers[0]!.iface, responder)
      yield* serverManager.events.pipe(Stream.runDrain, Effect.forkScoped)
      const headers = yield* ReadmeExample.main(peer, Layer.succeed(Interface.Interface, bridge.initiator), 5)
      assert.strictEqual(headers.length, 5)
      assert.deepStrictEqual(headers.map((h) => h.blockNo), [0, 1, 2, 3, 4])
    }))
})
