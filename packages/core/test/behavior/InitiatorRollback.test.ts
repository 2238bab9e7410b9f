/**
 * Roll-backs against hostile chain-sync servers (issue 17, item 2): a roll-back only to a point of
 * the candidate chain the peer sent (or its intersection), no deeper than the security parameter k;
 * anything else bans the peer and no forged tip reaches the user. A peer that makes no forward
 * progress (rolls back after every roll-forward) is demoted within a bounded number of messages.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Clock from "../utils/clock.ts"
import { runInitiator } from "../utils/initiator.ts"
import { ChainView } from "../../src/behavior/initiator/chainView.ts"
import * as Initiator from "../../src/behavior/Initiator.ts"
import * as Cbor from "../../src/cbor/Cbor.ts"
import type { ChainBlock } from "../../src/chain/Block.ts"
import * as GeneratedChain from "../../src/chain/GeneratedChain.ts"
import { PeerId } from "../../src/Primitives.ts"
import type { Point } from "../../src/protocol/Common.ts"
import * as Script from "./support/chainSyncScript.ts"

const chain = GeneratedChain.generate({ blocks: 40, seed: 21, maxBodySize: 500 })
/** A fork of `chain` after block 15: blocks 16'..35'. */
const fork = GeneratedChain.generate({
  blocks: 20,
  seed: 77,
  maxBodySize: 500,
  firstSlot: chain[15]!.slot + 3,
  firstBlockNo: 16,
  prevHash: chain[15]!.hash
})
/** An unrelated chain: its points were never sent by anyone following `chain`. */
const other = GeneratedChain.generate({ blocks: 40, seed: 99, maxBodySize: 500, firstSlot: 5000 })
const origin: Point = { _tag: "Origin" }
const point = Script.pointOf
const header = (b: ChainBlock) => ({ hash: b.hash, slot: b.slot, blockNo: b.blockNo, prevHash: b.prevHash })
const peer = (n: number) => PeerId.tcp("127.0.0.1", 6000 + n)

describe("chain view: roll-backs and progress", () => {
  const following = (max: number, k: number, n: number, window?: number) => {
    const view = new ChainView(max, { securityParam: k, noProgressWindow: window })
    view.intersect(peer(0), origin, 0)
    for (let i = 0; i < n; i++) assert.strictEqual(view.rollForward(peer(0), header(chain[i]!))._tag, "Ok")
    return view
  }

  it("refuses a roll-back to a point the peer never sent, and changes nothing", () => {
    const view = following(100, 100, 20)
    const r = view.rollBackward(peer(0), point(other[10]!))
    assert.strictEqual(r._tag, "UnknownRollback")
    assert.match(r._tag === "UnknownRollback" ? r.detail : "", /never sent/)
    assert.strictEqual(view.head(peer(0))?.blockNo, 19)
    // the forged continuation does not link either
    assert.strictEqual(view.rollForward(peer(0), header(other[11]!))._tag, "BadLink")
    assert.strictEqual(view.bestTip?.record.blockNo, 19)
    // a known hash at another slot is not the point it sent
    const wrongSlot = view.rollBackward(peer(0), { _tag: "Specific", slot: chain[10]!.slot + 1, hash: chain[10]!.hash })
    assert.strictEqual(wrongSlot._tag, "UnknownRollback")
  })

  it("refuses a roll-back deeper than k, inside the fragment or beyond its trimmed end", () => {
    const wide = following(50, 5, 20)
    const inside = wide.rollBackward(peer(0), point(chain[10]!))
    assert.strictEqual(inside._tag, "RollbackTooDeep")
    assert.match(inside._tag === "RollbackTooDeep" ? inside.detail : "", /9 headers back.*k is 5/)
    const narrow = following(5, 5, 20)
    assert.strictEqual(narrow.fragment(peer(0))!.length, 5)
    assert.strictEqual(narrow.rollBackward(peer(0), point(chain[10]!))._tag, "RollbackTooDeep")
    assert.strictEqual(narrow.rollBackward(peer(0), origin)._tag, "RollbackTooDeep")
    // exactly k back (the anchor of the trimmed fragment) is taken
    assert.deepStrictEqual(narrow.rollBackward(peer(0), point(chain[14]!)), { _tag: "Ok", bestChanged: true })
    assert.strictEqual(narrow.head(peer(0)), undefined)
    assert.strictEqual(narrow.rollForward(peer(0), header(chain[15]!))._tag, "Ok")
  })

  it("takes a roll-back to a sent point within k, to the intersection, and refuses one before it", () => {
    const view = new ChainView(100, { securityParam: 10 })
    view.intersect(peer(0), point(chain[5]!), chain[5]!.blockNo)
    assert.strictEqual(view.rollBackward(peer(0), point(chain[5]!))._tag, "Ok")
    for (let i = 6; i < 20; i++) assert.strictEqual(view.rollForward(peer(0), header(chain[i]!))._tag, "Ok")
    assert.strictEqual(view.rollBackward(peer(0), point(chain[15]!))._tag, "Ok")
    for (const b of fork.slice(0, 5)) assert.strictEqual(view.rollForward(peer(0), header(b))._tag, "Ok")
    assert.strictEqual(view.bestTip?.record.key, Cbor.toHex(fork[4]!.hash))
    const before = view.rollBackward(peer(0), point(chain[3]!))
    assert.strictEqual(before._tag, "UnknownRollback")
    assert.match(before._tag === "UnknownRollback" ? before.detail : "", /before the intersection/)
  })

  it("refuses a header whose block number does not follow", () => {
    const view = following(100, 100, 5)
    const skip = { ...header(chain[5]!), blockNo: 1000 }
    const r = view.rollForward(peer(0), skip)
    assert.strictEqual(r._tag, "BadLink")
    assert.match(r._tag === "BadLink" ? r.detail : "", /block number 1000 after block number 4/)
  })

  it("reports a stall once after the window; honest deep switches never trip it", () => {
    const k = 10
    const loop = following(100, k, 20)
    const window = loop.noProgressWindow
    assert.strictEqual(window, 2 * k + 100)
    const stalls: Array<number> = []
    for (let i = 0; i < 1000; i++) {
      const r = i % 2 === 0 ? loop.rollBackward(peer(0), point(chain[18]!)) : loop.rollForward(peer(0), header(chain[19]!))
      if (r._tag === "Ok" && r.stalled !== undefined) stalls.push(i)
    }
    assert.deepStrictEqual(stalls, [window])
    // an honest peer: two switches k deep in a row before its chain grows, then on
    const honest = following(100, k, 20)
    const forkB = GeneratedChain.generate({
      blocks: 15, seed: 5, maxBodySize: 500, firstSlot: chain[9]!.slot + 2, firstBlockNo: 10, prevHash: chain[9]!.hash
    })
    const seen: Array<string> = []
    const take = (r: ReturnType<ChainView["rollForward"]>) => {
      assert.strictEqual(r._tag, "Ok")
      if (r._tag === "Ok" && r.stalled !== undefined) seen.push(r.stalled)
    }
    take(honest.rollBackward(peer(0), point(chain[9]!)))
    for (const b of forkB.slice(0, 9)) take(honest.rollForward(peer(0), header(b)))
    take(honest.rollBackward(peer(0), point(chain[9]!)))
    for (let i = 10; i < 25; i++) take(honest.rollForward(peer(0), header(chain[i]!)))
    assert.deepStrictEqual(seen, [])
  })
})

