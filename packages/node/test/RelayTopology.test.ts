/**
 * The relay honours a topology file, over real sockets on 127.0.0.1 (names resolved by a test
 * resolver): a local root group kept at its valency (2 of 3), the trusted bootstrap peer chosen
 * before the public root, a group member that goes away replaced by the group's third; names
 * resolved again on a short interval, the relay moving to the new address.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { ChainSource, GeneratedChain, Initiator, type PeerId, PeerId as PeerIds, Protocols, Responder } from "@pallas-network2/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ChainStore from "../src/ChainStore.ts"
import * as Relay from "../src/Relay.ts"
import * as TcpInterface from "../src/TcpInterface.ts"
import * as Topology from "../src/Topology.ts"

const MAGIC = 42
const K = 10
const blocks = GeneratedChain.generate({ blocks: 25, maxBodySize: 1500 })

/** Polls `check` (real time: the sockets are real) until it holds. */
const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, within = 15_000) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (!(yield* check)) {
      if (Date.now() - start > within) return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("20 millis")
    }
  })

/** An upstream responder over the first 20 blocks, in its own scope (closed to make it go away). */
const upstream = (host = "127.0.0.1", port = 0) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const chain = yield* ChainSource.makeMemory(blocks.slice(0, 20))
    const context = yield* Layer.buildWithScope(
      Responder.layerManager({ networkMagic: MAGIC }).pipe(
        Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
        Layer.provideMerge(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols, listen: { host, port } }))
      ),
      scope
    )
    yield* Effect.forkIn(Stream.runDrain(Context.get(context, Responder.ResponderManager).events), scope)
    const bound = Context.get(context, TcpInterface.TcpListenAddress)!.port
    return { chain, port: bound, peer: PeerIds.tcp(host, bound), close: Scope.close(scope, Exit.void) }
  })

const tmp: Array<string> = []
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true })
})
const tmpDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-topology-"))
  tmp.push(dir)
  return dir
}

/** A relay on a topology file, its sync running; `temperatures` reads what its initiator holds. */
const startRelay = (options: Partial<Relay.RelayOptions> & { readonly topology: string; readonly resolver: Layer.Layer<Topology.Resolver> }) =>
  Effect.gen(function*() {
    const dir = tmpDir()
    const context = yield* Layer.build(
      Relay.layer({ dir, port: 0, networkMagic: MAGIC, securityParam: K, chunkSize: 200, ...options })
    )
    yield* Effect.forkScoped(Relay.run([], { securityParam: K, topology: true }).pipe(Effect.provideContext(context)))
    const behavior = Context.get(context, Initiator.InitiatorBehavior)
    const temperatures = Effect.map(behavior.peers, (peers) => {
      const of = (t: string) => [...peers].filter(([, s]) => s.temperature === t).map(([p]) => p).sort()
      return { hot: of("hot"), warm: of("warm"), cold: of("cold") }
    })
    return { store: Context.get(context, ChainStore.ChainStore), roots: Context.get(context, Topology.RootPeers), temperatures }
  })

const sorted = (peers: ReadonlyArray<PeerId>) => [...peers].sort()

