/**
 * The relay over real sockets on 127.0.0.1: an upstream responder over a chain that grows (and rolls
 * back), the relay in between, a downstream initiator that receives every block byte for byte
 * (including blocks appended after it started); the relay restarted on the same folder resumes from
 * its stored tip, and `network2 serve --chain DIR` serves the immutable part. Then the same as processes
 * (`serve --live`, `relay` killed with SIGKILL and started again), with the independent TypeScript
 * client on the relay's port and socket.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Block, Cbor, ChainSource, GeneratedChain, Initiator, PeerId, Protocols } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as ChainStore from "@pallas-network2/node/ChainStore"
import * as ImmutableDb from "@pallas-network2/node/ImmutableDb"
import * as Relay from "@pallas-network2/node/Relay"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Topology from "@pallas-network2/node/Topology"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { startResponder } from "../src/commands/DemoCommand.ts"
import * as Serve from "../src/commands/Serve.ts"
import * as Harmonic from "./support/harmonicClient.ts"
import * as HarmonicLocal from "./support/harmonicLocal.ts"
import { freePort, serve, spawn, waitForOutput } from "./support/process.ts"

const MAGIC = 42
const K = 10
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0

/** Polls `check` (real time: the sockets are real) until it holds, failing with `what` after `within` ms. */
const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, within = 15_000) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (!(yield* check)) {
      if (Date.now() - start > within) return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("20 millis")
    }
  })

const upstream = (initial: ReadonlyArray<Block.ChainBlock>) =>
  Effect.gen(function*() {
    const chain = yield* ChainSource.makeMemory(initial)
    return { chain, peer: (yield* startResponder(chain, MAGIC)).peer }
  })

/** A relay in its own scope, with its sync running; `close` stops it. */
const startRelay = (dir: string, peers: ReadonlyArray<PeerId>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(
      Relay.layer({ dir, peers, port: 0, networkMagic: MAGIC, securityParam: K, chunkSize: 200 }),
      scope
    )
    const store = Context.get(context, ChainStore.ChainStore)
    // small batches, so a catch-up holds batches that kept only their ends
    const fiber = yield* Effect.forkIn(Relay.run(peers, { fetchBatch: 3, securityParam: K }).pipe(Effect.provideContext(context)), scope)
    const port = Context.get(context, TcpInterface.TcpListenAddress)!.port
    const manager = Context.get(context, Initiator.InitiatorManager)
    return { store, manager, port, fiber, close: Scope.close(scope, Effect.void as never) as Effect.Effect<void> }
  })

/** A downstream follower: our initiator over TCP, recording each header event and the chain it now holds. */
const follower = (port: number) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Initiator.managerLayer({ whenFull: "wait" }).pipe(
        Layer.provideMerge(Initiator.layer({ networkMagic: MAGIC, securityParam: K, churnInterval: undefined })),
        Layer.provideMerge(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols }))
      )
    )
    const manager = Context.get(context, Initiator.InitiatorManager)
    const chain: Array<Point> = []
    const rollbacks: Array<Point> = []
    const blocks = new Map<number, Array<Uint8Array>>()
    const done = new Set<number>()
    yield* Effect.forkScoped(Stream.runForEach(manager.events, (e) =>
      Effect.sync(() => {
        switch (e._tag) {
          case "HeaderReceived":
            chain.push(e.point)
            break
          case "RolledBack": {
            const key = Point.toString(e.point)
            const at = chain.findIndex((p) => Point.toString(p) === key)
            if (at >= 0 || e.point._tag === "Origin") {
              if (chain.length > at + 1) rollbacks.push(e.point)
              chain.splice(at + 1)
            }
            break
          }
          case "BlockReceived":
            if (!blocks.has(e.rangeId)) blocks.set(e.rangeId, [])
            blocks.get(e.rangeId)![e.index] = e.block.bytes
            break
          case "RangeFetched":
            done.add(e.rangeId)
            break
        }
      })))
    yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(PeerId.tcp("127.0.0.1", port)))
    yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
    let id = 0
    const fetch = (from: Point, to: Point) =>
      Effect.gen(function*() {
        const rangeId = ++id
        yield* manager.execute(Initiator.InitiatorCommand.FetchRange(from, to, rangeId))
        yield* eventually(`range ${rangeId}`, Effect.sync(() => done.has(rangeId)))
        return blocks.get(rangeId)!
      })
    return { chain, rollbacks, fetch }
  })

