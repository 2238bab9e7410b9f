import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import * as Initiator from "../../src/behavior/Initiator.ts"
import * as Responder from "../../src/behavior/Responder.ts"
import * as ChainSource from "../../src/chain/ChainSource.ts"
import * as GeneratedChain from "../../src/chain/GeneratedChain.ts"
import * as Manager from "../../src/Manager.ts"
import { PeerId } from "../../src/Primitives.ts"
import * as Bridge from "./support/initiatorBridge.ts"

const blocks = GeneratedChain.generate({ blocks: 250, seed: 5, maxBodySize: 4000 })

describe("InitiatorBehavior against ResponderBehavior (in memory, no mux)", () => {
  it.effect("syncs from three responders and fetches every block once, in order", () =>
    Effect.gen(function*() {
      const addresses = [0, 1, 2].map((i) => PeerId.tcp("127.0.0.1", 6000 + i))
      const bridge = yield* Bridge.make(addresses.map((peer, i) => ({ peer, rtt: 20 + 30 * i })))
      for (const server of bridge.servers) {
        const chain = yield* ChainSource.makeMemory(blocks)
        const responder = yield* Responder.make({}, chain)
        const m = yield* Manager.make(server.iface, responder)
        yield* m.events.pipe(Stream.runDrain, Effect.forkScoped)
      }
      const behavior = yield* Initiator.make({ churnInterval: undefined, blockFetch: { chunkBlocks: 40 } })
      const manager = yield* Manager.make(bridge.initiator, behavior)
      const events: Array<Initiator.InitiatorEvent> = []
      yield* manager.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e))), Effect.forkScoped)
      for (const p of addresses) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(p))
      yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
      const until = Effect.fnUntraced(function*(done: () => boolean) {
        for (let i = 0; i < 2000 && !done(); i++) yield* TestClock.adjust(50)
      })
      const best = () => events.filter((e) => e._tag === "TipChanged").map((e: any) => e.blockNo as number).pop()
      const accepted = () => events.filter((e) => e._tag === "HandshakeResult" && e.result._tag === "Accepted").length
      yield* until(() => best() === 249 && accepted() === 3)
      assert.strictEqual(best(), 249)
      assert.strictEqual(accepted(), 3)
      const first = { _tag: "Specific" as const, slot: blocks[0]!.slot, hash: blocks[0]!.hash }
      const last = { _tag: "Specific" as const, slot: blocks[249]!.slot, hash: blocks[249]!.hash }
      yield* manager.execute(Initiator.InitiatorCommand.FetchRange(first, last))
      yield* until(() => events.some((e) => e._tag === "RangeFetched" || e._tag === "RangeFailed"))
      const got = events.filter((e) => e._tag === "BlockReceived")
      assert.strictEqual(got.length, 250)
      got.forEach((e, i) => assert.strictEqual(e._tag === "BlockReceived" && e.block.blockNo, i))
      // the chunks were spread over the peers
      assert.isTrue(new Set(got.map((e) => e._tag === "BlockReceived" && e.peer)).size > 1)
      const peers = yield* behavior.peers
      assert.isTrue([...peers.values()].every((p) => p.temperature === "hot" && p.rtt !== undefined))
    }))
})
