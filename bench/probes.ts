/**
 * Small probes behind figures in docs/BENCHMARKS.md ("The data path per batch"), each a one-line
 * result, CPU time by process.cpuUsage:
 *
 *   node --conditions=@pallas-network2/source bench/probes.ts gen
 *     an inline `Effect.gen(function*() {...})` per call against a hoisted `Effect.fnUntraced`,
 *     `Effect.flatMap` and `Effect.sync` (ns a call, 300 000 calls each)
 *   node --conditions=@pallas-network2/source bench/probes.ts encode
 *     `ChainSync.protocol.encode` of a roll-forward of a generated header, and
 *     `BlockFetch.protocol.encode` and `encodePieces` of a MsgBlock of each block of the real chunk
 *     (ns a message)
 *   node --conditions=@pallas-network2/source bench/probes.ts make [CALLS] [ROUNDS]
 *     what building a message allocates: scavenges during CALLS (10 M) calls of make.block,
 *     make.requestNext and an object literal of MsgBlock's shape, ROUNDS (3) rounds
 *   node --conditions=@pallas-network2/source bench/probes.ts alloc
 *     1 535 bytes (the chunk's average block) copied into: a typed array of its own, a Buffer from
 *     Node's pool, a piece of a 16 kB or a 256 kB slab, one buffer reused (ns a copy)
 *   node --conditions=@pallas-network2/source bench/probes.ts rounds HEADERS ONE [ROUNDS]
 *     one responder process, ROUNDS (6) rounds of HEADERS pipelined (200 in flight) then ONE one at a
 *     time (headers/s, CPU µs a header of each side); the later rounds are the warm figures
 *   node --conditions=@pallas-network2/source bench/probes.ts chain-sync HEADERS WINDOW [LOW]
 *     scenario 3's client against a responder process, three runs (headers/s, CPU µs a header); with
 *     LOW, the requests are topped up to WINDOW only when those in flight fell to LOW (the
 *     initiator's marks: 300 200), else at every answer
 *   node --conditions=@pallas-network2/source bench/probes.ts ingest [BLOCKS] [ROUNDS] [READ]
 *     the client's multiplexer alone, in this process: the bytes of a block-fetch batch of BLOCKS
 *     (100 000) blocks of the real chunk, in segments of 12 288 bytes packed as the responder writes
 *     them, read READ bytes (65 536) at a time from a memory bearer, a fresh copy each as a socket
 *     gives; every MsgBlock framed, decoded, stepped through the driver and delivered (CPU µs a
 *     block, ROUNDS rounds: 5)
 *   node --conditions=@pallas-network2/source bench/probes.ts receive [BLOCKS] [ROUNDS]
 *     the client's whole receive path without a socket: a ConnectionPool (the engine under
 *     TcpInterface) dialing a memory bearer that answers the handshake, then the request with the
 *     same batch as `ingest`, read 64 kB at a time; the application reads the pool's events as a
 *     Stream and counts the blocks in a loop, as scenario 1's client (CPU µs a block)
 *   node --conditions=@pallas-network2/source bench/probes.ts behavior [HEADERS] [ROUNDS]
 *     the responder behavior alone, in this process: one peer, handshake, then HEADERS (20 000)
 *     chain-sync requests one at a time, each a `Recv` event handled and its outputs drained, as the
 *     Manager does (µs CPU a request, ROUNDS rounds: 5)
 *   node --conditions=@pallas-network2/source bench/probes.ts stack [RANGES] [ROUNDS]
 *     scenario 1's whole stack alone: our client (TcpInterface, every MsgBlock decoded) against our
 *     responder process (MB/s, CPU µs a block on each side, and the CPU ms of the client's threads
 *     other than its main one: TurboFan's, the GC's; ROUNDS: 5)
 *   node --conditions=@pallas-network2/source bench/probes.ts client [RANGES] [ROUNDS]
 *     scenario 1's client alone (TcpInterface, every MsgBlock decoded) against the replayer answering
 *     each of RANGES (20) requests with 10 MB of the chunk's blocks built with the project's codecs
 *     (no recording), ROUNDS (5) rounds (MB/s, CPU µs a block of each side)
 *   node --conditions=@pallas-network2/source bench/probes.ts floor [RANGES] [ROUNDS]
 *     the least a block-fetch client can do per block (bench/scenarios/floor.ts: plain Node, segment
 *     headers and the messages' known heads only, a view and an object per block) beside scenario 1's
 *     raw reference (200 MB from raw-sender.ts) and our client alone, each round A B C, against the
 *     replayer of `client` (MB/s, each client's ratio to raw, CPU µs a block; ROUNDS: 5)
 *   node --conditions=@pallas-network2/source bench/probes.ts floor-serve [RANGES] [ROUNDS]
 *     the least a block-fetch server can do per block (bench/scenarios/floor-responder.ts: plain Node,
 *     the blocks framed into segments and copied into writes of 256 kB) beside scenario 1's raw
 *     reference and our responder alone (responder-process.ts mux), each round A B C, each server
 *     against the plain client of scenario 1 (MB/s, ratio to raw, the server's CPU µs a block;
 *     ROUNDS: 5; a third argument sets the floor's write size, 262 144 by default). `stack`,
 *     `floor-serve` and `chain-sync` start our responder's process with the Node options in OURS_NODE_ARGS, if set
 *     (e.g. `OURS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`: that process's profile alone)
 *   node --conditions=@pallas-network2/source bench/probes.ts floor-pair [RANGES] [ROUNDS]
 *     the least a whole block-fetch stack can do per block: the floor client of `floor` against the
 *     floor server of `floor-serve`, beside scenario 1's raw reference and our whole stack (our client
 *     against responder-process.ts mux), each round A B C (MB/s, ratio to raw, CPU µs a block of
 *     each side; ROUNDS: 5)
 *   node --conditions=@pallas-network2/source bench/probes.ts serve [RANGES] [ROUNDS]
 *     scenario 1's responder alone without a socket, in this process: Responder.layerManager over a
 *     ConnectionPool adopting a memory bearer that reads the handshake and RANGES (20) requests of
 *     10 MB of the chunk's blocks, one after the other, and only counts the segment bytes written
 *     (CPU µs a block, ROUNDS rounds: 5)
 *   node --conditions=@pallas-network2/source bench/probes.ts answer [REQUESTS] [ROUNDS]
 *     scenario 3's responder alone without a socket, one request at a time, in this process:
 *     Responder.layerManager over a ConnectionPool adopting a memory bearer that hands it the next
 *     chain-sync MsgRequestNext as soon as the answer to the one before is written (CPU µs a request,
 *     REQUESTS: 20 000, ROUNDS: 5); with `cold`, a setTimeout(0) between an answer and the next
 *     request, so the process sleeps between them as it does between a socket's round trips
 *   node --conditions=@pallas-network2/source bench/probes.ts hop [EVENTS] [ROUNDS]
 *     one value at a time handed from a setImmediate callback (as from a socket's) to a fiber waiting
 *     on a queue, EVENTS (100 000) times: read as a Stream (Stream.runForEach over Stream.fromQueue,
 *     as the Manager reads the Interface's events), by Queue.take, and by Queue.takeAll (µs from the
 *     offer to the handler, ROUNDS: 3)
 *   node --conditions=@pallas-network2/source bench/probes.ts wake [N] [ROUNDS]
 *     an empty loop of N (3 000) setTimeout(0) calls: the CPU a sleep and a wake-up cost (µs each)
 *   node --conditions=@pallas-network2/source bench/probes.ts pingpong [TRIPS] [SPIN]
 *     a plain node:net ping-pong between this process and a server process, 10 bytes asked and 330
 *     answered, one at a time, TRIPS (30 000) round trips, three rounds; the server spins SPIN (0) µs
 *     before each answer (round trips/s, CPU µs a round trip of each side)
 *   node --conditions=@pallas-network2/source bench/probes.ts writes [ROUNDS]
 *     a plain node:net sender writing 400 MB to a receiver process over loopback, in writes of 128 kB
 *     and of 1.3 MB, each copied into one buffer reused once its write completed or into a new
 *     buffer per write (MB/s, sender CPU µs per 1 535 bytes, the chunk's average block; ROUNDS: 2)
 *     (with SIZES, e.g. 131072,262144,524288: those sizes, from a reused buffer only)
 */