describe("Relay with a topology file", () => {
  it.live("a local root group at its valency (2 of 3), the trusted bootstrap peer before the public root, a lost member replaced from its group", () =>
    Effect.gen(function*() {
      const [a1, a2, a3, pub, boot] = yield* Effect.all([upstream(), upstream(), upstream(), upstream(), upstream()])
      const dir = tmpDir()
      const file = path.join(dir, "topology.json")
      fs.writeFileSync(file, JSON.stringify({
        localRoots: [{
          accessPoints: [{ address: "a1.test", port: a1!.port }, { address: "a2.test", port: a2!.port }, { address: "a3.test", port: a3!.port }],
          advertise: false,
          trustable: false,
          hotValency: 2
        }],
        publicRoots: [{ accessPoints: [{ address: "public.test", port: pub!.port }], advertise: false }],
        bootstrapPeers: [{ address: "boot.test", port: boot!.port }],
        useLedgerAfterSlot: -1
      }))
      const loopback = ["127.0.0.1"]
      const resolver = Topology.layerStaticResolver({
        a: { "a1.test": loopback, "a2.test": loopback, "a3.test": loopback, "public.test": loopback, "boot.test": loopback }
      })
      // three hot and three established overall: the group takes two, the third goes to the trusted peer
      const relay = yield* startRelay({ topology: file, resolver, targets: { active: 3, established: 3 } })
      assert.deepStrictEqual(relay.roots.targets.localRoots, [{ hot: 2, warm: 2, trustable: false }])
      const want = sorted([a1!.peer, a2!.peer, boot!.peer])
      yield* eventually("the group's first two and the bootstrap peer hot", Effect.map(relay.temperatures, (t) => t.hot.join() === want.join()))
      const t0 = yield* relay.temperatures
      assert.deepStrictEqual(t0.warm, [])
      assert.deepStrictEqual(t0.cold, sorted([a3!.peer, pub!.peer]))
      // the relay syncs from them
      yield* eventually("the relay to hold the 20 blocks", Effect.map(relay.store.tip, (t) => t.blockNo === 19))

      // a group member goes away: the group's third takes its place (not the public root)
      yield* a1!.close
      const after = sorted([a2!.peer, a3!.peer, boot!.peer])
      yield* eventually("the group's third hot in place of the first", Effect.map(relay.temperatures, (t) => t.hot.join() === after.join()), 20_000)
      const t1 = yield* relay.temperatures
      assert.include(t1.cold, pub!.peer)
      assert.include(t1.cold, a1!.peer)
      for (const u of [a2, a3, pub, boot]) yield* u!.close
    }).pipe(Effect.scoped), 60_000)

  it.live("names resolved again on a short interval: the relay moves to the new address", () =>
    Effect.gen(function*() {
      const old = yield* upstream("127.0.0.1")
      // the same port on another loopback address: what the name will resolve to next
      const moved = yield* upstream("127.0.0.2", old.port)
      const dir = tmpDir()
      const file = path.join(dir, "topology.json")
      fs.writeFileSync(file, JSON.stringify({
        localRoots: [{ accessPoints: [{ address: "relay.test", port: old.port }], trustable: true, hotValency: 1 }],
        publicRoots: [],
        bootstrapPeers: null
      }))
      const a: Record<string, ReadonlyArray<string>> = { "relay.test": ["127.0.0.1"] }
      const relay = yield* startRelay({
        topology: file,
        resolver: Topology.layerStaticResolver({ a }),
        resolveInterval: "200 millis"
      })
      yield* eventually("the old address hot", Effect.map(relay.temperatures, (t) => t.hot.join() === old.peer))
      yield* eventually("the relay to hold the 20 blocks", Effect.map(relay.store.tip, (t) => t.blockNo === 19))
      a["relay.test"] = ["127.0.0.2"]
      yield* eventually("the new address hot", Effect.map(relay.temperatures, (t) => t.hot.join() === moved.peer), 10_000)
      // the old address is no longer a root: disconnected and forgotten
      yield* eventually("the old address forgotten", Effect.map(relay.temperatures, (t) => ![...t.hot, ...t.warm, ...t.cold].includes(old.peer)))
      const resolved = yield* relay.roots.current
      assert.deepStrictEqual(resolved.localRoots[0]!.peers, [{ _tag: "Tcp", host: "127.0.0.2", port: old.port }])
      // the relay follows the new address: blocks only it has reach the store
      for (const b of blocks.slice(20)) yield* moved.chain.append(b)
      yield* eventually("the relay to take the new address's blocks", Effect.map(relay.store.tip, (t) => t.blockNo === 24))
      yield* old.close
      yield* moved.close
    }).pipe(Effect.scoped), 40_000)
})