const setup = Effect.fnUntraced(function*(specs: ReadonlyArray<Script.ScriptedPeer>, config: Initiator.InitiatorConfig = {}) {
  const net = yield* Script.make(new Map(specs.map((s, i) => [peer(i), s])))
  const { behavior, events } = yield* runInitiator(net.iface, config, specs.map((_, i) => peer(i)), Initiator.SyncStart.origin)
  const advanceUntil = (done: () => boolean, step = 10, limit = 60_000) => Clock.advanceUntil(done, step, limit)
  const bans = () => events.filter((e): e is Extract<Initiator.InitiatorEvent, { _tag: "PeerBanned" }> => e._tag === "PeerBanned")
  const bestTip = () => {
    const tips = events.filter((e): e is Extract<Initiator.InitiatorEvent, { _tag: "TipChanged" }> => e._tag === "TipChanged")
    return tips[tips.length - 1]
  }
  return { net, behavior, events, advanceUntil, bans, bestTip }
})

/** A script: the roll-back to the intersection first (as the reference server does), then `steps`, then silence. */
const script = (steps: ReadonlyArray<(tip: ReturnType<typeof Script.tipOf>) => ReturnType<typeof Script.rollForward>>, tip: ChainBlock) =>
(i: number) => {
  const t = Script.tipOf(tip)
  if (i === 0) return Script.rollBackward(origin, t)
  return steps[i - 1]?.(t)
}
const fwd = (b: ChainBlock) => (t: ReturnType<typeof Script.tipOf>) => Script.rollForward(b, t)
const back = (p: Point) => (t: ReturnType<typeof Script.tipOf>) => Script.rollBackward(p, t)

