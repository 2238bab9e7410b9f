import { assert, describe, it } from "@effect/vitest"
import { ChainView } from "../../src/behavior/initiator/chainView.ts"
import { FetchPlanner } from "../../src/behavior/initiator/fetchPlanner.ts"
import { PeerSet } from "../../src/behavior/internal/initiator-peers.ts"
import { TxClient, TxPool } from "../../src/behavior/initiator/txClient.ts"
import * as Cbor from "../../src/cbor/Cbor.ts"
import * as GeneratedChain from "../../src/chain/GeneratedChain.ts"
import { PeerId } from "../../src/Primitives.ts"

const peer = (n: number) => PeerId.tcp("127.0.0.1", 4000 + n)
const blocks = GeneratedChain.generate({ blocks: 30, seed: 3, maxBodySize: 2000 })
const point = (i: number) => ({ _tag: "Specific" as const, slot: blocks[i]!.slot, hash: blocks[i]!.hash })
const fetched = (i: number) => ({ ...blocks[i]!, bytes: blocks[i]!.bytes })
const header = (i: number) => ({ hash: blocks[i]!.hash, slot: blocks[i]!.slot, blockNo: blocks[i]!.blockNo, prevHash: blocks[i]!.prevHash })

describe("initiator peer set", () => {
  it("promotes towards the targets and backs off after failures", () => {
    const set = new PeerSet({ known: 10, established: 2, active: 1 }, { base: 1000, max: 8000, jitter: 0, forgetAfter: 3 })
    for (let i = 0; i < 4; i++) set.add(peer(i), "included", 0)
    const first = set.govern(0)
    assert.deepStrictEqual(first.map((a) => a._tag), ["Connect", "Connect"])
    set.connecting(peer(0), 0)
    set.connecting(peer(1), 0)
    assert.deepStrictEqual(set.govern(0), [])
    set.handshaking(peer(0), 0)
    set.established(peer(0), 10)
    assert.deepStrictEqual(set.govern(10), [{ _tag: "Promote", peer: peer(0) }])
    set.promote(peer(0))
    // peer 1 fails three times: 1 s, 2 s, 4 s
    set.disconnected(peer(1), 100, true, () => 0.5)
    assert.strictEqual(set.get(peer(1))!.retryAt, 1100)
    set.disconnected(peer(1), 200, true, () => 0.5)
    assert.strictEqual(set.get(peer(1))!.retryAt, 2200)
    // another cold peer is dialled meanwhile
    assert.deepStrictEqual(set.govern(300), [{ _tag: "Connect", peer: peer(2) }])
  })

  it("bans, forgets failing discovered peers, and bounds the known set", () => {
    const set = new PeerSet({ known: 3, established: 1, active: 1 }, { base: 10, max: 100, jitter: 0.2, forgetAfter: 2 })
    assert.isTrue(set.add(peer(0), "included", 0))
    assert.isTrue(set.add(peer(1), "discovered", 0))
    assert.isTrue(set.add(peer(2), "discovered", 0))
    assert.isFalse(set.add(peer(3), "discovered", 0))
    set.ban(peer(0), 0, 1000, "lied")
    assert.isTrue(set.isBanned(peer(0), 500))
    assert.isFalse(set.isBanned(peer(0), 1500))
    set.disconnected(peer(1), 0, true, () => 0)
    set.disconnected(peer(1), 0, true, () => 1)
    assert.isTrue(set.govern(10_000).some((a) => a._tag === "Forget" && a.peer === peer(1)))
  })

  it("churns the worst hot peer when others wait", () => {
    const set = new PeerSet({ known: 10, established: 2, active: 1 }, { base: 10, max: 100, jitter: 0, forgetAfter: 2 })
    for (let i = 0; i < 3; i++) set.add(peer(i), "included", 0)
    for (const i of [0, 1]) {
      set.established(peer(i), 0)
      set.recordRtt(peer(i), 10 + i * 100)
    }
    set.promote(peer(1))
    const actions = set.churn(0)
    assert.deepStrictEqual(actions[0], { _tag: "Demote", peer: peer(1), reason: "churn" })
  })
})