import "./sources.ts"
import { Block, ChainSource, ConnectionPool, GeneratedChain, Interface, InterfaceEvent, Mux, PeerId, Protocols, Responder, Segment } from "@pallas-network2/core"
import type { Message } from "@pallas-network2/core"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Exit from "effect/Exit"
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as os from "node:os"
import * as path from "node:path"
import { constants, PerformanceObserver } from "node:perf_hooks"
import { floorClient } from "./scenarios/floor.ts"
import { requestCounted } from "./scenarios/plain.ts"
import { rawTransfer } from "./scenarios/raw.ts"
import { chainSyncHeaders, MAGIC, muxThroughput } from "./scenarios/stack.ts"
import { PayloadCounter, writeScripts } from "./scenarios/wire.ts"
import { answerCpu, chunkPath, CpuWindow, repeatedBlocks, spawnWithPort, stopChild } from "./scenarios/util.ts"

const nsPer = (calls: number, f: () => void): number => {
  const t = process.cpuUsage()
  f()
  const d = process.cpuUsage(t)
  return ((d.user + d.system) * 1000) / calls
}

/** A payload as the segments of 12 288 bytes its side writes (the initiator's unless `fromResponder`), joined. */
const segmentsOf = (payload: Uint8Array, protocol: number, fromResponder = false) =>
  Buffer.concat(Segment.cut(payload, protocol, fromResponder, 12_288, 0))

/**
 * A block-fetch batch of `count` blocks of the real chunk (StartBatch, the blocks in turn, BatchDone)
 * as the responder writes it, in segments of 12 288 bytes, cut into reads of 64 kB as a socket gives
 * them (`ingest`, `receive`).
 */
const batchReads = (count: number, read = 65_536): Array<Uint8Array> => {
  const { BlockFetch } = Protocols
  const chunkBlocks = Block.splitChunk(new Uint8Array(fs.readFileSync(chunkPath)))
  const payload: Array<Uint8Array> = [BlockFetch.protocol.encode(BlockFetch.make.startBatch())]
  for (let i = 0; i < count; i++) payload.push(BlockFetch.protocol.encode(BlockFetch.make.block(chunkBlocks[i % chunkBlocks.length]!)))
  payload.push(BlockFetch.protocol.encode(BlockFetch.make.batchDone()))
  const wire = segmentsOf(Buffer.concat(payload), BlockFetch.protocol.channel, true)
  const reads: Array<Uint8Array> = []
  for (let at = 0; at < wire.length; at += read) reads.push(wire.subarray(at, Math.min(wire.length, at + read)))
  return reads
}

/**
 * One RequestRange of scenario 1 and its answer as the responder writes it: StartBatch, the real
 * chunk's blocks in turn until `rangeBytes` of them, BatchDone, each message encoded with the
 * project's codecs (`replies`); their payload bytes in all, the blocks' own bytes and their count,
 * the request, the handshake proposal, and the chunk's blocks (`client`, `floor`, `floor-serve`,
 * `serve`).
 */
const rangeOf = (rangeBytes: number) => {
  const { BlockFetch, Handshake } = Protocols
  const chunkBlocks = Block.splitChunk(new Uint8Array(fs.readFileSync(chunkPath)))
  const replies: Array<Uint8Array> = [BlockFetch.protocol.encode(BlockFetch.make.startBatch())]
  let blockBytes = 0
  let blocks = 0
  for (let i = 0; blockBytes < rangeBytes; i++) {
    const block = chunkBlocks[i % chunkBlocks.length]!
    replies.push(BlockFetch.protocol.encode(BlockFetch.make.block(block)))
    blockBytes += block.length
    blocks++
  }
  replies.push(BlockFetch.protocol.encode(BlockFetch.make.batchDone()))
  const origin = { _tag: "Origin" } as const
  return {
    chunkBlocks,
    replies,
    replyBytes: replies.reduce((n, r) => n + r.length, 0),
    blockBytes,
    blocks,
    request: BlockFetch.protocol.encode(BlockFetch.make.requestRange(origin as any, origin as any)),
    proposal: Handshake.protocol.encode(Handshake.make.propose(Handshake.n2nVersionTable({ magic: MAGIC })))
  }
}