describe("initiator against hostile roll-backs (scripted peers, TestClock)", () => {
  it.effect("a roll-back to a point never sent: banned, and the forged tip never reaches the user", () =>
    Effect.gen(function*() {
      const honest = chain.slice(0, 16)
      const forged = other[30]!
      const { advanceUntil, bans, bestTip, events, behavior } = yield* setup([
        { rtt: 10, next: script(honest.map(fwd), honest[15]!) },
        {
          rtt: 20,
          next: script([...chain.slice(0, 10).map(fwd), back(point(other[29]!)), fwd(forged)], forged)
        }
      ])
      yield* advanceUntil(() => bans().length > 0 && bestTip()?.blockNo === 15)
      assert.strictEqual(bans().length, 1)
      assert.strictEqual(bans()[0]!.peer, peer(1))
      assert.match(bans()[0]!.reason, /chain-sync: a roll-back to .* a point this peer never sent/)
      yield* advanceUntil(() => false, 100, 5_000)
      const forgedKey = Cbor.toHex(forged.hash)
      assert.isFalse(events.some((e) =>
        (e._tag === "TipChanged" || e._tag === "HeaderReceived" || e._tag === "RolledBack") &&
        e.point._tag === "Specific" && Cbor.toHex(e.point.hash) === forgedKey
      ))
      assert.isFalse(events.some((e) => e._tag === "RolledBack" && e.peer === peer(1) && e.point._tag === "Specific"))
      assert.strictEqual(bestTip()?.blockNo, 15)
      assert.strictEqual(bestTip()?.peer, peer(0))
      const peers = yield* behavior.peers
      assert.strictEqual(peers.get(peer(1))?.temperature, "banned")
      assert.strictEqual(peers.get(peer(0))?.temperature, "hot")
    }))

  for (const maxHeadersPerPeer of [undefined, 50]) {
    it.effect(`a roll-back deeper than k (k = 5, maxHeadersPerPeer ${maxHeadersPerPeer ?? "default"}): banned`, () =>
      Effect.gen(function*() {
        const { advanceUntil, bans, behavior } = yield* setup([
          { rtt: 10, next: script([...chain.slice(0, 20).map(fwd), back(point(chain[10]!))], chain[19]!) }
        ], { securityParam: 5, chainSync: maxHeadersPerPeer === undefined ? {} : { maxHeadersPerPeer } })
        yield* advanceUntil(() => bans().length > 0, 10, 5_000)
        assert.strictEqual(bans().length, 1)
        assert.match(bans()[0]!.reason, /chain-sync: a roll-back to .*headers back \(the security parameter k is 5\)/)
        const fragment = (yield* behavior.peers).get(peer(0))
        assert.strictEqual(fragment?.temperature, "banned")
      }))
  }

  it.effect("a roll-back to a sent point within k, then a longer fork: followed, no ban", () =>
    Effect.gen(function*() {
      const { advanceUntil, bans, bestTip, events } = yield* setup([
        {
          rtt: 10,
          next: script([...chain.slice(0, 20).map(fwd), back(point(chain[15]!)), ...fork.slice(0, 10).map(fwd)], fork[9]!)
        }
      ], { securityParam: 5 })
      yield* advanceUntil(() => bestTip()?.blockNo === 25, 10, 5_000)
      assert.strictEqual(bans().length, 0)
      assert.strictEqual(bestTip()?.blockNo, 25)
      assert.strictEqual(Cbor.toHex((bestTip()!.point as any).hash), Cbor.toHex(fork[9]!.hash))
      const rolled = events.filter((e) => e._tag === "RolledBack")
      assert.deepStrictEqual(rolled.map((e) => e._tag === "RolledBack" && e.point._tag === "Specific" ? e.point.slot : 0), [
        0,
        chain[15]!.slot
      ])
    }))

  for (const k of [10, 2160]) {
    it.effect(`a peer rolling back after every roll-forward (k = ${k}): demoted within the window, then quiet`, () =>
      Effect.gen(function*() {
        const window = 2 * k + 100
        const loop = (i: number) => {
          const t = Script.tipOf(chain[19]!)
          if (i === 0) return Script.rollBackward(origin, t)
          if (i <= 20) return Script.rollForward(chain[i - 1]!, t)
          return (i - 21) % 2 === 0 ? Script.rollBackward(point(chain[18]!), t) : Script.rollForward(chain[19]!, t)
        }
        const { advanceUntil, events, net, behavior } = yield* setup([{ rtt: 10, next: loop }], {
          securityParam: k,
          demotionHold: "1 minute"
        })
        const demoted = () => events.find((e) => e._tag === "PeerDemoted" && e.from === "hot")
        const waited = yield* advanceUntil(() => demoted() !== undefined, 10, 60_000)
        const d = demoted()
        assert.isDefined(d)
        assert.match(d?._tag === "PeerDemoted" ? d.reason : "", /no forward progress: \d+ roll-forwards and roll-backs in a row without passing block number 19/)
        // bounded simulated time: a handful of round trips per 300 answers
        assert.isTrue(waited <= 1_000 + window * 2, `demoted after ${waited} ms`)
        const atDemotion = net.stats.answers.get(peer(0)) ?? 0
        assert.isTrue(atDemotion >= 21 + window, `${atDemotion} answers`)
        // bounded work: the answers already asked for (at most the high mark, 300) and no more
        yield* advanceUntil(() => false, 100, 10_000)
        const later = net.stats.answers.get(peer(0)) ?? 0
        assert.isTrue(later <= 21 + window + 1 + 300, `${later} answers (window ${window})`)
        yield* advanceUntil(() => false, 1_000, 40_000)
        assert.strictEqual(net.stats.answers.get(peer(0)), later)
        const state = (yield* behavior.peers).get(peer(0))
        assert.strictEqual(state?.temperature, "warm")
        assert.strictEqual(events.filter((e) => e._tag === "PeerBanned").length, 0)
      }))
  }
})
