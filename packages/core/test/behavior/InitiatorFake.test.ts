import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Clock from "../utils/clock.ts"
import { runInitiator } from "../utils/initiator.ts"
import * as Initiator from "../../src/behavior/Initiator.ts"
import * as GeneratedChain from "../../src/chain/GeneratedChain.ts"
import { PeerId } from "../../src/Primitives.ts"
import * as FakeNet from "./support/initiatorFakeNet.ts"

const chain = GeneratedChain.generate({ blocks: 400, seed: 11, maxBodySize: 3000 })
const peer = (n: number) => PeerId.tcp("127.0.0.1", 5000 + n)
const pointOf = (i: number) => ({ _tag: "Specific" as const, slot: chain[i]!.slot, hash: chain[i]!.hash })

const setup = Effect.fnUntraced(function*(specs: ReadonlyArray<FakeNet.FakePeer>, config: Initiator.InitiatorConfig = {}) {
  const net = yield* FakeNet.make(new Map(specs.map((s, i) => [peer(i), s])))
  const { behavior, events, manager } = yield* runInitiator(net.iface, config, specs.map((_, i) => peer(i)))
  return {
    net,
    behavior,
    manager,
    events,
    advanceUntil: (done: () => boolean, step = 50, limit = 100_000) => Clock.advanceUntil(done, step, limit)
  }
})

describe("InitiatorBehavior over a scripted network", () => {
  it.effect("syncs, selects the best tip, bans a liar, fetches a range once and in order", () =>
    Effect.gen(function*() {
      const { advanceUntil, events, manager, behavior } = yield* setup([
        { blocks: chain, rtt: 40 },
        { blocks: chain.slice(0, 300), rtt: 20 },
        { blocks: chain, rtt: 60, lieAt: 100 },
        { blocks: chain, rtt: 30, dropAfter: 50 },
        { blocks: chain, rtt: 30, down: true }
      ], { targets: { known: 10, established: 5, active: 5 } })
      yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
      const best = () => {
        const tips = events.filter((e) => e._tag === "TipChanged")
        return tips.length === 0 ? -1 : (tips[tips.length - 1] as any).blockNo
      }
      yield* advanceUntil(() => best() === 399 && events.some((e) => e._tag === "PeerBanned"))
      assert.strictEqual(best(), 399)
      assert.isTrue(events.some((e) => e._tag === "PeerBanned" && e.peer === peer(2)))
      assert.isTrue(events.some((e) => e._tag === "ConnectFailed" && e.peer === peer(4)))
      assert.isTrue(events.some((e) => e._tag === "PeerDemoted" && e.peer === peer(3) && e.to === "cold"))
      yield* manager.execute(Initiator.InitiatorCommand.FetchRange(pointOf(10), pointOf(350)))
      yield* advanceUntil(() => events.some((e) => e._tag === "RangeFetched" || e._tag === "RangeFailed"))
      const blocks = events.filter((e) => e._tag === "BlockReceived")
      assert.strictEqual(blocks.length, 341)
      blocks.forEach((b, i) => {
        assert.strictEqual(b.index, i)
        assert.strictEqual(b.block.blockNo, 10 + i)
      })
      const fetched = events.find((e) => e._tag === "RangeFetched")
      assert.strictEqual(fetched?._tag === "RangeFetched" && fetched.blocks, 341)
      // the dropped peer came back (backoff) and the snapshot knows the peers
      const peers = yield* behavior.peers
      assert.strictEqual(peers.get(peer(2))?.temperature, "banned")
      assert.isDefined(peers.get(peer(0))?.rtt)
    }))

  it.effect("pipelining: a small fraction of the unpipelined time at 100 ms round trip", () =>
    Effect.gen(function*() {
      const time = Effect.fnUntraced(function*(highMark: number) {
        const { advanceUntil, events, manager } = yield* setup([{ blocks: chain, rtt: 100 }], {
          chainSync: { highMark, lowMark: Math.max(0, highMark - 100) }
        })
        yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
        return yield* advanceUntil(() => events.filter((e) => e._tag === "HeaderReceived").length === 400, 100, 10_000_000)
      })
      const pipelined = yield* Effect.scoped(time(300))
      const single = yield* Effect.scoped(time(1))
      assert.isTrue(single >= 400 * 100, `unpipelined ${single} ms`)
      assert.isTrue(pipelined * 20 < single, `pipelined ${pipelined} ms vs ${single} ms`)
    }))

  it.effect("keep-alive: a wrong cookie gets the peer banned; timers run on the Clock", () =>
    Effect.gen(function*() {
      const { advanceUntil, events } = yield* setup([{ blocks: chain, rtt: 10, badCookie: true }])
      yield* advanceUntil(() => events.some((e) => e._tag === "PeerBanned"))
      const ban = events.find((e) => e._tag === "PeerBanned")
      assert.match(ban?._tag === "PeerBanned" ? ban.reason : "", /cookie/)
    }))

  it.effect("peer-sharing feeds the known set", () =>
    Effect.gen(function*() {
      const { advanceUntil, events } = yield* setup([
        { blocks: chain, rtt: 10, share: [peer(1), peer(2)] },
        { blocks: chain, rtt: 10 },
        { blocks: chain, rtt: 10 }
      ].slice(0, 1).concat([]), { targets: { known: 5, established: 3, active: 1 } })
      yield* advanceUntil(() => events.filter((e) => e._tag === "PeerDiscovered").length === 2)
      assert.deepStrictEqual(events.filter((e) => e._tag === "PeerDiscovered").map((e: any) => e.peer), [peer(1), peer(2)])
    }))

  it.effect("tx-submission2: MsgInit, ids on a blocking request, TxRequested, txs delivered", () =>
    Effect.gen(function*() {
      const { advanceUntil, events, manager, net } = yield* setup([{ blocks: chain, rtt: 10 }, { blocks: chain, rtt: 30 }])
      yield* advanceUntil(() => events.filter((e) => e._tag === "PeerPromoted" && e.to === "hot").length === 2)
      const tx = { era: 6, bytes: new Uint8Array([0x84, 0xa0, 0xa0, 0xf5, 0xf6]) }
      yield* manager.execute(Initiator.InitiatorCommand.SubmitTx(tx))
      yield* advanceUntil(() => events.filter((e) => e._tag === "TxRequested").length === 2)
      assert.strictEqual(net.stats.txs.length, 2)
      const requested = events.find((e) => e._tag === "TxRequested")
      assert.strictEqual(requested?._tag === "TxRequested" && requested.txId.txId.length, 32)
    }))
})
