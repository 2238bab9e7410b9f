/**
 * The topology file: parsing into typed values (and typed errors for a malformed file), the
 * governor's targets, resolution through a fake resolver (no network), re-resolution on TestClock,
 * and one real lookup of "localhost".
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Topology from "../src/Topology.ts"

const file = {
  bootstrapPeers: [{ address: "backbone.test", port: 3001 }],
  localRoots: [
    {
      accessPoints: [{ address: "relay-a.test", port: 3001 }, { address: "10.0.0.7", port: 3002 }],
      advertise: false,
      trustable: true,
      hotValency: 2,
      warmValency: 3
    },
    { accessPoints: [{ address: "_cardano._tcp.pool.test" }], advertise: true, valency: 1 }
  ],
  publicRoots: [{ accessPoints: [{ address: "public.test", port: 3001 }], advertise: false }],
  useLedgerAfterSlot: 128908821,
  peerSnapshotFile: "peer-snapshot.json",
  somethingNew: { ignored: true }
}

const tables = {
  a: {
    "relay-a.test": ["127.0.0.1"],
    "backbone.test": ["127.0.0.2", "127.0.0.3"],
    "public.test": ["127.0.0.4"],
    "srv-target-1.test": ["127.0.0.5"],
    "srv-target-2.test": ["127.0.0.6"]
  } as Record<string, ReadonlyArray<string>>,
  aaaa: { "relay-a.test": ["::1"] } as Record<string, ReadonlyArray<string>>,
  srv: {
    "_cardano._tcp.pool.test": [
      { name: "srv-target-2.test", port: 4002, priority: 20, weight: 1 },
      { name: "srv-target-1.test", port: 4001, priority: 10, weight: 5 }
    ]
  } as Record<string, ReadonlyArray<Topology.SrvRecord>>
}

const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

describe("Topology", () => {
  it.effect("reads a P2P topology file into typed values", () =>
    Effect.gen(function*() {
      const t = yield* Topology.decode(file)
      assert.strictEqual(t.localRoots.length, 2)
      const [g0, g1] = t.localRoots
      assert.deepStrictEqual(g0!.accessPoints, [
        { _tag: "Domain", domain: "relay-a.test", port: 3001 },
        { _tag: "Address", host: "10.0.0.7", port: 3002 }
      ])
      assert.strictEqual(g0!.trustable, true)
      assert.strictEqual(g0!.hotValency, 2)
      assert.strictEqual(g0!.warmValency, 3)
      // `valency` is the older name of hotValency; warm defaults to hot; an address without a port is SRV
      assert.deepStrictEqual(g1!.accessPoints, [{ _tag: "Srv", domain: "_cardano._tcp.pool.test" }])
      assert.strictEqual(g1!.hotValency, 1)
      assert.strictEqual(g1!.warmValency, 1)
      assert.strictEqual(g1!.trustable, false)
      assert.strictEqual(g1!.advertise, true)
      assert.deepStrictEqual(t.publicRoots, [{ accessPoints: [{ _tag: "Domain", domain: "public.test", port: 3001 }], advertise: false }])
      assert.deepStrictEqual(t.bootstrapPeers, [{ _tag: "Domain", domain: "backbone.test", port: 3001 }])
      assert.strictEqual(t.useLedgerAfterSlot, 128908821)
      assert.strictEqual(t.peerSnapshotFile, "peer-snapshot.json")

      const off = yield* Topology.decode({ localRoots: [], publicRoots: [], bootstrapPeers: null, useLedgerAfterSlot: -1 })
      assert.isUndefined(off.bootstrapPeers)
      assert.isUndefined(off.useLedgerAfterSlot)
      const v6 = yield* Topology.decode({ publicRoots: [{ accessPoints: [{ address: "[::1]", port: 1 }] }] })
      assert.deepStrictEqual(v6.publicRoots[0]!.accessPoints[0], { _tag: "Address", host: "::1", port: 1 })
    }))

  it.effect("a malformed file fails with a typed error saying where", () =>
    Effect.gen(function*() {
      const bad = (json: unknown) => Effect.flip(Topology.decode(json, "t.json"))
      const port = yield* bad({ localRoots: [{ accessPoints: [{ address: "a.test", port: 70000 }] }] })
      assert.strictEqual(port._tag, "TopologyError")
      assert.strictEqual(port.reason, "Invalid")
      assert.match(port.message, /localRoots/)
      assert.match(port.message, /port/)
      const missing = yield* bad({ localRoots: [{ advertise: true }] })
      assert.match(missing.message, /accessPoints/)
      const valency = yield* bad({ localRoots: [{ accessPoints: [], hotValency: 3, warmValency: 1 }] })
      assert.match(valency.detail, /localRoots\[0\]: warmValency 1 is below hotValency 3/)
      const notObject = yield* bad([1, 2])
      assert.strictEqual(notObject.reason, "Invalid")
      const json = yield* Effect.flip(Topology.parse("{ localRoots: ", "t.json"))
      assert.strictEqual(json.reason, "Json")
      const read = yield* Effect.flip(Topology.load("/nonexistent/topology.json"))
      assert.strictEqual(read.reason, "Read")
      // and a good file from disk
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "topology-"))
      made.push(dir)
      fs.writeFileSync(path.join(dir, "topology.json"), JSON.stringify(file))
      const loaded = yield* Topology.load(path.join(dir, "topology.json"))
      assert.strictEqual(loaded.localRoots.length, 2)
    }))

  it.effect("the governor's targets come from the local roots and give way to overrides", () =>
    Effect.gen(function*() {
      const t = yield* Topology.decode(file)
      const derived = Topology.targets(t)
      assert.deepStrictEqual(derived.localRoots, [{ hot: 2, warm: 3, trustable: true }, { hot: 1, warm: 1, trustable: false }])
      assert.deepStrictEqual([derived.known, derived.established, derived.active, derived.rootPeers], [150, 30, 20, 60])
      const many = yield* Topology.decode({
        localRoots: [{ accessPoints: [{ address: "127.0.0.1", port: 1 }], hotValency: 25, warmValency: 40 }]
      })
      const raised = Topology.targets(many)
      assert.deepStrictEqual([raised.active, raised.established, raised.known], [25, 40, 150])
      const overridden = Topology.targets(t, { active: 5, established: 3, known: 2, rootPeers: 10 })
      // established is never below active, known never below established
      assert.deepStrictEqual([overridden.active, overridden.established, overridden.known, overridden.rootPeers], [5, 5, 5, 10])
    }))

  it.effect("names resolve through the resolver: A and AAAA, SRV targets in priority order with their ports", () =>
    Effect.gen(function*() {
      const t = yield* Topology.decode(file)
      const r = yield* Topology.resolve(t)
      assert.deepStrictEqual(r.localRoots[0]!.peers, [
        { _tag: "Tcp", host: "127.0.0.1", port: 3001 },
        { _tag: "Tcp", host: "::1", port: 3001 },
        { _tag: "Tcp", host: "10.0.0.7", port: 3002 }
      ])
      assert.deepStrictEqual(r.localRoots[1]!.peers, [
        { _tag: "Tcp", host: "127.0.0.5", port: 4001 },
        { _tag: "Tcp", host: "127.0.0.6", port: 4002 }
      ])
      assert.deepStrictEqual(r.publicRoots[0]!.peers, [{ _tag: "Tcp", host: "127.0.0.4", port: 3001 }])
      assert.deepStrictEqual(r.bootstrapPeers.map((p) => p.host), ["127.0.0.2", "127.0.0.3"])
      assert.strictEqual(r.failures.length, 0)

      const unknown = yield* Topology.decode({ publicRoots: [{ accessPoints: [{ address: "nowhere.test", port: 1 }] }] })
      const failed = yield* Topology.resolve(unknown)
      assert.deepStrictEqual(failed.publicRoots[0]!.peers, [])
      assert.strictEqual(failed.failures.length, 1)
      assert.strictEqual(failed.failures[0]!._tag, "DnsError")
      assert.strictEqual(failed.failures[0]!.reason, "NotFound")
      assert.strictEqual(failed.failures[0]!.name, "nowhere.test")
    }).pipe(Effect.provide(Topology.layerStaticResolver(tables))))

  it.effect("root peers are resolved again on schedule; a failed lookup keeps the addresses it had", () =>
    Effect.gen(function*() {
      const a: Record<string, ReadonlyArray<string>> = { "relay-a.test": ["127.0.0.1"], "public.test": ["127.0.0.4"] }
      const t = yield* Topology.decode({
        localRoots: [{ accessPoints: [{ address: "relay-a.test", port: 3001 }], trustable: true, hotValency: 1 }],
        publicRoots: [{ accessPoints: [{ address: "public.test", port: 3001 }] }]
      })
      const roots = yield* Topology.makeRootPeers(t, { interval: "60 seconds", targets: { active: 3 } }).pipe(
        Effect.provide(Topology.layerStaticResolver({ a }))
      )
      assert.strictEqual(roots.targets.active, 3)
      assert.deepStrictEqual((yield* roots.trustable).map((p) => p.host), ["127.0.0.1"])
      const changes = yield* Stream.take(roots.changes, 2).pipe(Stream.runCollect, Effect.forkScoped)
      yield* Effect.yieldNow

      a["relay-a.test"] = ["127.0.0.9"]
      yield* TestClock.adjust("59 seconds")
      assert.deepStrictEqual((yield* roots.current).localRoots[0]!.peers.map((p) => p.host), ["127.0.0.1"])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual((yield* roots.current).localRoots[0]!.peers.map((p) => p.host), ["127.0.0.9"])

      // the name disappears: its last addresses stay, the failure is reported
      delete a["public.test"]
      yield* TestClock.adjust("60 seconds")
      const kept = yield* roots.current
      assert.deepStrictEqual(kept.publicRoots[0]!.peers.map((p) => p.host), ["127.0.0.4"])
      assert.strictEqual(kept.failures.length, 1)

      a["public.test"] = ["127.0.0.8"]
      yield* TestClock.adjust("60 seconds")
      const seen = yield* Fiber.join(changes)
      assert.strictEqual(seen.length, 2)
      assert.deepStrictEqual(seen[0]!.localRoots[0]!.peers.map((p) => p.host), ["127.0.0.9"])
      assert.deepStrictEqual(seen[1]!.publicRoots[0]!.peers.map((p) => p.host), ["127.0.0.8"])
    }).pipe(Effect.scoped))

  it.live("the system resolver finds localhost without the network", () =>
    Effect.gen(function*() {
      const t = yield* Topology.decode({ publicRoots: [{ accessPoints: [{ address: "localhost", port: 3001 }] }] })
      const r = yield* Topology.resolve(t).pipe(Effect.provide(Topology.layerSystemResolver))
      const hosts = r.publicRoots[0]!.peers.map((p) => p.host)
      assert.isTrue(hosts.includes("127.0.0.1") || hosts.includes("::1"), `localhost resolved to ${hosts.join(", ")}`)
      assert.isTrue(r.publicRoots[0]!.peers.every((p) => p.port === 3001))
    }))
})
