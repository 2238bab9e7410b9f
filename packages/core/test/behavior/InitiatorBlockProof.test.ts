/**
 * Block-fetch against a lying peer on the simulated network (TestInterface + TestClock): a peer that
 * serves genuine headers over chain-sync but forged blocks over block-fetch is banned with a typed
 * reason, none of its blocks reaches the user, and an honest peer delivers the range.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Clock from "../utils/clock.ts"
import { initiatorAt, responderAt } from "../utils/emulation.ts"
import { Cbor, Initiator, PeerId, TestInterface } from "../../src/index.ts"
import { Block, BlockProof, ChainSource, GeneratedChain } from "../../src/chain/index.ts"
import type { ChainBlock } from "../../src/chain/Block.ts"


/** The block with one byte of its first transaction changed; header (so hash) untouched. */
const forgeBody = (block: ChainBlock): ChainBlock => {
  const bytes = block.bytes.slice()
  const headerEnd = block.header.bytes.byteOffset - block.bytes.byteOffset + block.header.bytes.length
  let i = headerEnd
  while (!(bytes[i] === 0x58 && bytes[i + 1] === 0x20)) i++
  bytes[i + 10]! ^= 0x01
  return { ...block, bytes }
}

type Lie = "forged body" | "another block"

const scenario = (lie: Lie) =>
  Effect.gen(function*() {
    const blocks = GeneratedChain.generate({ blocks: 40, seed: 21, minBodySize: 600, maxBodySize: 3000 })
    const served: ReadonlyArray<ChainBlock> = lie === "forged body"
      ? blocks.map(forgeBody)
      // each block answered by the next one's bytes (a genuine block, not the one asked for)
      : blocks.map((b, i) => ({ ...b, bytes: blocks[Math.min(i + 1, blocks.length - 1)]!.bytes }))
    // sanity: the liar's blocks are refused by the public check, the honest ones are proven
    for (const b of blocks) assert.isUndefined(BlockProof.check(b.bytes, { point: Block.pointOf(b) }))
    const refused = BlockProof.check(served[0]!.bytes, { point: Block.pointOf(blocks[0]!), header: blocks[0]!.header })
    assert.strictEqual(refused?.reason, lie === "forged body" ? "BodyHashMismatch" : "PointMismatch")

    const liar = PeerId.tcp("10.0.0.1", 3001)
    const honest = PeerId.tcp("10.0.0.9", 3001)
    yield* responderAt(liar, yield* ChainSource.makeMemory(served), 5) // the faster one
    yield* responderAt(honest, yield* ChainSource.makeMemory(blocks), 40)
    const manager = yield* initiatorAt(PeerId.tcp("10.0.0.2", 40000), { blockFetch: { chunkBlocks: 10, maxInFlightPerPeer: 2 } })
    const events: Array<Initiator.InitiatorEvent> = []
    yield* Effect.forkScoped(Stream.runForEach(manager.events, (e) => Effect.sync(() => void events.push(e))))
    const tip = blocks[blocks.length - 1]!
    const synced = yield* Effect.forkChild(Effect.gen(function*() {
      while (
        events.filter((e) => e._tag === "HeaderReceived" && e.blockNo === tip.blockNo).length < 2
      ) yield* Effect.sleep("10 millis")
    }))
    yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(liar))
    yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(honest))
    yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
    yield* Clock.runOnClock(synced, 60_000)
    assert.isFalse(events.some((e) => e._tag === "PeerBanned"), "genuine headers from both: nobody banned yet")

    const start = events.length
    const done = yield* Effect.forkChild(Effect.gen(function*() {
      while (!events.slice(start).some((e) => e._tag === "RangeFetched" || e._tag === "RangeFailed")) yield* Effect.sleep("10 millis")
    }))
    yield* manager.execute(Initiator.InitiatorCommand.FetchRange(Block.pointOf(blocks[0]!), Block.pointOf(tip)))
    yield* Clock.runOnClock(done, 60_000)
    const after = events.slice(start)

    // the liar was asked (it is the faster peer) and banned with the typed reason
    const bans = after.filter((e) => e._tag === "PeerBanned")
    assert.strictEqual(bans.length, 1)
    const ban = bans[0]!
    assert.isTrue(ban._tag === "PeerBanned" && ban.peer === liar)
    const expectedReason = lie === "forged body" ? "BodyHashMismatch" : "HeaderMismatch"
    assert.include(ban._tag === "PeerBanned" ? ban.reason : "", `block-fetch: ${expectedReason}:`)

    // the user received every block once, in order, each the genuine bytes and from the honest peer
    const received = after.flatMap((e) => e._tag === "BlockReceived" ? [e] : [])
    assert.deepStrictEqual(received.map((e) => e.block.blockNo), blocks.map((b) => b.blockNo))
    for (const e of received) {
      assert.strictEqual(e.peer, honest)
      assert.strictEqual(Cbor.toHex(e.block.bytes), Cbor.toHex(blocks[e.index]!.bytes))
    }
    assert.isTrue(after.some((e) => e._tag === "RangeFetched" && e.blocks === blocks.length))
  })

describe("Initiator block-fetch: every block proven before the user sees it", () => {
  it.effect("a peer serving forged bodies under genuine headers is banned (BodyHashMismatch); the honest peer delivers", () =>
    scenario("forged body").pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 60_000)

  it.effect("a peer serving another block than the one asked for is banned (HeaderMismatch); the honest peer delivers", () =>
    scenario("another block").pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 60_000)
})