const tmp: Array<string> = []
const tmpDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-"))
  tmp.push(dir)
  return dir
}
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true })
})

describe("Relay", () => {
  it.live("upstream -> relay -> downstream: every block byte for byte, new ones and roll-backs passed on; a restart resumes from the stored tip", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const blocks = GeneratedChain.generate({ blocks: 140, maxBodySize: 3000 })
      const up = yield* upstream(blocks.slice(0, 60))
      const relay = yield* startRelay(dir, [up.peer])
      const tipIs = (n: number) => Effect.map(relay.store.tip, (t) => t.blockNo === n)
      yield* eventually("the relay to hold the first 60 blocks", tipIs(59))

      const down = yield* follower(relay.port)
      yield* eventually("the follower to have 60 headers", Effect.sync(() => down.chain.length === 60))
      // blocks appended upstream after everyone started reach the follower through the relay
      for (const b of blocks.slice(60, 100)) yield* up.chain.append(b)
      yield* eventually("the relay to hold 100 blocks", tipIs(99))
      yield* eventually("the follower to have 100 headers", Effect.sync(() => down.chain.length === 100))
      assert.deepStrictEqual(down.chain, blocks.slice(0, 100).map(Block.pointOf))
      const got = yield* down.fetch(Block.pointOf(blocks[0]!), Block.pointOf(blocks[99]!))
      assert.strictEqual(got.length, 100)
      got.forEach((bytes, i) => assert.isTrue(same(bytes, blocks[i]!.bytes), `block ${i}`))

      // a roll-back upstream (3 blocks) and a fork of 4 blocks: the relay and the follower switch
      yield* up.chain.rollback(3)
      const random = (() => {
        let s = 7
        return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
      })()
      const fork: Array<Block.ChainBlock> = []
      let prev = blocks[96]!
      for (let i = 0; i < 4; i++) {
        const b = GeneratedChain.makeBlock({ blockNo: prev.blockNo + 1, slot: prev.slot + 2, prevHash: prev.hash, bodySize: 1500, random })
        fork.push(b)
        prev = b
      }
      for (const b of fork) yield* up.chain.append(b)
      yield* eventually("the relay to hold the fork", Effect.map(relay.store.tip, (t) => t.point._tag === "Specific" && same(t.point.hash, fork[3]!.hash)))
      const forked = [...blocks.slice(0, 97), ...fork]
      yield* eventually("the follower to switch to the fork", Effect.sync(() => down.chain.length === 101))
      assert.deepStrictEqual(down.chain, forked.map(Block.pointOf))
      assert.isAbove(down.rollbacks.length, 0)
      const forkBytes = yield* down.fetch(Block.pointOf(blocks[95]!), Block.pointOf(fork[3]!))
      assert.strictEqual(forkBytes.length, 6)
      forkBytes.forEach((bytes, i) => assert.isTrue(same(bytes, forked[95 + i]!.bytes), `fork block ${i}`))

      // the relay stops; K blocks were volatile, the rest are on disk
      const counts = yield* relay.store.counts
      assert.deepStrictEqual(counts, { immutable: 101 - K, volatile: K })
      yield* relay.close
      const onDisk = yield* ImmutableDb.readBlocks(dir)
      assert.strictEqual(onDisk.length, 101 - K)
      onDisk.forEach((b, i) => assert.isTrue(same(b.bytes, forked[i]!.bytes)))

      // restarted on the same folder: it resumes from its stored tip and catches up, new blocks too
      const again = yield* startRelay(dir, [up.peer])
      const tip0 = yield* again.store.tip
      assert.strictEqual(tip0.blockNo, forked[100 - K]!.blockNo)
      yield* eventually("the restarted relay to catch up", Effect.map(again.store.tip, (t) => t.blockNo === fork[3]!.blockNo))
      prev = fork[3]!
      const more: Array<Block.ChainBlock> = []
      for (let i = 0; i < 20; i++) {
        const b = GeneratedChain.makeBlock({ blockNo: prev.blockNo + 1, slot: prev.slot + 3, prevHash: prev.hash, bodySize: 1200, random })
        more.push(b)
        prev = b
      }
      for (const b of more) yield* up.chain.append(b)
      const whole = [...forked, ...more]
      yield* eventually("the restarted relay to take the new blocks", Effect.map(again.store.tip, (t) => t.blockNo === prev.blockNo))
      yield* again.close
      const all = yield* ImmutableDb.readBlocks(dir)
      assert.strictEqual(all.length, whole.length - K)
      all.forEach((b, i) => assert.isTrue(same(b.bytes, whole[i]!.bytes)))

      // `network2 serve --chain DIR` serves the relay's folder: the immutable part, byte for byte
      const served = yield* Layer.build(Serve.chainLayer({ host: "127.0.0.1", port: 0, magic: MAGIC, chain: dir }))
      const source = Context.get(served, ChainSource.ChainSource)
      assert.strictEqual(yield* source.length, whole.length - K)
      const range = yield* source.range(Block.pointOf(whole[0]!), Block.pointOf(whole[whole.length - K - 1]!))
      const servedBytes = yield* Stream.runCollect(range!)
      servedBytes.forEach((bytes, i) => assert.isTrue(same(bytes, whole[i]!.bytes)))
    }).pipe(Effect.scoped), 60_000)

  it.live("processes: serve --live -> relay -> our initiator, follow --socket-path and the independent client (node-to-node and node-to-client); the relay killed with SIGKILL and started again resumes from its stored tip; serve --chain on its folder", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const db = path.join(dir, "db")
      const socket = path.join(dir, "node.socket")
      // what `serve --blocks 80 --max-body-size 3000` generates (the live chain replays the same blocks)
      const blocks = GeneratedChain.generate({ blocks: 80, maxBodySize: 3000, minBodySize: 1000 })
      const [upPort, relayPort, servePort] = [yield* freePort, yield* freePort, yield* freePort]
      yield* serve([
        "serve", "--port", String(upPort), "--magic", String(MAGIC), "--blocks", "80", "--max-body-size", "3000",
        "--live", "--start", "40", "--block-time", "100ms", "--rollback-every", "10", "--rollback-depth", "2"
      ])
      const relayArgs = [
        "relay", "--db", db, "--peer", `127.0.0.1:${upPort}`, "--port", String(relayPort), "--magic", String(MAGIC),
        "--security-param", String(K), "--socket-path", socket
      ]
      const first = yield* spawn(relayArgs)
      yield* waitForOutput(first, "listening on")
      const down = yield* follower(relayPort)
      yield* eventually("the follower to pass block 55", Effect.sync(() => down.chain.length > 55))

      // killed in the middle, started again on the same folder: it resumes from what is on disk
      first.child.kill("SIGKILL")
      yield* first.exited
      // the second time with a topology file naming the upstream as a local root instead of --peer
      const topologyFile = path.join(dir, "topology.json")
      fs.writeFileSync(topologyFile, JSON.stringify({
        localRoots: [{ accessPoints: [{ address: "127.0.0.1", port: upPort }], advertise: false, trustable: true, hotValency: 1 }],
        publicRoots: [],
        bootstrapPeers: null
      }))
      const second = yield* spawn(relayArgs.flatMap((a, i) =>
        a === "--peer" ? ["--topology", topologyFile] : relayArgs[i - 1] === "--peer" ? [] : [a]
      ))
      yield* waitForOutput(second, "listening on")
      const stored = Number(/chain store .*: (\d+) blocks on disk/.exec(second.log())![1])
      assert.isAbove(stored, 0)
      yield* waitForOutput(second, /relay: following 127\.0\.0\.1:\d+ from \d+\./)

      // the follower goes on through the restarted relay to the end of the upstream chain
      yield* eventually("the follower to hold all 80 blocks", Effect.sync(() => down.chain.length === 80), 30_000)
      assert.deepStrictEqual(down.chain, blocks.map(Block.pointOf))
      assert.isAbove(down.rollbacks.length, 0)
      const got = yield* down.fetch(Block.pointOf(blocks[0]!), Block.pointOf(blocks[79]!))
      assert.strictEqual(got.length, 80)
      got.forEach((bytes, i) => assert.isTrue(same(bytes, blocks[i]!.bytes), `block ${i}`))

      // node-to-client on the relay's socket: every block from the origin
      const local = yield* spawn(["follow", "--socket-path", socket, "--magic", String(MAGIC), "--from", "origin", "--limit", "80", "--json"])
      assert.strictEqual(yield* local.exited, 0)
      const seen = local.log().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { event: string; blockNo?: number })
        .filter((e) => e.event === "block").map((e) => e.blockNo)
      assert.deepStrictEqual(seen, blocks.map((b) => b.blockNo))

      // the independent TypeScript client, node-to-node on the relay's port (its multiplexer now and then
      // loses its place across TCP reads and waits for ever: a session is bounded and tried again)
      const viaN2n = yield* Effect.scoped(Effect.gen(function*() {
        const { mplexer } = yield* Harmonic.connect(relayPort)
        assert.deepStrictEqual(yield* Harmonic.handshake(mplexer, MAGIC), { _tag: "Accept", version: 14 })
        const sync = Harmonic.chainSync(mplexer)
        assert.isTrue(yield* sync.findIntersect([Block.pointOf(blocks[0]!)]))
        assert.strictEqual((yield* sync.requestNext)._tag, "RollBackward")
        for (let i = 1; i < 80; i++) {
          const step = yield* sync.requestNext
          assert.isTrue(step._tag === "RollForward" && Cbor.toHex(step.header.bytes) === Cbor.toHex(blocks[i]!.header.bytes), `header ${i}`)
        }
        return yield* Harmonic.blockFetch(mplexer).requestRange(Block.pointOf(blocks[0]!), Block.pointOf(blocks[79]!))
      }).pipe(Effect.timeout("12 seconds"))).pipe(Effect.retry({ times: 2 }))
      assert.strictEqual(viaN2n!.length, 80)
      viaN2n!.forEach((bytes, i) => assert.isTrue(same(bytes, blocks[i]!.bytes), `independent client block ${i}`))
      // and node-to-client on the relay's socket: whole blocks from the origin
      const viaN2c = yield* Effect.scoped(Effect.gen(function*() {
        const conn = yield* HarmonicLocal.connect(socket)
        const verdict = (yield* HarmonicLocal.handshake(conn, MAGIC)) as ReadonlyArray<unknown>
        assert.strictEqual(verdict[0], 1)
        const sync = HarmonicLocal.chainSync(conn.mplexer)
        assert.isTrue(yield* sync.findIntersect([Point.origin]))
        assert.isUndefined(yield* sync.requestNext)
        const out: Array<Uint8Array> = []
        for (let i = 0; i < 80; i++) out.push((yield* sync.requestNext)!)
        return out
      }).pipe(Effect.timeout("12 seconds")))
      assert.strictEqual(viaN2c!.length, 80)
      viaN2c!.forEach((bytes, i) => assert.isTrue(bytes !== undefined && same(bytes, blocks[i]!.bytes), `independent local client block ${i}`))

      // the relay's folder served by `network2 serve --chain`: the immutable part, byte for byte
      second.child.kill("SIGINT")
      yield* second.exited
      yield* serve(["serve", "--port", String(servePort), "--magic", String(MAGIC), "--chain", db])
      const onDisk = yield* ImmutableDb.readBlocks(db)
      assert.strictEqual(onDisk.length, 80 - K)
      const fromServe = yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* follower(servePort)
        yield* eventually("the chain of serve --chain", Effect.sync(() => client.chain.length === 80 - K))
        return yield* client.fetch(Block.pointOf(blocks[0]!), Block.pointOf(blocks[79 - K]!))
      }))
      assert.strictEqual(fromServe.length, 80 - K)
      fromServe.forEach((bytes, i) => assert.isTrue(same(bytes, blocks[i]!.bytes), `served block ${i}`))
    }).pipe(Effect.scoped), 90_000)

  it.effect("the upstream peers of --peer and a topology file: local roots, public roots, bootstrap peers, names resolved, no repeats", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const file = path.join(dir, "topology.json")
      fs.writeFileSync(file, JSON.stringify({
        localRoots: [{ accessPoints: [{ address: "relay-a.test", port: 3001 }, { address: "127.0.0.1", port: 3002 }], trustable: true, hotValency: 1 }],
        publicRoots: [{ accessPoints: [{ address: "127.0.0.2", port: 3003 }, { address: "127.0.0.1", port: 3002 }], advertise: false }],
        bootstrapPeers: [{ address: "boot.test", port: 3004 }]
      }))
      const peers = yield* Relay.upstreamPeers({ peers: [PeerId.tcp("127.0.0.9", 9)], topology: file }).pipe(
        Effect.provide(Topology.layerStaticResolver({ a: { "relay-a.test": ["127.0.0.1"], "boot.test": ["127.0.0.3"] } }))
      )
      assert.deepStrictEqual(peers, ["127.0.0.9:9", "127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.2:3003", "127.0.0.3:3004"])
      // a file that is not a topology: a typed error
      fs.writeFileSync(file, "{ not json")
      const err = yield* Effect.flip(Relay.upstreamPeers({ topology: file }).pipe(Effect.provide(Topology.layerStaticResolver({}))))
      assert.strictEqual(err._tag, "TopologyError")
    }))

  it.live("relay flags: the governor's targets over the topology's, and the responder's limits bound downstream connections (--per-ip-limit)", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const up = yield* upstream(GeneratedChain.generate({ blocks: 10, maxBodySize: 1500 }))
      const file = path.join(dir, "topology.json")
      fs.writeFileSync(file, JSON.stringify({
        localRoots: [{ accessPoints: [{ address: "127.0.0.1", port: Number(up.peer.split(":")[1]) }], trustable: true, hotValency: 1 }],
        publicRoots: [],
        bootstrapPeers: null
      }))
      const port = yield* freePort
      const relay = yield* spawn([
        "relay", "--db", path.join(dir, "db"), "--topology", file, "--port", String(port), "--magic", String(MAGIC),
        "--security-param", String(K), "--target-known", "5", "--target-established", "2", "--target-hot", "1",
        "--resolve-interval", "1s", "--per-ip-limit", "1", "--handshake-timeout", "60000", "--hard-limit", "50"
      ])
      yield* waitForOutput(relay, "listening on")
      assert.include(relay.log(), "targets known 5, established 2, active 1")
      yield* waitForOutput(relay, /relay: following 127\.0\.0\.1:\d+ from origin/)
      // one connection from 127.0.0.1 is let in (and kept: no handshake needed for a minute), a second one is closed
      const open = (): Promise<{ readonly socket: net.Socket; readonly closed: Promise<void> }> =>
        new Promise((resolve, reject) => {
          const socket = net.connect(port, "127.0.0.1")
          const closed = new Promise<void>((done) => socket.once("close", () => done()))
          socket.once("connect", () => resolve({ socket, closed }))
          socket.once("error", reject)
        })
      const closedWithin = (c: { readonly closed: Promise<void> }, ms: number) =>
        Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])
      const first = yield* Effect.promise(open)
      yield* Effect.sleep("300 millis")
      const second = yield* Effect.promise(open)
      assert.isTrue(yield* Effect.promise(() => closedWithin(second, 5000)), "the second connection from the IP is closed")
      assert.isFalse(yield* Effect.promise(() => closedWithin(first, 500)), "the first stays open")
      first.socket.destroy()
    }).pipe(Effect.scoped), 40_000)

  it.live("two upstream peers: when the followed one goes away the relay follows the other from its stored tip", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const blocks = GeneratedChain.generate({ blocks: 80, maxBodySize: 2000 })
      const scopeA = yield* Scope.make()
      const a = yield* upstream(blocks.slice(0, 40)).pipe(Scope.provide(scopeA))
      const b = yield* upstream(blocks.slice(0, 40))
      // the relay knows only A at first, so A is the peer it follows
      const relay = yield* startRelay(dir, [a.peer])
      yield* eventually("the relay to hold 40 blocks", Effect.map(relay.store.tip, (t) => t.blockNo === 39))
      yield* relay.manager.execute(Initiator.InitiatorCommand.IncludePeer(b.peer))
      for (const blk of blocks.slice(40, 50)) {
        yield* a.chain.append(blk)
        yield* b.chain.append(blk)
      }
      yield* eventually("the relay to hold 50 blocks", Effect.map(relay.store.tip, (t) => t.blockNo === 49))
      // A goes away; only B grows
      yield* Scope.close(scopeA, Exit.void)
      for (const blk of blocks.slice(50)) yield* b.chain.append(blk)
      yield* eventually("the relay to follow B to block 79", Effect.map(relay.store.tip, (t) => t.blockNo === 79), 20_000)
      const range = yield* relay.store.range(Block.pointOf(blocks[0]!), Block.pointOf(blocks[79]!))
      const stored = yield* Stream.runCollect(range!)
      assert.strictEqual(stored.length, 80)
      stored.forEach((bytes, i) => assert.isTrue(same(bytes, blocks[i]!.bytes), `block ${i}`))
      yield* relay.close
    }).pipe(Effect.scoped), 40_000)
})
