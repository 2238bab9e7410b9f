/**
 * `npm run soak [-- --minutes 10] [-- --peers 200]` (not part of CI): one responder process
 * (`bench/scenarios/responder-process.ts scale`, TcpInterface + Responder over a generated chain) and,
 * in this process, PEERS churning peers on 127.0.0.1. Each peer connects, handshakes, does a little
 * of everything (chain-sync a few headers, block-fetch a short range, a keep-alive), stays 0.2-3 s,
 * then leaves (a clean disconnect, or an abrupt one mid-request) and comes back.
 *
 * Every 30 s it samples the responder's heap (after a GC) and RSS, and prints them with the cycles
 * done so far; at the end it writes soak/results.json and says whether memory stayed flat: the heap
 * of the last third of the samples against the second third (the first third is warm-up).
 */
import { sourceCondition } from "../bench/sources.ts"
import { Block, ConnectionPool, GeneratedChain, Protocols } from "@pallas-network2/core"
import type { InterfaceEvent, PeerId } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import { dialTo } from "../packages/node/src/internal/dialTo.ts"

const { BlockFetch, ChainSync, Handshake, KeepAlive, NodeToNode } = Protocols
const MAGIC = 764824073
const BLOCKS = 2000
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const argv = process.argv.slice(2)
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? Number(argv[i + 1]) : fallback
}
const minutes = opt("minutes", 10)
const peers = opt("peers", 200)
const sampleEveryMs = opt("sample-seconds", 30) * 1000

// the responder process, answering `mem` on stdin
const child = cp.spawn(process.execPath, ["--expose-gc", sourceCondition, "bench/scenarios/responder-process.ts", "scale", String(BLOCKS)], {
  cwd: root,
  stdio: ["pipe", "pipe", "inherit"]
})
const lines: Array<string> = []
const waiting: Array<(l: string) => void> = []
readline.createInterface({ input: child.stdout! }).on("line", (l) => {
  const w = waiting.shift()
  if (w !== undefined) w(l)
  else lines.push(l)
})
const nextLine = () => new Promise<string>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : waiting.push(resolve)))
const port = Number(await nextLine())
const mem = async () => {
  child.stdin!.write("mem\n")
  return JSON.parse(await nextLine()) as { heap: number; rss: number; events: Record<string, number> }
}

// the same generated chain as the responder's (same defaults), for points to ask for
const chain = GeneratedChain.generate({ blocks: BLOCKS, maxBodySize: 200 })
const points = chain.map(Block.pointOf)

const stats = { cycles: 0, handshakes: 0, headers: 0, blocks: 0, keepAlives: 0, abrupt: 0, errors: 0 }
/** The client's Error events by reason (abrupt leaves make some: sends to a connection just closed). */
const clientErrors = new Map<string, number>()
const samples: Array<{ minute: number; heapMB: number; rssMB: number; cycles: number }> = []
const started = performance.now()
const deadline = started + minutes * 60_000

