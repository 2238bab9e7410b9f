/**
 * The governor with root peers (a topology's local root groups, public roots and bootstrap peers):
 * each group kept at its valency whatever the overall targets, trusted peers chosen first and demoted
 * last, churn leaving roots and trusted peers alone, and new root addresses replacing old ones.
 */
import { assert, describe, it } from "@effect/vitest"
import type { RootPeers } from "../../src/behavior/Initiator.ts"
import { type GovernorAction, PeerSet } from "../../src/behavior/internal/initiator-peers.ts"
import { PeerId } from "../../src/Primitives.ts"

const peer = (n: number) => PeerId.tcp("127.0.0.1", 5000 + n)
const backoff = { base: 1000, max: 8000, jitter: 0, forgetAfter: 3 }
const tags = (actions: ReadonlyArray<GovernorAction>) => actions.map((a) => `${a._tag} ${a.peer}`)

/** Applies the governor's actions the way the initiator does, the dials and handshakes succeeding at once. */
const apply = (set: PeerSet, actions: ReadonlyArray<GovernorAction>, now: number, failing: ReadonlySet<PeerId> = new Set()) => {
  for (const a of actions) {
    switch (a._tag) {
      case "Connect":
        set.connecting(a.peer, now)
        if (failing.has(a.peer)) set.disconnected(a.peer, now, true, () => 0.5)
        else set.established(a.peer, now)
        break
      case "Promote":
        set.promote(a.peer)
        break
      case "Demote":
        set.demote(a.peer, now)
        break
      case "Disconnect":
        set.disconnected(a.peer, now, false, () => 0.5)
        break
      case "Forget":
        set.forget(a.peer)
        break
    }
  }
}

/** Runs the governor until it has nothing more to do. */
const settle = (set: PeerSet, now: number, failing?: ReadonlySet<PeerId>) => {
  for (let i = 0; i < 10; i++) {
    const actions = set.govern(now)
    if (actions.length === 0) return
    apply(set, actions, now, failing)
  }
  assert.fail("the governor did not settle")
}

const at = (set: PeerSet, t: "cold" | "warm" | "hot") => set.at(t).map((r) => r.peer).sort()

// a local root group (hot valency 2 of 3), a public root, a bootstrap peer
const roots: RootPeers = {
  localRoots: [{ peers: [peer(1), peer(2), peer(3)], hotValency: 2, warmValency: 2, trustable: false }],
  publicRoots: [peer(4)],
  bootstrapPeers: [peer(5)]
}