describe("initiator chain view", () => {
  it("checks links, selects the longest chain and follows rollbacks", () => {
    const view = new ChainView(100)
    view.intersect(peer(0), { _tag: "Origin" }, 0)
    view.intersect(peer(1), { _tag: "Origin" }, 0)
    for (let i = 0; i < 10; i++) assert.strictEqual(view.rollForward(peer(0), header(i))._tag, "Ok")
    for (let i = 0; i < 5; i++) view.rollForward(peer(1), header(i))
    assert.strictEqual(view.bestTip?.peer, peer(0))
    assert.strictEqual(view.bestTip?.record.blockNo, 9)
    // a header that skips one is refused
    assert.strictEqual(view.rollForward(peer(1), header(6))._tag, "BadLink")
    // peer 0 rolls back to block 3: peer 1 (block 4) becomes the best
    const r = view.rollBackward(peer(0), point(3))
    assert.deepStrictEqual(r, { _tag: "Ok", bestChanged: true })
    assert.strictEqual(view.bestTip?.peer, peer(1))
    assert.deepStrictEqual(view.holders(Cbor.toHex(blocks[4]!.hash)), [peer(1)])
    assert.strictEqual(view.path(point(1), point(4))?.length, 4)
  })

  it("bounds a fragment and moves its anchor", () => {
    const view = new ChainView(5)
    view.intersect(peer(0), { _tag: "Origin" }, 0)
    for (let i = 0; i < 12; i++) assert.strictEqual(view.rollForward(peer(0), header(i))._tag, "Ok")
    assert.strictEqual(view.fragment(peer(0))!.length, 5)
    assert.strictEqual(view.path(point(6), point(11))?.length, 6)
  })
})