/**
 * The responder's whole stack in this process: `Responder.layerManager` over `chain` and a
 * ConnectionPool that dials nothing (the probe has it adopt its bearer), the Manager's events drained.
 */
const responderStack = (chain: ChainSource.ChainSourceShape) =>
  Effect.gen(function*() {
    const pool = yield* ConnectionPool.make(() => Effect.never, { protocols: Protocols.NodeToNode.protocols })
    const context = yield* Layer.build(Responder.layerManager({ networkMagic: MAGIC }).pipe(
      Layer.provide(Layer.succeed(ChainSource.ChainSource, chain)),
      Layer.provide(Layer.succeed(Interface.key<any>(), pool))
    ))
    yield* Effect.forkScoped(Stream.runDrain(Context.get(context, Responder.ResponderManager).events))
    return pool
  })

/**
 * Node options for our responder's process alone (`OURS_NODE_ARGS="--log-deopt --logfile=/tmp/d.log"`:
 * V8's traces of that process without those of the probe's other processes).
 */
const oursNodeArgs = (process.env.OURS_NODE_ARGS ?? "").split(" ").filter((a) => a !== "")

const [what, a, b, c] = process.argv.slice(2)
if (what === "gen") {
  const N = 300_000
  const run = (make: (n: number) => Effect.Effect<number>) => {
    const all = (n: number) => Effect.gen(function*() { for (let i = 0; i < n; i++) yield* make(i) })
    Effect.runSync(all(20_000))
    return nsPer(N, () => Effect.runSync(all(N))).toFixed(0)
  }
  const hoisted = Effect.fnUntraced(function*(n: number) {
    const x = yield* Effect.succeed(n)
    return yield* Effect.sync(() => x + 1)
  })
  console.log(`inline Effect.gen ${run((n) => Effect.gen(function*() {
    const x = yield* Effect.succeed(n)
    return yield* Effect.sync(() => x + 1)
  }))} ns, hoisted Effect.fnUntraced ${run(hoisted)} ns, flatMap ${run((n) => Effect.flatMap(Effect.succeed(n), (x) => Effect.sync(() => x + 1)))} ns, Effect.sync ${run((n) => Effect.sync(() => n + 1))} ns a call`)
} else if (what === "encode") {
  const { ChainSync } = Protocols
  const blocks = GeneratedChain.generate({ blocks: 50, seed: 1, maxBodySize: 200 })
  const messages = blocks.map((blk) => ChainSync.make.rollForward(blk.header as never, { point: { _tag: "Origin" }, blockNo: 1 } as never))
  const N = 300_000
  let bytes = 0
  for (let i = 0; i < 20_000; i++) bytes += ChainSync.protocol.encode(messages[i % messages.length]!).length
  const ns = nsPer(N, () => {
    for (let i = 0; i < N; i++) bytes += ChainSync.protocol.encode(messages[i % messages.length]!).length
  })
  console.log(`encode a chain-sync roll-forward (${ChainSync.protocol.encode(messages[0]!).length} bytes): ${ns.toFixed(0)} ns (${bytes > 0})`)
  const { BlockFetch } = Protocols
  const chunkBlocks = Block.splitChunk(new Uint8Array(fs.readFileSync(chunkPath)))
  const blockMessages = chunkBlocks.map((b) => BlockFetch.make.block(b))
  for (let i = 0; i < 20_000; i++) bytes += BlockFetch.protocol.encode(blockMessages[i % blockMessages.length]!).length
  const nsBlock = nsPer(N, () => {
    for (let i = 0; i < N; i++) bytes += BlockFetch.protocol.encode(blockMessages[i % blockMessages.length]!).length
  })
  const encodePieces = BlockFetch.protocol.encodePieces!
  for (let i = 0; i < 20_000; i++) bytes += encodePieces(blockMessages[i % blockMessages.length]!).length
  const nsPieces = nsPer(N, () => {
    for (let i = 0; i < N; i++) bytes += encodePieces(blockMessages[i % blockMessages.length]!).length
  })
  console.log(`encode a MsgBlock (the chunk's ${chunkBlocks.length} blocks in turn, 1.5 kB on average): ${nsBlock.toFixed(0)} ns; as pieces (the block not copied, as the multiplexer asks): ${nsPieces.toFixed(0)} ns`)
} else if (what === "make") {
  // what building a message allocates: minor GCs (scavenges) during CALLS calls of each constructor,
  // and of an object literal of MsgBlock's shape (its message and its WrappedBlock), counted by a gc
  // PerformanceObserver; the makes of two protocols alternate, as in a process running several
  const calls = Number(a ?? 10_000_000)
  const { BlockFetch, ChainSync } = Protocols
  const bytes = new Uint8Array(1500)
  bytes[0] = 0x82
  bytes[1] = 0x01
  let minor = 0
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++
  })
  observer.observe({ entryTypes: ["gc"] })
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50))
  let keep: unknown
  const literal = (b: Uint8Array) => ({ protocol: "block-fetch", _tag: "MsgBlock", block: { tag: b[1]!, bytes: b } })
  const variants: ReadonlyArray<readonly [string, () => unknown]> = [
    ["BlockFetch.make.block", () => BlockFetch.make.block(bytes)],
    ["ChainSync.make.requestNext", () => ChainSync.make.requestNext()],
    ["a literal of MsgBlock's shape", () => literal(bytes)]
  ]
  for (let round = 1; round <= Number(b ?? 3); round++) {
    const line: Array<string> = []
    for (const [name, make] of variants) {
      await settle()
      minor = 0
      for (let i = 0; i < calls; i++) keep = make()
      await settle()
      line.push(`${name} ${minor}`)
    }
    console.log(`round ${round}: scavenges in ${calls} calls: ${line.join(", ")}`)
  }
  observer.disconnect()
  void keep
} else if (what === "alloc") {
  const N = 300_000
  const src = new Uint8Array(1535).fill(7)
  let sink = 0
  const each = (label: string, f: () => void) => {
    for (let i = 0; i < 20_000; i++) f()
    return `${label} ${nsPer(N, () => { for (let i = 0; i < N; i++) f() }).toFixed(0)} ns`
  }
  const slabOf = (size: number) => {
    let slab = new Uint8Array(size)
    let used = 0
    return () => {
      if (used + src.length > size) {
        slab = new Uint8Array(size)
        used = 0
      }
      const piece = slab.subarray(used, used + src.length)
      used += (src.length + 7) & ~7
      piece.set(src)
      sink += piece[3]!
    }
  }
  const reused = new Uint8Array(262_144)
  let at = 0
  console.log([
    each("own typed array", () => { const o = new Uint8Array(src.length); o.set(src); sink += o[3]! }),
    each("Buffer.allocUnsafe", () => { const o = Buffer.allocUnsafe(src.length); o.set(src); sink += o[3]! }),
    each("16 kB slab", slabOf(16_384)),
    each("256 kB slab", slabOf(262_144)),
    each("one buffer reused", () => { if (at + src.length > reused.length) at = 0; reused.set(src, at); at += src.length; sink += reused[3]! })
  ].join(", ") + ` a copy of 1 535 bytes (${sink > 0})`)
} else if (what === "chain-sync") {
  const headers = Number(a ?? 5000)
  const window = Number(b ?? 1)
  const { child, line } = await spawnWithPort("bench/scenarios/responder-process.ts", ["generated", String(headers)], oursNodeArgs)
  try {
    for (let i = 0; i < 3; i++) {
      const r = await chainSyncHeaders(child, "responder", Number(line), headers, window, c === undefined ? window - 1 : Number(c))
      console.log(`run ${i + 1}: ${r.value.toFixed(0)} headers/s, CPU client ${r.cpu.client!.toFixed(1)} / responder ${r.cpu.responder!.toFixed(1)} µs a header`)
    }
  } finally {
    await stopChild(child, "SIGTERM")
  }
} else if (what === "rounds") {
  const headers = Number(a ?? 100_000)
  const one = Number(b ?? 20_000)
  const { child, line } = await spawnWithPort("bench/scenarios/responder-process.ts", ["generated", String(headers)])
  try {
    for (let i = 0; i < Number(c ?? 6); i++) {
      const p = await chainSyncHeaders(child, "responder", Number(line), headers, 200)
      const o = await chainSyncHeaders(child, "responder", Number(line), one, 1)
      console.log(`round ${i + 1}: pipelined ${p.value.toFixed(0)} headers/s (CPU ${p.cpu.client!.toFixed(1)} / ${p.cpu.responder!.toFixed(1)} µs), one at a time ${o.value.toFixed(0)} (CPU ${o.cpu.client!.toFixed(1)} / ${o.cpu.responder!.toFixed(1)} µs)`)
    }
  } finally {
    await stopChild(child, "SIGTERM")
  }
} else if (what === "ingest") {
  const { BlockFetch } = Protocols
  const count = Number(a ?? 100_000)
  const reads = batchReads(count, Number(c ?? 65_536))
  const round = () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      let next = 0
      let blocks = 0
      const done = yield* Deferred.make<void>()
      const count = (messages: ReadonlyArray<Message>) => {
        for (const m of messages) {
          if (m._tag === "MsgBlock") blocks++
          else if (m._tag === "MsgBatchDone") Deferred.doneUnsafe(done, Exit.void)
        }
      }
      const mux = yield* Mux.make({
        // a fresh copy per read, as a socket gives
        read: Effect.sync(() => (next < reads.length ? [Uint8Array.prototype.slice.call(reads[next++]!)] : undefined)),
        write: () => Effect.void
      }, {
        protocols: [BlockFetch.protocol],
        initiator: true,
        responder: false,
        handshakeRole: "initiator",
        onReceive: (messages) => Effect.sync(() => count(messages)),
        tryReceive: (messages) => (count(messages), true),
        onSent: () => Effect.void
      })
      const cpu = process.cpuUsage()
      yield* mux.send(BlockFetch.make.requestRange({ _tag: "Origin" } as any, { _tag: "Origin" } as any))
      yield* Deferred.await(done)
      const used = process.cpuUsage(cpu)
      return { blocks, us: (used.user + used.system) / blocks }
    })))
  for (let i = 0; i < Number(b ?? 5); i++) {
    const r = await round()
    console.log(`round ${i + 1}: ${r.blocks} blocks, CPU ${r.us.toFixed(2)} µs a block`)
  }
} else if (what === "receive") {
  // the client's whole receive path without a socket: the ConnectionPool (the engine under
  // TcpInterface) dialing a memory bearer that answers the handshake and then streams a block-fetch
  // batch in reads of 64 kB, and an application counting blocks as scenario 1's client does (events
  // read as a Stream, the blocks counted in a loop over each event's messages)
  const { BlockFetch, Handshake } = Protocols
  const count = Number(a ?? 100_000)
  const table = Handshake.n2nVersionTable({ magic: MAGIC })
  const version = Math.max(...table.keys())
  const accept = segmentsOf(Handshake.protocol.encode(Handshake.make.accept(version, table.get(version)!)), 0, true)
  const reads = batchReads(count)
  const peer = PeerId.tcp("127.0.0.1", 40_001)
  for (let round = 1; round <= Number(b ?? 5); round++) {
    const us = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const incoming = yield* Queue.unbounded<Uint8Array>()
      let next = -1
      const bearer: Mux.Bearer = {
        // once the request is in, the batch read by read (a fresh copy each, as a socket gives)
        read: Effect.suspend(() =>
          next >= 0 && next < reads.length
            ? Effect.succeed([Uint8Array.prototype.slice.call(reads[next++]!)])
            : Effect.map(Queue.take(incoming), (chunk) => [chunk])
        ),
        deferWriter: queueMicrotask,
        write: (chunks) => Effect.sync(() => {
          // the proposal is answered with the acceptance; the request starts the batch
          for (const c of chunks) {
            const channel = ((c[4]! << 8) | c[5]!) & 0x7fff
            if (channel === 0) Queue.offerUnsafe(incoming, accept)
            else if (channel === BlockFetch.protocol.channel && next < 0) {
              next = 1
              Queue.offerUnsafe(incoming, Uint8Array.prototype.slice.call(reads[0]!))
            }
          }
        })
      }
      const pool = yield* ConnectionPool.make(() => Effect.succeed(bearer), { protocols: Protocols.NodeToNode.protocols })
      const accepted = yield* Deferred.make<void>()
      const done = yield* Deferred.make<number>()
      let blocks = 0
      let cpu = process.cpuUsage()
      yield* Effect.forkScoped(Stream.runForEach(pool.events, (e) => {
        if (e._tag !== "Recv") return Effect.void
        for (const m of e.messages) {
          if (m._tag === "MsgBlock") blocks++
          else if (m._tag === "MsgAcceptVersion") Deferred.doneUnsafe(accepted, Exit.void)
          else if (m._tag === "MsgBatchDone") {
            const used = process.cpuUsage(cpu)
            Deferred.doneUnsafe(done, Exit.succeed((used.user + used.system) / blocks))
          }
        }
        return Effect.void
      }))
      yield* pool.dispatch({ _tag: "Connect", peer })
      yield* pool.dispatch({ _tag: "Send", peer, message: Handshake.make.propose(table) })
      yield* Deferred.await(accepted)
      cpu = process.cpuUsage()
      yield* pool.dispatch({ _tag: "Send", peer, message: BlockFetch.make.requestRange({ _tag: "Origin" } as any, { _tag: "Origin" } as any) })
      const us = yield* Deferred.await(done)
      if (blocks !== count) throw new Error(`received ${blocks} of ${count} blocks`)
      return us
    })))
    console.log(`round ${round}: ${count} blocks, CPU ${us.toFixed(2)} µs a block`)
  }
} else if (what === "behavior") {
  const { ChainSync, Handshake } = Protocols
  const headers = Number(a ?? 20_000)
  const chainBlocks = GeneratedChain.generate({ blocks: headers + 1, seed: 1, maxBodySize: 200 })
  const peer = PeerId.tcp("127.0.0.1", 40_000)
  const table = Handshake.n2nVersionTable({ magic: MAGIC })
  const requestNext = [ChainSync.make.requestNext()]
  const chain = await Effect.runPromise(ChainSource.makeMemory(chainBlocks))
  for (let round = 1; round <= Number(b ?? 5); round++) {
    const us = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const behavior = yield* Responder.make({ networkMagic: MAGIC }, chain)
      const outbox = behavior.outbox!
      yield* behavior.handleIo(InterfaceEvent.Connected(peer, "inbound"))
      yield* behavior.handleIo(InterfaceEvent.Recv(peer, [Handshake.make.propose(table)]))
      yield* behavior.handleIo(InterfaceEvent.Recv(peer, [ChainSync.make.findIntersect([{ _tag: "Origin" } as any])]))
      yield* outbox.drain
      let answers = 0
      const cpu = process.cpuUsage()
      for (let i = 0; i < headers; i++) {
        yield* behavior.handleIo(InterfaceEvent.Recv(peer, requestNext))
        answers += (yield* outbox.drain).length
      }
      const used = process.cpuUsage(cpu)
      if (answers < headers) throw new Error(`behavior: ${answers} answers to ${headers} requests`)
      return (used.user + used.system) / headers
    })))
    console.log(`round ${round}: ${us.toFixed(2)} µs CPU a request (handleIo and drain)`)
  }
} else if (what === "stack") {
  // scenario 1's whole stack alone: our client against our responder process (MB/s, CPU µs a block
  // on each side)
  const ranges = Number(a ?? 20)
  const rangeBytes = 10_000_000
  const ours = await spawnWithPort("bench/scenarios/responder-process.ts", ["mux", chunkPath, String(rangeBytes)], oursNodeArgs)
  try {
    for (let i = 0; i < Number(b ?? 5); i++) {
      // the client's CPU on its main thread apart: the rest is V8's other threads (TurboFan, GC helpers)
      const process0 = process.cpuUsage()
      const thread0 = process.threadCpuUsage()
      const r = await muxThroughput(ours.child, "responder", Number(ours.line), ranges, rangeBytes)
      const all = process.cpuUsage(process0)
      const main = process.threadCpuUsage(thread0)
      const others = (all.user + all.system - main.user - main.system) / 1000
      console.log(`round ${i + 1}: ${r.value.toFixed(0)} MB/s, CPU client ${r.cpu.client!.toFixed(2)} / responder ${r.cpu.responder!.toFixed(2)} µs a block; the client's other threads ${others.toFixed(0)} ms`)
    }
  } finally {
    await stopChild(ours.child, "SIGTERM")
  }
} else if (what === "client" || what === "floor") {
  // a replayer answering the handshake and each of `ranges` RequestRanges with 10 MB of the chunk's
  // blocks, built with the project's codecs (no recording)
  const { Handshake } = Protocols
  const ranges = Number(a ?? 20)
  const rangeBytes = 10_000_000
  const table = Handshake.n2nVersionTable({ magic: MAGIC })
  const version = Math.max(...table.keys())
  const { replies, request, proposal } = rangeOf(rangeBytes)
  const file = path.join(os.tmpdir(), `probe-${what}-${process.pid}.bin`)
  writeScripts(file, [[
    { protocol: 0, request: proposal, replies: [Handshake.protocol.encode(Handshake.make.accept(version, table.get(version)!))] },
    ...Array.from({ length: ranges }, () => ({ protocol: 3, request, replies }))
  ]])
  const replayer = await spawnWithPort("bench/scenarios/replayer.ts", [file])
  // `floor`: the least a client can do per block (bench/scenarios/floor.ts) beside scenario 1's raw
  // reference (its own sender) and our client alone, in one alternating run
  const rawBytes = 200_000_000
  const sender = what === "floor" ? await spawnWithPort("bench/scenarios/raw-sender.ts", [chunkPath, String(rawBytes)]) : undefined
  try {
    for (let i = 0; i < Number(b ?? 5); i++) {
      if (sender === undefined) {
        const r = await muxThroughput(replayer.child, "replayer", Number(replayer.line), ranges, rangeBytes)
        console.log(`round ${i + 1}: ${r.value.toFixed(0)} MB/s, CPU client ${r.cpu.client!.toFixed(2)} / replayer ${r.cpu.replayer!.toFixed(2)} µs a block`)
        continue
      }
      const raw = await rawTransfer(sender.child, Number(sender.line), rawBytes)
      const rawMBs = rawBytes / 1e6 / raw.seconds
      const f = await floorClient(replayer.child, Number(replayer.line), segmentsOf(proposal, 0), segmentsOf(request, 3), ranges)
      const floorMBs = f.bytes / 1e6 / f.seconds
      const ours = await muxThroughput(replayer.child, "replayer", Number(replayer.line), ranges, rangeBytes)
      console.log(`round ${i + 1}: raw ${rawMBs.toFixed(0)} MB/s (CPU receiving ${(raw.local / (rawBytes / 1535)).toFixed(2)} µs a 1 535 bytes), ` +
        `floor ${floorMBs.toFixed(0)} MB/s (${(floorMBs / rawMBs).toFixed(2)}; CPU ${(f.local / f.blocks).toFixed(2)} µs a block), ` +
        `our client ${ours.value.toFixed(0)} MB/s (${(ours.value / rawMBs).toFixed(2)}; CPU ${ours.cpu.client!.toFixed(2)} µs a block)`)
    }
  } finally {
    for (const p of sender === undefined ? [replayer.child] : [replayer.child, sender.child]) await stopChild(p, "SIGTERM")
    fs.rmSync(file, { force: true })
  }
} else if (what === "floor-serve") {
  // the least a server can do per block (bench/scenarios/floor-responder.ts) beside scenario 1's raw
  // reference and our responder alone (responder-process.ts mux), each against the plain client that
  // counts segment payload bytes (plain.ts), in one alternating run
  const ranges = Number(a ?? 20)
  const rangeBytes = 10_000_000
  const rawBytes = 200_000_000
  const { replyBytes, blockBytes, blocks, proposal, request: range } = rangeOf(rangeBytes)
  const opening = { handshake: segmentsOf(proposal, 0), handshakeReplyBytes: 1 }
  const request = segmentsOf(range, 3)
  const sender = await spawnWithPort("bench/scenarios/raw-sender.ts", [chunkPath, String(rawBytes)])
  const floor = await spawnWithPort("bench/scenarios/floor-responder.ts", [chunkPath, String(rangeBytes), String(Number(c ?? 262_144))])
  const ours = await spawnWithPort("bench/scenarios/responder-process.ts", ["mux", chunkPath, String(rangeBytes)], oursNodeArgs)
  try {
    for (let i = 0; i < Number(b ?? 5); i++) {
      const raw = await rawTransfer(sender.child, Number(sender.line), rawBytes)
      const rawMBs = rawBytes / 1e6 / raw.seconds
      const f = await requestCounted(floor.child, "floor", Number(floor.line), opening, request, replyBytes, ranges, ranges * blockBytes, ranges * blocks)
      const o = await requestCounted(ours.child, "responder", Number(ours.line), opening, request, replyBytes, ranges, ranges * blockBytes, ranges * blocks)
      console.log(`round ${i + 1}: raw ${rawMBs.toFixed(0)} MB/s (CPU sending ${(raw.remote / (rawBytes / 1535)).toFixed(2)} µs a 1 535 bytes), ` +
        `floor ${f.value.toFixed(0)} MB/s (${(f.value / rawMBs).toFixed(2)}; CPU ${f.cpu.floor!.toFixed(2)} µs a block), ` +
        `our responder ${o.value.toFixed(0)} MB/s (${(o.value / rawMBs).toFixed(2)}; CPU ${o.cpu.responder!.toFixed(2)} µs a block)`)
    }
  } finally {
    for (const p of [sender.child, floor.child, ours.child]) await stopChild(p, "SIGTERM")
  }
} else if (what === "floor-pair") {
  // the least a whole block-fetch stack can do per block: the floor client (bench/scenarios/floor.ts)
  // against the floor server (floor-responder.ts), beside scenario 1's raw reference and our whole
  // stack (our client against responder-process.ts mux), each round A B C
  const ranges = Number(a ?? 20)
  const rangeBytes = 10_000_000
  const rawBytes = 200_000_000
  const { proposal, request } = rangeOf(rangeBytes)
  const sender = await spawnWithPort("bench/scenarios/raw-sender.ts", [chunkPath, String(rawBytes)])
  const floor = await spawnWithPort("bench/scenarios/floor-responder.ts", [chunkPath, String(rangeBytes)])
  const ours = await spawnWithPort("bench/scenarios/responder-process.ts", ["mux", chunkPath, String(rangeBytes)], oursNodeArgs)
  try {
    for (let i = 0; i < Number(b ?? 5); i++) {
      const raw = await rawTransfer(sender.child, Number(sender.line), rawBytes)
      const rawMBs = rawBytes / 1e6 / raw.seconds
      const f = await floorClient(floor.child, Number(floor.line), segmentsOf(proposal, 0), segmentsOf(request, 3), ranges)
      const floorMBs = f.bytes / 1e6 / f.seconds
      const o = await muxThroughput(ours.child, "responder", Number(ours.line), ranges, rangeBytes)
      console.log(`round ${i + 1}: raw ${rawMBs.toFixed(0)} MB/s, ` +
        `floor pair ${floorMBs.toFixed(0)} MB/s (${(floorMBs / rawMBs).toFixed(2)}; CPU client ${(f.local / f.blocks).toFixed(2)} / server ${(f.remote / f.blocks).toFixed(2)} µs a block), ` +
        `our stack ${o.value.toFixed(0)} MB/s (${(o.value / rawMBs).toFixed(2)}; CPU client ${o.cpu.client!.toFixed(2)} / responder ${o.cpu.responder!.toFixed(2)} µs a block)`)
    }
  } finally {
    for (const p of [sender.child, floor.child, ours.child]) await stopChild(p, "SIGTERM")
  }
} else if (what === "serve") {
  // the responder's whole stack (Responder.layerManager over a ConnectionPool) serving one peer in
  // this process, through a bearer that hands it the requests and counts what it writes
  const ranges = Number(a ?? 20)
  const rangeBytes = 10_000_000
  const { chunkBlocks, replyBytes, blocks, proposal, request: range } = rangeOf(rangeBytes)
  const hello = segmentsOf(proposal, 0)
  const request = segmentsOf(range, 3)
  const memory = await Effect.runPromise(ChainSource.makeMemory(chunkBlocks.map(Block.parse), "chunk"))
  const repeated = () => repeatedBlocks(chunkBlocks, rangeBytes)
  const chain = ChainSource.ChainSource.of({ ...memory, label: "chunk repeated", range: () => Effect.succeed(repeated()) })
  for (let round = 1; round <= Number(b ?? 5); round++) {
    const us = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const pool = yield* responderStack(chain)
      const incoming = yield* Queue.unbounded<Uint8Array>()
      const finished = yield* Deferred.make<number>()
      const counter = new PayloadCounter()
      let requested = 0
      let cpu = process.cpuUsage()
      const next = () => {
        if (requested === 0) cpu = process.cpuUsage()
        if (requested === ranges) {
          const used = process.cpuUsage(cpu)
          Deferred.doneUnsafe(finished, Exit.succeed((used.user + used.system) / (ranges * blocks)))
          return
        }
        requested++
        Queue.offerUnsafe(incoming, request)
      }
      const bearer: Mux.Bearer = {
        read: Effect.map(Queue.take(incoming), (chunk) => [chunk]),
        deferWriter: queueMicrotask,
        writesCopied: true,
        write: (chunks) => Effect.sync(() => {
          const before = counter.bytes[3]!
          for (const chunk of chunks) counter.push(chunk)
          if (counter.bytes[0]! > 0 && requested === 0) next()
          else if (counter.bytes[3]! > before && counter.bytes[3]! >= requested * replyBytes) next()
        })
      }
      Queue.offerUnsafe(incoming, hello)
      yield* Effect.forkScoped(pool.adopt(PeerId.tcp("127.0.0.1", 40_000), bearer))
      return yield* Deferred.await(finished)
    })))
    console.log(`round ${round}: ${us.toFixed(2)} µs CPU a block (${ranges} ranges of ${blocks} blocks)`)
  }
} else if (what === "answer") {
  // the responder's whole stack answering chain-sync one request at a time in this process, through a
  // bearer that hands it the next RequestNext as soon as the answer to the one before is written: the
  // warm cost of one request's whole path (read, mux, pool, Manager, behavior, writer), no socket
  const { ChainSync, Handshake } = Protocols
  const requests = Number(a ?? 20_000)
  // `cold`: a setTimeout(0) between an answer and the next request (the process sleeps, as between
  // the messages of a socket's round trips; compare with `wake`)
  const cold = c === "cold"
  const chain = await Effect.runPromise(ChainSource.makeMemory(GeneratedChain.generate({ blocks: requests + 1, seed: 1, maxBodySize: 200 })))
  const table = Handshake.n2nVersionTable({ magic: MAGIC })
  const hello = segmentsOf(Handshake.protocol.encode(Handshake.make.propose(table)), 0)
  const request = segmentsOf(ChainSync.protocol.encode(ChainSync.make.requestNext()), 2)
  for (let round = 1; round <= Number(b ?? 5); round++) {
    const us = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const pool = yield* responderStack(chain)
      const incoming = yield* Queue.unbounded<Uint8Array>()
      const finished = yield* Deferred.make<{ cpu: number; wall: number }>()
      const counter = new PayloadCounter()
      let requested = 0
      let answered = 0
      let cpu = process.cpuUsage()
      let wall = performance.now()
      const next = () => {
        if (requested === 0) {
          cpu = process.cpuUsage()
          wall = performance.now()
        }
        if (requested === requests) {
          const used = process.cpuUsage(cpu)
          Deferred.doneUnsafe(finished, Exit.succeed({ cpu: (used.user + used.system) / requests, wall: (performance.now() - wall) * 1000 / requests }))
          return
        }
        requested++
        if (cold) setTimeout(() => Queue.offerUnsafe(incoming, request), 0)
        else Queue.offerUnsafe(incoming, request)
      }
      // written within the call, as a socket whose kernel buffer has room (`Bearer.writeNow`)
      const writeNow = (chunks: ReadonlyArray<Uint8Array>) => {
        const before = counter.bytes[2]!
        for (const chunk of chunks) counter.push(chunk)
        if (counter.bytes[0]! > 0 && requested === 0) next()
        else if (counter.bytes[2]! > before) {
          answered++
          next()
        }
        return undefined
      }
      const bearer: Mux.Bearer = {
        read: Effect.map(Queue.take(incoming), (chunk) => [chunk]),
        deferWriter: queueMicrotask,
        writesCopied: true,
        write: (chunks) => Effect.sync(() => writeNow(chunks)),
        ...(process.env.NO_WRITE_NOW ? {} : { writeNow })
      }
      Queue.offerUnsafe(incoming, hello)
      yield* Effect.forkScoped(pool.adopt(PeerId.tcp("127.0.0.1", 40_000), bearer))
      const us = yield* Deferred.await(finished)
      if (answered < requests) throw new Error(`answered ${answered} of ${requests}`)
      return us
    })))
    console.log(`round ${round}: ${us.cpu.toFixed(2)} µs CPU a request (${us.wall.toFixed(2)} µs wall; ${requests} one at a time)`)
  }
} else if (what === "hop") {
  // one event handed from outside a fiber (a setImmediate, as a socket's callback) to a fiber waiting
  // on a queue: read as a Stream (Stream.runForEach over Stream.fromQueue, as the Manager and the
  // bench's clients read an Interface's events) or by Queue.take / Queue.takeAll in a loop
  const n = Number(a ?? 100_000)
  const modes = ["stream", "take", "takeAll"] as const
  const hop = (mode: (typeof modes)[number]) =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const queue = yield* Queue.bounded<number>(1024)
      const done = yield* Deferred.make<number>()
      let total = 0
      let count = 0
      let offeredAt = 0
      const offer = (x: number) => {
        offeredAt = performance.now()
        Queue.offerUnsafe(queue, x)
      }
      const on = (x: number): Effect.Effect<void> => {
        total += performance.now() - offeredAt
        if (++count === n) Deferred.doneUnsafe(done, Exit.succeed(total * 1000 / n))
        else setImmediate(() => offer(x + 1))
        return Effect.void
      }
      const each = (xs: ReadonlyArray<number>) => {
        for (const x of xs) on(x)
        return Effect.void
      }
      yield* Effect.forkScoped(
        mode === "stream"
          ? Stream.runForEach(Stream.fromQueue(queue), on)
          : mode === "take"
          ? Effect.forever(Effect.flatMap(Queue.take(queue), on))
          : Effect.forever(Effect.flatMap(Queue.takeAll(queue), each))
      )
      yield* Effect.sleep(1)
      offer(0)
      return yield* Deferred.await(done)
    })))
  for (let round = 1; round <= Number(b ?? 3); round++) {
    const line: Array<string> = []
    for (const mode of modes) line.push(`${mode} ${(await hop(mode)).toFixed(2)}`)
    console.log(`round ${round}: µs from the offer to the handler, ${line.join(", ")}`)
  }
} else if (what === "wake") {
  // what a process pays to sleep and wake: an empty setTimeout(0) loop
  const n = Number(a ?? 3000)
  for (let round = 1; round <= Number(b ?? 3); round++) {
    const us = await new Promise<number>((resolve) => {
      let left = n
      const cpu = process.cpuUsage()
      const step = () => {
        if (--left === 0) {
          const used = process.cpuUsage(cpu)
          resolve((used.user + used.system) / n)
        } else setTimeout(step, 0)
      }
      setTimeout(step, 0)
    })
    console.log(`round ${round}: ${us.toFixed(1)} µs CPU a setTimeout(0) wake-up`)
  }
} else if (what === "pingpong-server") {
  // the other side of `pingpong`: answers each 10-byte request with 330 bytes, after SPIN µs of busy work
  const spin = Number(a ?? 0)
  const answerBytes = Buffer.alloc(330, 2)
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    let got = 0
    socket.on("data", (d) => {
      got += d.length
      while (got >= 10) {
        got -= 10
        const until = performance.now() + spin / 1000
        while (performance.now() < until);
        socket.write(answerBytes)
      }
    })
  })
  server.listen(0, "127.0.0.1", () => console.log((server.address() as net.AddressInfo).port))
  answerCpu()
} else if (what === "pingpong") {
  // a plain-socket ping-pong between two processes, one request at a time: what the machine itself
  // costs a round trip, and what SPIN µs of busy work per answer adds to it
  const trips = Number(a ?? 30_000)
  const spin = Number(b ?? 0)
  const { child, line } = await spawnWithPort("bench/probes.ts", ["pingpong-server", String(spin)])
  try {
    for (let round = 1; round <= 3; round++) {
      const socket = net.connect(Number(line), "127.0.0.1")
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
      socket.setNoDelay(true)
      const cpu = new CpuWindow(child)
      await cpu.begin()
      const started = performance.now()
      await new Promise<void>((resolve) => {
        let got = 0
        let done = 0
        socket.on("data", (d) => {
          got += d.length
          while (got >= 330) {
            got -= 330
            if (++done === trips) return resolve()
            socket.write(Buffer.alloc(10, 1))
          }
        })
        socket.write(Buffer.alloc(10, 1))
      })
      const seconds = (performance.now() - started) / 1000
      const used = await cpu.end()
      socket.destroy()
      console.log(`round ${round}: ${(trips / seconds).toFixed(0)} round trips/s, CPU client ${(used.local / trips).toFixed(1)} / server ${(used.remote / trips).toFixed(1)} µs a round trip (server busy ${spin} µs an answer)`)
    }
  } finally {
    await stopChild(child, "SIGTERM")
  }
} else if (what === "writes") {
  // a plain node:net sender writing 400 MB to a receiver process in writes of each size, each write's
  // bytes copied first into one buffer reused once the write completed, or into a new buffer each
  const total = 400_000_000
  const source = new Uint8Array(1_400_000)
  for (let i = 0; i < source.length; i++) source[i] = i * 7
  const once = (size: number, fresh: boolean) =>
    new Promise<string>((resolve) => {
      const server = net.createServer((socket) => {
        socket.setNoDelay(true)
        let sent = 0
        let at = 0
        const reused = new Uint8Array(size)
        const cpu = process.cpuUsage()
        const started = performance.now()
        const pump = () => {
          while (sent < total) {
            if (at + size > source.length) at = 0
            const buffer = fresh ? new Uint8Array(size) : reused
            buffer.set(source.subarray(at, at + size))
            at += size
            sent += size
            // both wait for each write's callback, as the multiplexer's writer does: only the buffer differs
            return void socket.write(buffer, pump)
          }
          socket.end(() => {
            const used = process.cpuUsage(cpu)
            server.close()
            resolve(`writes of ${size} bytes from ${fresh ? "a new buffer each" : "one buffer reused"}: ${(total / 1e3 / (performance.now() - started)).toFixed(0)} MB/s, sender CPU ${((used.user + used.system) / (total / 1535)).toFixed(2)} µs per 1 535 bytes`)
          })
        }
        pump()
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        cp.spawn(process.execPath, ["-e", `const s = require("node:net").connect(${port}, "127.0.0.1"); s.on("data", () => {}); s.on("end", () => process.exit(0))`], { stdio: "inherit" })
      })
    })
  // SIZES: the write sizes (comma-separated), each from a reused buffer only
  const sizes = b === undefined ? undefined : b.split(",").map(Number)
  for (let round = 1; round <= Number(a ?? 2); round++) {
    if (sizes !== undefined) for (const size of sizes) console.log(`round ${round}: ${await once(size, false)}`)
    else for (const size of [131_072, 1_300_000]) for (const fresh of [false, true]) console.log(`round ${round}: ${await once(size, fresh)}`)
  }
} else {
  console.log("bench/probes.ts gen | encode | make [CALLS] [ROUNDS] | alloc | chain-sync HEADERS WINDOW [LOW] | rounds HEADERS ONE [ROUNDS] | ingest [BLOCKS] [ROUNDS] [READ] | receive [BLOCKS] [ROUNDS] | behavior [HEADERS] [ROUNDS] | stack [RANGES] [ROUNDS] | client [RANGES] [ROUNDS] | floor [RANGES] [ROUNDS] | floor-serve [RANGES] [ROUNDS] [BATCH] | floor-pair [RANGES] [ROUNDS] | serve [RANGES] [ROUNDS] | answer [REQUESTS] [ROUNDS] [cold] | hop [EVENTS] [ROUNDS] | wake [N] [ROUNDS] | pingpong [TRIPS] [SPIN] | writes [ROUNDS] [SIZES]")
  process.exitCode = 2
}