describe("initiator governor with root peers", () => {
  it("keeps a local root group at its valency and prefers the trusted bootstrap peer to the public root", () => {
    const set = new PeerSet({ known: 10, established: 3, active: 3 }, backoff, () => roots)
    // the group dials two of its three; the one place left goes to the trusted peer, not the public root
    assert.deepStrictEqual(tags(set.govern(0)), [`Connect ${peer(1)}`, `Connect ${peer(2)}`, `Connect ${peer(5)}`])
    settle(set, 0)
    assert.deepStrictEqual(at(set, "hot"), [peer(1), peer(2), peer(5)].sort())
    assert.deepStrictEqual(at(set, "cold"), [peer(3), peer(4)].sort())
    // each root is included (known), never forgotten for failures
    assert.strictEqual(set.get(peer(4))!.source, "included")
  })

  it("a group member that fails is replaced by another of its group, not by an outside peer", () => {
    const set = new PeerSet({ known: 10, established: 3, active: 3 }, backoff, () => roots)
    settle(set, 0, new Set([peer(1)]))
    assert.deepStrictEqual(at(set, "hot"), [peer(2), peer(3), peer(5)].sort())
    assert.strictEqual(set.get(peer(1))!.failures, 1)
    // the group is at its valency: peer 1 is not dialled again when its backoff ends
    assert.deepStrictEqual(set.govern(5000), [])
  })

  it("the group keeps its valency over the overall targets; over the active target the untrusted peer goes first", () => {
    // active 2 although the group alone wants 2 hot: the group keeps them, the outside peers are demoted
    const set = new PeerSet({ known: 10, established: 5, active: 3 }, backoff, () => roots)
    settle(set, 0)
    assert.deepStrictEqual(at(set, "hot"), [peer(1), peer(2), peer(5)].sort())
    assert.deepStrictEqual(at(set, "warm"), [peer(4)])
    const tight = new PeerSet({ known: 10, established: 5, active: 2 }, backoff, () => roots)
    for (const p of [1, 2, 4, 5]) {
      tight.add(peer(p), "included", 0)
      tight.established(peer(p), 0)
      tight.promote(peer(p))
    }
    // 4 hot, 2 wanted, the group's 2 among them: the group keeps its own, both outside peers are
    // demoted, the untrusted public root first
    assert.deepStrictEqual(tight.govern(0).filter((a) => a._tag === "Demote").map((a) => a.peer), [peer(4), peer(5)])
    const one = new PeerSet({ known: 10, established: 5, active: 3 }, backoff, () => roots)
    for (const p of [1, 2, 4, 5]) {
      one.add(peer(p), "included", 0)
      one.established(peer(p), 0)
      one.promote(peer(p))
    }
    // one over: the untrusted public root is demoted, the trusted bootstrap peer kept
    assert.deepStrictEqual(one.govern(0).filter((a) => a._tag === "Demote").map((a) => a.peer), [peer(4)])
  })

  it("a group over its valency drops its worst members; churn leaves roots and trusted peers alone", () => {
    const set = new PeerSet({ known: 10, established: 10, active: 10 }, backoff, () => roots)
    for (const p of [1, 2, 3]) {
      set.add(peer(p), "included", 0)
      set.established(peer(p), 0)
      set.recordRtt(peer(p), 10 * p)
      set.promote(peer(p))
    }
    const actions = set.govern(0)
    // three hot, valency 2: the slowest is demoted, then (warm valency 2) disconnected
    assert.includeDeepMembers(actions, [{ _tag: "Demote", peer: peer(3), reason: "over its local root group's hot valency" }])
    apply(set, actions, 0)
    settle(set, 0)
    assert.deepStrictEqual(at(set, "hot"), [peer(1), peer(2), peer(4), peer(5)].sort())
    assert.strictEqual(set.get(peer(3))!.temperature, "cold")
    // churn: the only candidate is the public root (not the group's peers, not the trusted peer)
    const churned = new PeerSet({ known: 10, established: 4, active: 4 }, backoff, () => roots)
    settle(churned, 0)
    assert.deepStrictEqual(at(churned, "hot"), [peer(1), peer(2), peer(4), peer(5)].sort())
    assert.deepStrictEqual(tags(churned.churn(0)), [`Demote ${peer(4)}`])
  })

  it("new root addresses replace the old: the old peer is disconnected and forgotten, the new one dialled", () => {
    const pair: RootPeers = { ...roots, localRoots: [{ peers: [peer(1), peer(2)], hotValency: 2, warmValency: 2, trustable: false }] }
    let current = pair
    const set = new PeerSet({ known: 10, established: 3, active: 3 }, backoff, () => current)
    settle(set, 0)
    assert.deepStrictEqual(at(set, "hot"), [peer(1), peer(2), peer(5)].sort())
    // the group's first name now resolves to another address
    current = { ...pair, localRoots: [{ ...pair.localRoots[0]!, peers: [peer(11), peer(2)] }] }
    const actions = set.govern(10)
    assert.deepStrictEqual(actions, [
      { _tag: "Disconnect", peer: peer(1), reason: "no longer a root peer" },
      { _tag: "Connect", peer: peer(11) }
    ])
    apply(set, actions, 10)
    assert.deepStrictEqual(tags(set.govern(20)), [`Forget ${peer(1)}`, `Promote ${peer(11)}`])
    settle(set, 20)
    assert.isUndefined(set.get(peer(1)))
    assert.deepStrictEqual(at(set, "hot"), [peer(11), peer(2), peer(5)].sort())
    // a peer the application included itself stays known when the roots stop naming it
    set.add(peer(2), "included", 30)
    current = { ...current, localRoots: [{ ...current.localRoots[0]!, peers: [peer(11), peer(12)] }] }
    settle(set, 40)
    assert.deepStrictEqual(at(set, "hot"), [peer(11), peer(12), peer(5)].sort())
    assert.strictEqual(set.get(peer(2))?.temperature, "cold")
  })

  it("without root peers it governs as before", () => {
    const set = new PeerSet({ known: 10, established: 2, active: 1 }, backoff)
    for (let i = 0; i < 4; i++) set.add(peer(i), "included", 0)
    assert.deepStrictEqual(tags(set.govern(0)), [`Connect ${peer(0)}`, `Connect ${peer(1)}`])
  })
})