describe("initiator fetch planner", () => {
  it("spreads chunks, re-asks a failed chunk elsewhere, and delivers once in order", () => {
    const planner = new FetchPlanner({ chunkBlocks: 5, maxInFlightPerPeer: 1 })
    const path = blocks.slice(0, 20).map((b) => ({ key: Cbor.toHex(b.hash), slot: b.slot, hash: b.hash }))
    planner.add(1, point(0), point(19), path)
    const hot = [{ peer: peer(0), rtt: 10 }, { peer: peer(1), rtt: 20 }]
    const reqs = planner.schedule(hot, () => true)
    assert.strictEqual(reqs.length, 2)
    assert.strictEqual(reqs[0]!.peer, peer(0))
    // peer 1 serves chunk 2 (blocks 5..9) while peer 0 sends two blocks of chunk 1 then disappears
    planner.onStartBatch(peer(1))
    for (let i = 5; i < 10; i++) assert.strictEqual(planner.onBlock(peer(1), fetched(i))._tag, "Ok")
    assert.strictEqual(planner.onBatchDone(peer(1))._tag, "Ok")
    planner.onStartBatch(peer(0))
    planner.onBlock(peer(0), fetched(0))
    planner.onBlock(peer(0), fetched(1))
    let out = planner.drain()
    assert.deepStrictEqual(out.blocks.map((d) => d.index), [0, 1])
    planner.onPeerGone(peer(0), false)
    // chunk 1 is re-asked from block 2, chunk 3 goes out too
    const again = planner.schedule([{ peer: peer(1), rtt: 20 }], () => true)
    assert.strictEqual(again.length, 1)
    assert.strictEqual(again[0]!.from._tag === "Specific" && again[0]!.from.slot, blocks[2]!.slot)
    planner.onStartBatch(peer(1))
    for (let i = 2; i < 5; i++) assert.strictEqual(planner.onBlock(peer(1), fetched(i))._tag, "Ok")
    planner.onBatchDone(peer(1))
    out = planner.drain()
    assert.deepStrictEqual(out.blocks.map((d) => d.block.blockNo), [2, 3, 4, 5, 6, 7, 8, 9])
    for (let c = 0; c < 2; c++) {
      const [req] = planner.schedule([{ peer: peer(1), rtt: 20 }], () => true)
      assert.isDefined(req)
      planner.onStartBatch(peer(1))
      for (let i = 10 + c * 5; i < 15 + c * 5; i++) planner.onBlock(peer(1), fetched(i))
      planner.onBatchDone(peer(1))
    }
    out = planner.drain()
    assert.deepStrictEqual(out.blocks.map((d) => d.index), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    assert.deepStrictEqual(out.outcomes.map((o) => o._tag), ["Fetched"])
  })

  it("a chunk whose every block came before its peer went is done, not asked again", () => {
    // found by fault injection (seeds 4 and 5): the peer went between a chunk's last block and its
    // batch's end; the chunk was asked again from the block after its last, which does not exist,
    // and scheduling threw (the Manager's event fiber died with it)
    for (const known of [true, false]) {
      const planner = new FetchPlanner({ chunkBlocks: 5, maxInFlightPerPeer: 1 })
      const path = blocks.slice(0, 10).map((b) => ({ key: Cbor.toHex(b.hash), slot: b.slot, hash: b.hash }))
      planner.add(1, point(0), point(known ? 9 : 4), known ? path : undefined)
      const [req] = planner.schedule([{ peer: peer(0), rtt: 10 }], () => true)
      assert.isDefined(req)
      planner.onStartBatch(peer(0))
      for (let i = 0; i < 5; i++) assert.strictEqual(planner.onBlock(peer(0), fetched(i))._tag, "Ok")
      planner.onPeerGone(peer(0), false)
      const again = planner.schedule([{ peer: peer(1), rtt: 20 }], () => true)
      // known headers: only the second chunk goes out; unknown: nothing is left to ask
      assert.deepStrictEqual(again.map((r) => r.from._tag === "Specific" ? r.from.slot : -1), known ? [blocks[5]!.slot] : [], `headers known: ${known}`)
      const out = planner.drain()
      assert.deepStrictEqual(out.blocks.map((d) => d.block.blockNo), [0, 1, 2, 3, 4].map((i) => blocks[i]!.blockNo))
      assert.deepStrictEqual(out.outcomes.map((o) => o._tag), known ? [] : ["Fetched"])
    }
  })

  it("catches a wrong block and checks links when the headers are unknown", () => {
    const planner = new FetchPlanner({ chunkBlocks: 5, maxInFlightPerPeer: 1 })
    planner.add(1, point(0), point(3), undefined)
    const [req] = planner.schedule([{ peer: peer(0), rtt: 1 }], () => false)
    assert.isDefined(req)
    planner.onStartBatch(peer(0))
    assert.strictEqual(planner.onBlock(peer(0), fetched(0))._tag, "Ok")
    assert.strictEqual(planner.onBlock(peer(0), fetched(2))._tag, "Fault")
    planner.onPeerGone(peer(0), true)
    // the only peer failed it: the range fails
    planner.schedule([{ peer: peer(0), rtt: 1 }], () => false)
    assert.deepStrictEqual(planner.drain().outcomes.map((o) => o._tag), ["Failed"])
  })
})

describe("initiator tx-submission2 client", () => {
  it("follows the ack rules and waits on a blocking request", () => {
    const pool = new TxPool(10)
    const client = new TxClient(pool, 3)
    const tx = (n: number) => ({ era: 6, bytes: new Uint8Array([0x84, n]) })
    const id = (n: number) => ({ era: 6, txId: new Uint8Array(32).fill(n) })
    assert.deepStrictEqual(client.requestTxIds(true, 0, 3), { _tag: "Wait" })
    pool.add(id(1), tx(1))
    pool.add(id(2), tx(2))
    const r = client.submitted()
    assert.strictEqual(r?._tag === "ReplyTxIds" && r.ids.length, 2)
    assert.strictEqual(client.requestTxs([id(1)])._tag, "ReplyTxs")
    assert.strictEqual(client.requestTxs([id(9)])._tag, "Violation")
    assert.strictEqual(client.requestTxIds(true, 1, 3)._tag, "Violation")
    assert.deepStrictEqual(client.requestTxIds(false, 1, 3), { _tag: "ReplyTxIds", ids: [] })
    assert.strictEqual(client.requestTxIds(false, 5, 3)._tag, "Violation")
  })
})