const program = Effect.gen(function*() {
  const pool = yield* ConnectionPool.make(dialTo("127.0.0.1", port), { protocols: NodeToNode.protocols })
  interface Slot {
    id: PeerId
    resolveEnd: (() => void) | undefined
    state: "handshake" | "sync" | "fetch" | "ping" | "idle"
    headersLeft: number
  }
  const slots = new Map<string, Slot>()
  const send = (peer: PeerId, message: any) => pool.dispatch({ _tag: "Send", peer, message })
  yield* Effect.forkScoped(Stream.runForEach(pool.events, (e: InterfaceEvent) =>
    Effect.gen(function*() {
      const s = slots.get(e.peer)
      if (s === undefined) return
      if (e._tag === "Disconnected") {
        s.resolveEnd?.()
        return
      }
      if (e._tag === "Error") {
        stats.errors++
        const reason = `${e.error._tag}: ${String((e.error as { detail?: string }).detail ?? e.error.message).replace(/soak-\d+-\d+/g, "PEER").slice(0, 80)}`
        clientErrors.set(reason, (clientErrors.get(reason) ?? 0) + 1)
        return
      }
      if (e._tag !== "Recv") return
      for (const m of e.messages as ReadonlyArray<any>) {
        if (m._tag === "MsgAcceptVersion") {
          stats.handshakes++
          s.state = "sync"
          s.headersLeft = 1 + Math.floor(Math.random() * 20)
          yield* send(s.id, ChainSync.make.requestNext())
        } else if (m._tag === "MsgRollForward" || m._tag === "MsgRollBackward") {
          if (m._tag === "MsgRollForward") stats.headers++
          if (--s.headersLeft > 0) yield* send(s.id, ChainSync.make.requestNext())
          else {
            s.state = "fetch"
            const from = Math.floor(Math.random() * (BLOCKS - 10))
            yield* send(s.id, BlockFetch.make.requestRange(points[from]!, points[from + Math.floor(Math.random() * 10)]!))
          }
        } else if (m._tag === "MsgBlock") stats.blocks++
        else if (m._tag === "MsgBatchDone" || m._tag === "MsgNoBlocks") {
          s.state = "ping"
          yield* send(s.id, KeepAlive.make.keepAlive(Math.floor(Math.random() * 65536)))
        } else if (m._tag === "MsgKeepAliveResponse") {
          stats.keepAlives++
          s.state = "idle"
        }
      }
    })))
  // one churning peer: connect, work, stay a while, leave, again
  const churn = (k: number) =>
    Effect.gen(function*() {
      let n = 0
      while (performance.now() < deadline) {
        const id = `soak-${k}-${n++}` as PeerId
        const slot: Slot = { id, resolveEnd: undefined, state: "handshake", headersLeft: 0 }
        const ended = new Promise<void>((resolve) => (slot.resolveEnd = resolve))
        slots.set(id, slot)
        yield* pool.dispatch({ _tag: "Connect", peer: id })
        yield* send(id, Handshake.make.propose(Handshake.n2nVersionTable({ magic: MAGIC })))
        const abrupt = Math.random() < 0.25
        yield* Effect.sleep(abrupt ? Math.floor(Math.random() * 200) : 200 + Math.floor(Math.random() * 2800))
        if (abrupt && slot.state !== "idle") stats.abrupt++
        yield* pool.dispatch({ _tag: "Disconnect", peer: id })
        yield* Effect.promise(() => Promise.race([ended, new Promise<void>((r) => setTimeout(r, 10_000))]))
        slots.delete(id)
        stats.cycles++
      }
    })
  yield* Effect.forEach(Array.from({ length: peers }, (_, k) => k), churn, { concurrency: "unbounded", discard: true })
}).pipe(Effect.scoped)

const sampler = setInterval(async () => {
  const m = await mem()
  const minute = (performance.now() - started) / 60_000
  samples.push({ minute, heapMB: m.heap / 2 ** 20, rssMB: m.rss / 2 ** 20, cycles: stats.cycles })
  process.stdout.write(
    `${minute.toFixed(1)} min: responder heap ${(m.heap / 2 ** 20).toFixed(1)} MB, rss ${(m.rss / 2 ** 20).toFixed(1)} MB; ` +
      `${stats.cycles} cycles, ${stats.handshakes} handshakes, ${stats.headers} headers, ${stats.blocks} blocks, ${stats.keepAlives} keep-alives, ${stats.abrupt} abrupt, ${stats.errors} errors\n`
  )
}, sampleEveryMs)

const base = await mem()
process.stdout.write(`soak: ${peers} churning peers for ${minutes} min against a responder process on 127.0.0.1:${port}; responder heap at start ${(base.heap / 2 ** 20).toFixed(1)} MB\n`)
await Effect.runPromise(program)
clearInterval(sampler)
await new Promise((r) => setTimeout(r, 2000))
const end = await mem()
child.kill("SIGTERM")

const third = Math.max(1, Math.floor(samples.length / 3))
const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const middle = mean(samples.slice(third, 2 * third).map((s) => s.heapMB))
const last = mean(samples.slice(-third).map((s) => s.heapMB))
const growth = middle > 0 ? (last - middle) / middle : 0
const flat = Math.abs(growth) < 0.1
const out = {
  command: `npm run soak${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
  date: new Date().toISOString(),
  node: process.version,
  minutes,
  peers,
  stats,
  clientErrors: Object.fromEntries(clientErrors),
  responderEvents: end.events,
  startHeapMB: base.heap / 2 ** 20,
  endHeapMB: end.heap / 2 ** 20,
  endRssMB: end.rss / 2 ** 20,
  samples,
  heapGrowthLastThirdVsMiddleThird: growth,
  flat
}
fs.writeFileSync(path.join(root, "soak", "results.json"), JSON.stringify(out, null, 2) + "\n")
process.stdout.write(`responder events: ${JSON.stringify(end.events)}\nclient errors: ${JSON.stringify(Object.fromEntries(clientErrors))}\n`)
process.stdout.write(
  `done: ${stats.cycles} connection cycles; responder heap middle third ${middle.toFixed(1)} MB, last third ${last.toFixed(1)} MB (${(growth * 100).toFixed(1)} %): ${flat ? "FLAT" : "NOT FLAT"}; after the peers left ${(end.heap / 2 ** 20).toFixed(1)} MB\nwrote soak/results.json\n`
)
process.exit(flat ? 0 : 1)
