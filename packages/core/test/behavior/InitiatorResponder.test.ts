import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { advanceUntil } from "../utils/clock.ts"
import { runInitiator, serveBlocks } from "../utils/initiator.ts"
import * as Initiator from "../../src/behavior/Initiator.ts"
import * as Block from "../../src/chain/Block.ts"
import * as GeneratedChain from "../../src/chain/GeneratedChain.ts"
import { PeerId } from "../../src/Primitives.ts"
import * as Bridge from "./support/initiatorBridge.ts"

const blocks = GeneratedChain.generate({ blocks: 250, seed: 5, maxBodySize: 4000 })

/** Fetches the whole of `chain` and waits (with `until`) for the range's end: the blocks received, in the order they came. */
const fetchWhole = (
  manager: { readonly execute: (c: Initiator.InitiatorCommand) => Effect.Effect<unknown> },
  events: ReadonlyArray<Initiator.InitiatorEvent>,
  chain: ReadonlyArray<Block.ChainBlock>,
  until: (done: () => boolean) => Effect.Effect<unknown>
) =>
  Effect.gen(function*() {
    const at = (b: Block.ChainBlock) => ({ _tag: "Specific" as const, slot: b.slot, hash: b.hash })
    yield* manager.execute(Initiator.InitiatorCommand.FetchRange(at(chain[0]!), at(chain[chain.length - 1]!)))
    yield* until(() => events.some((e) => e._tag === "RangeFetched" || e._tag === "RangeFailed"))
    return events.filter((e) => e._tag === "BlockReceived")
  })

describe("InitiatorBehavior against ResponderBehavior (in memory, no mux)", () => {
  it.effect("syncs from three responders and fetches every block once, in order", () =>
    Effect.gen(function*() {
      const addresses = [0, 1, 2].map((i) => PeerId.tcp("127.0.0.1", 6000 + i))
      const bridge = yield* Bridge.make(addresses.map((peer, i) => ({ peer, rtt: 20 + 30 * i })))
      for (const server of bridge.servers) yield* serveBlocks(server.iface, blocks)
      const { behavior, events, manager } = yield* runInitiator(bridge.initiator, { blockFetch: { chunkBlocks: 40 } }, addresses, Initiator.SyncStart.origin)
      const until = (done: () => boolean) => advanceUntil(done, 50, 100_000)
      const best = () => events.filter((e) => e._tag === "TipChanged").map((e: any) => e.blockNo as number).pop()
      const accepted = () => events.filter((e) => e._tag === "HandshakeResult" && e.result._tag === "Accepted").length
      yield* until(() => best() === 249 && accepted() === 3)
      assert.strictEqual(best(), 249)
      assert.strictEqual(accepted(), 3)
      const got = yield* fetchWhole(manager, events, blocks, until)
      assert.strictEqual(got.length, 250)
      got.forEach((e, i) => assert.strictEqual(e._tag === "BlockReceived" && e.block.blockNo, i))
      // the chunks were spread over the peers
      assert.isTrue(new Set(got.map((e) => e._tag === "BlockReceived" && e.peer)).size > 1)
      const peers = yield* behavior.peers
      assert.isTrue([...peers.values()].every((p) => p.temperature === "hot" && p.rtt !== undefined))
    }))
})

describe("InitiatorBehavior with twenty responders (in memory, no mux)", () => {
  it.effect("reaches the best tip, bans the liar, retries dropped peers, delivers a range exactly once in order", () =>
    Effect.gen(function*() {
      const chain = GeneratedChain.generate({ blocks: 600, seed: 9, maxBodySize: 3000 })
      const addresses = Array.from({ length: 20 }, (_, i) => PeerId.tcp("127.0.0.1", 7000 + i))
      const liar = addresses[7]!
      const slow = addresses[13]!
      const dropped = [addresses[2]!, addresses[11]!, addresses[17]!]
      const specs: Array<Bridge.ServerSpec> = addresses.map((peer, i) => ({
        peer,
        rtt: 10 + ((i * 37) % 190),
        ...(peer === slow ? { slow: 1500 } : {}),
        ...(dropped.includes(peer) ? { dropAfter: 150 + i * 10 } : {}),
        ...(peer === liar
          ? {
            // a header that skips a block: it does not link to the one before
            tamper: (m: any) =>
              m._tag === "MsgRollForward" && Block.headerInfo(m.header).blockNo === 100
                ? { ...m, header: chain[101]!.header }
                : m
          }
          : {})
      }))
      const bridge = yield* Bridge.make(specs)
      // one peer serves a shorter chain: the best tip is the others'
      for (const server of bridge.servers) yield* serveBlocks(server.iface, server.peer === addresses[5] ? chain.slice(0, 400) : chain)
      const { behavior, events, manager } = yield* runInitiator(
        bridge.initiator,
        { targets: { known: 20, established: 20, active: 20 }, blockFetch: { chunkBlocks: 25 } },
        addresses,
        Initiator.SyncStart.origin
      )
      const until = (done: () => boolean) => advanceUntil(done, 50, 200_000)
      const best = () => events.filter((e) => e._tag === "TipChanged").map((e: any) => e.blockNo as number).pop()
      const warmed = (p: PeerId) => events.filter((e) => e._tag === "PeerPromoted" && e.peer === p && e.to === "warm").length
      yield* until(() => best() === 599 && dropped.every((p) => warmed(p) >= 2) && events.some((e) => e._tag === "HeaderReceived" && e.peer === slow))
      assert.strictEqual(best(), 599)
      const bans = events.filter((e) => e._tag === "PeerBanned")
      assert.deepStrictEqual(bans.map((e) => e._tag === "PeerBanned" && e.peer), [liar])
      for (const p of dropped) {
        assert.isTrue(events.some((e) => e._tag === "PeerDemoted" && e.peer === p && e.to === "cold"), `${p} dropped`)
        assert.isTrue(warmed(p) >= 2, `${p} came back`)
      }
      const got = yield* fetchWhole(manager, events, chain, until)
      assert.strictEqual(got.length, 600)
      got.forEach((e, i) => {
        assert.strictEqual(e._tag === "BlockReceived" && e.block.blockNo, i)
        assert.strictEqual(e._tag === "BlockReceived" && e.index, i)
      })
      assert.isTrue(new Set(got.map((e) => e._tag === "BlockReceived" && e.peer)).size >= 10)
      const peers = yield* behavior.peers
      assert.strictEqual(peers.get(liar)?.temperature, "banned")
      assert.isTrue((peers.get(slow)?.rtt ?? 0) > 1000, `slow peer rtt ${peers.get(slow)?.rtt}`)
    }))
})
