/**
 * The server side of scenarios 1-3, in its own process: TcpInterface + Responder.layerManager on a free
 * 127.0.0.1 port, printing the port on stdout and serving until killed.
 *
 * Usage:
 *   node bench/scenarios/responder-process.ts mux CHUNK_PATH RANGE_BYTES
 *     the chunk's blocks, but every RequestRange streams the chunk's blocks repeated until RANGE_BYTES
 *     (from the chunk's first block each time, so every range's reply is the same)
 *   node bench/scenarios/responder-process.ts chunk CHUNK_PATH
 *     the chunk's blocks as an in-memory chain
 *   node bench/scenarios/responder-process.ts generated BLOCKS
 *     a generated chain of BLOCKS blocks with tiny bodies (maxBodySize 200)
 *   node --expose-gc bench/scenarios/responder-process.ts scale BLOCKS
 *     the generated chain, connection limits raised to 10 000 (all from 127.0.0.1); answers stdin
 *     lines `mem` (heap and RSS after a GC) and `lag` (event-loop delay since the last `lag`) as JSON
 * Every mode answers the stdin line `cpu` with `{"cpu": microseconds of CPU used so far}`. The
 * environment variables BF_WINDOW and BF_WINDOW_BYTES set the responder's block-fetch window (blocks,
 * bytes; docs/BENCHMARKS.md items 19 and 31).
 */
import { Block, ChainSource, GeneratedChain, Protocols, Responder } from "@pallas-network2/core"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { answerCpu, repeatedBlocks } from "./util.ts"

export const MAGIC = 764824073

const [mode, a, b] = process.argv.slice(2)
const seen = new Map<string, number>()

const chainFor = Effect.gen(function*() {
  if (mode === "generated" || mode === "scale") {
    const blocks = GeneratedChain.generate({ blocks: Number(a), maxBodySize: 200 })
    return yield* ChainSource.makeMemory(blocks, "generated")
  }
  const bytes = new Uint8Array(fs.readFileSync(a!))
  const blocks = Block.splitChunk(bytes).map(Block.parse)
  const memory = yield* ChainSource.makeMemory(blocks, "chunk")
  if (mode === "chunk") return memory
  const total = Number(b)
  const raw = blocks.map((x) => x.bytes)
  // one RequestRange streams the chunk's blocks again and again until `total` bytes went out
  const repeated = () => repeatedBlocks(raw, total)
  return ChainSource.ChainSource.of({ ...memory, label: "chunk repeated", range: () => Effect.succeed(repeated()) })
})

const program = Effect.gen(function*() {
  const chain = yield* chainFor
  const context = yield* Layer.build(
    Responder.layerManager({
      networkMagic: MAGIC,
      ...(mode === "scale" ? { limits: { hardLimit: 10_000, softLimit: 10_000, perIpLimit: 10_000 } } : {}),
      ...(process.env.BF_WINDOW ? { blockFetchWindow: Number(process.env.BF_WINDOW) } : {}),
      ...(process.env.BF_WINDOW_BYTES ? { blockFetchWindowBytes: Number(process.env.BF_WINDOW_BYTES) } : {}) }).pipe(
      Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
      Layer.provideMerge(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols, listen: { host: "127.0.0.1", port: 0 } }))
    )
  )
  const bound = Context.get(context, TcpInterface.TcpListenAddress)!
  const manager = Context.get(context, Responder.ResponderManager)
  // what the responder saw, by event (answered with `mem` in scale mode)
  yield* Effect.forkScoped(Stream.runForEach(manager.events, (e) =>
    Effect.sync(() => {
      const detail = e._tag === "ProtocolViolation" || e._tag === "PeerRejected" || e._tag === "HandshakeRefused"
        ? `${e._tag}: ${Responder.describeEvent(e).replace(/^\S+\s/, "").slice(0, 80)}`
        : e._tag
      seen.set(detail, (seen.get(detail) ?? 0) + 1)
    })))
  process.stdout.write(`${bound.port}\n`)
  yield* Effect.never
}).pipe(Effect.scoped)

// `cpu` on stdin in every mode (the CPU this process used, for the per-block figures)
if (mode !== "scale") answerCpu()
else {
  const lag = monitorEventLoopDelay({ resolution: 1 })
  lag.enable()
  const gc = (globalThis as { gc?: () => void }).gc
  answerCpu((line) => {
    if (line === "mem") {
      gc?.()
      gc?.()
      const m = process.memoryUsage()
      // then a last-resort GC: V8 gives back the heap pages it keeps for reuse
      ;(gc as unknown as ((o: object) => void) | undefined)?.({ type: "major", execution: "sync", flavor: "last-resort" })
      const rssReleased = process.memoryUsage().rss
      process.stdout.write(JSON.stringify({ heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss, rssReleased, events: Object.fromEntries(seen) }) + "\n")
    } else if (line === "lag") {
      process.stdout.write(JSON.stringify({ p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6, rss: process.memoryUsage().rss }) + "\n")
      lag.reset()
    }
  })
}

// SIGTERM exits normally, so a --cpu-prof profile gets written
process.on("SIGTERM", () => process.exit(0))
Effect.runFork(program)
